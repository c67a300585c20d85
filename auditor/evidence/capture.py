"""Raw evidence of a visit for an evidence pack (``AuditOptions.record``): the page as rendered (an MHTML archive
from Chromium, cross-site frames included), its DOM as serialised text, the console, the cookies and storage at
each phase, the snapshot the checks judged. The HAR and the Playwright trace are recorded by the browser context
(engine.new_context, the flow runner).

Form state. Chromium's MHTML (and any markup serialiser) writes a control's *markup*: a box ticked by a script
(``box.checked = true``), a typed value, a chosen option would be archived as the markup's default, so the archive
would not show the pre-ticked box the audit found. Before archiving, the live state is written into the
attributes (``checked``, ``value``, ``selected``, a textarea's text), which changes nothing on screen (a control
whose state was set keeps it); the attributes are put back right after. The DOM file and the archive therefore
show what was on screen. What was typed into a password or payment-card field (by name, id or autocomplete) is
never written out this way.

A text map (``text-map.json``: each visible text and form value of the top document with its boxes) lets a
redacted pack paint over what it redacts in the screenshots.

Every artefact is returned as an :class:`Artefact` with its start and end time in UTC.
"""

from __future__ import annotations

import json
from pathlib import Path

from auditor.browser.page import utc_now
from auditor.browser.worlds import FrameGone, Unresponsive, Worlds
from auditor.models import Artefact, PageSnapshot, to_dict

#: writes the live form state into attributes (``mode`` "reflect") or puts the attributes back ("restore"); runs
#: in the auditor's isolated world of one frame, descending into open shadow roots
REFLECT_JS = r"""(mode) => {
  const KEY = '__auditorReflected';
  if (mode === 'restore') {
    const list = globalThis[KEY] || [];
    for (const [el, name, old] of list) {
      try {
        if (name === '#text') el.textContent = old;
        else if (old === null) el.removeAttribute(name);
        else el.setAttribute(name, old);
      } catch (e) {}
    }
    globalThis[KEY] = [];
    return list.length;
  }
  const list = [];
  globalThis[KEY] = list;
  const secret = (el) => /^(password|hidden)$/i.test(el.type || '') ||
      /^cc-|current-password|new-password|one-time-code/i.test(el.getAttribute('autocomplete') || '') ||
      /card|cvc|cvv|csc|expir|iban|security.?code|passw|pin\b/i.test((el.name || '') + ' ' + (el.id || ''));
  const put = (el, name, want) => {
    const old = el.getAttribute(name);
    if (old === want || (want !== null && old !== null && name !== 'value')) return;
    list.push([el, name, old]);
    if (want === null) el.removeAttribute(name); else el.setAttribute(name, want);
  };
  const visit = (root, depth) => {
    if (!root || depth > 30) return;
    for (const el of root.querySelectorAll('input, option, textarea')) {
      try {
        const tag = el.localName;
        if (tag === 'input') {
          const type = (el.type || '').toLowerCase();
          if (type === 'checkbox' || type === 'radio') put(el, 'checked', el.checked ? '' : null);
          else if (type !== 'file' && !secret(el) && el.value !== (el.getAttribute('value') || ''))
            put(el, 'value', el.value);
        } else if (tag === 'option') {
          put(el, 'selected', el.selected ? '' : null);
        } else if (tag === 'textarea' && !secret(el) && el.value !== el.textContent) {
          list.push([el, '#text', el.textContent]);
          el.textContent = el.value;
        }
      } catch (e) {}
    }
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) visit(el.shadowRoot, depth + 1);
    }
  };
  visit(document, 0);
  return list.length;
}"""

#: the frame's document as markup, open shadow roots included (as declarative <template shadowrootmode>)
SERIALISE_JS = r"""() => {
  const de = document.documentElement;
  if (!de) return '';
  const roots = [];
  const walk = (root, depth) => {
    if (depth > 30) return;
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) { roots.push(el.shadowRoot); walk(el.shadowRoot, depth + 1); }
    }
  };
  walk(document, 0);
  const dt = document.doctype ? '<!DOCTYPE ' + document.doctype.name + '>\n' : '';
  let inner;
  try { inner = de.getHTML({serializableShadowRoots: true, shadowRoots: roots}); }
  catch (e) { inner = de.innerHTML; }
  const shell = de.cloneNode(false).outerHTML;
  const cut = shell.lastIndexOf('</');
  return dt + shell.slice(0, cut) + inner + shell.slice(cut);
}"""


#: every visible text and form value of the frame with its boxes (one per line of text), in the frame's client
#: coordinates, and the scroll offset: what redaction paints over in the screenshots (auditor/evidence/pack.py)
TEXT_MAP_JS = r"""() => {
  const out = [];
  const secret = (el) => /^(password|hidden)$/i.test(el.type || '') ||
      /^cc-|current-password|new-password|one-time-code/i.test(el.getAttribute('autocomplete') || '') ||
      /card|cvc|cvv|csc|expir|iban|security.?code|passw|pin\b/i.test((el.name || '') + ' ' + (el.id || ''));
  const rects = (list) => Array.from(list || []).filter(r => r.width > 0 && r.height > 0)
      .slice(0, 40).map(r => [Math.round(r.left), Math.round(r.top), Math.ceil(r.width), Math.ceil(r.height)]);
  const visit = (root, depth) => {
    if (!root || depth > 30 || out.length > 20000) return;
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const text = n.nodeValue;
      if (!text || !text.trim()) continue;
      const parent = n.parentElement;
      if (parent && /^(script|style|noscript|template)$/i.test(parent.localName)) continue;
      const range = document.createRange();
      range.selectNodeContents(n);
      const boxes = rects(range.getClientRects());
      if (boxes.length) out.push({text: text.slice(0, 2000), boxes});
      if (out.length > 20000) return;
    }
    for (const el of root.querySelectorAll('input, textarea, select, [title], [placeholder], img[alt]')) {
      const values = [el.value, el.title, el.placeholder, el.alt].filter(v => typeof v === 'string' && v.trim());
      if (!values.length || secret(el)) continue;
      const boxes = rects([el.getBoundingClientRect()]);
      if (boxes.length) out.push({text: values.join(' ').slice(0, 2000), boxes});
    }
    for (const el of root.querySelectorAll('*')) if (el.shadowRoot) visit(el.shadowRoot, depth + 1);
  };
  visit(document, 0);
  return {scroll: [Math.round(scrollX), Math.round(scrollY)], items: out};
}"""


def write_json(path: Path, data, kind: str, started: str | None = None) -> Artefact:
    """A JSON artefact (UTF-8, stable key order as given)."""
    started = started or utc_now()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return Artefact(path=str(path), kind=kind, started_at=started, finished_at=utc_now())


def snapshot_files(folder: Path, stem: str, snapshot: PageSnapshot) -> list[Artefact]:
    """The snapshot the checks judged (replay re-judges it) and the cookies and storage at each phase."""
    states = list(snapshot.states) + (list(snapshot.choice.states) if snapshot.choice else [])
    return [write_json(folder / f"{stem}snapshot.json", to_dict(snapshot), "snapshot"),
            write_json(folder / f"{stem}cookies-and-storage.json",
                       {"site": snapshot.site, "phases": [to_dict(s) for s in states]}, "state")]


async def archive(page, folder: Path, stem: str = "") -> tuple[list[Artefact], list[str]]:
    """The page as rendered now: ``{stem}page.mhtml`` (Chromium's snapshot of every frame) and
    ``{stem}dom.html`` (the top document's markup; ``{stem}dom-frame-N.html`` for each other frame, named in
    the artefact). Returns the artefacts and what could not be captured (one line each)."""
    folder.mkdir(parents=True, exist_ok=True)
    worlds = await Worlds.of(page)
    problems: list[str] = []
    frames = []
    try:
        frames = [f for f in await worlds.frames() if f.id not in worlds.frozen]
    except (FrameGone, Unresponsive) as exc:
        problems.append(f"frames: {exc}")
    reflected = []
    for f in frames:
        try:
            await worlds.call(f, REFLECT_JS, "reflect")
            reflected.append(f)
        except (FrameGone, Unresponsive, RuntimeError):
            pass
    out: list[Artefact] = []
    try:
        started = utc_now()
        try:
            snap = await worlds.main.cdp.send("Page.captureSnapshot", {"format": "mhtml"})
            path = folder / f"{stem}page.mhtml"
            path.write_bytes(str(snap.get("data", "")).encode("utf-8", "surrogateescape"))
            out.append(Artefact(path=str(path), kind="mhtml", started_at=started, finished_at=utc_now()))
        except Exception as exc:
            problems.append(f"MHTML archive: {str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__}")
        for n, f in enumerate(frames):
            started = utc_now()
            try:
                markup = await worlds.call(f, SERIALISE_JS)
            except (FrameGone, Unresponsive, RuntimeError) as exc:
                problems.append(f"DOM of frame {f.url[:120]}: {exc}")
                continue
            name = f"{stem}dom.html" if n == 0 else f"{stem}dom-frame-{n}.html"
            path = folder / name
            path.write_text(str(markup or ""), encoding="utf-8", errors="surrogateescape")
            out.append(Artefact(path=str(path), kind="dom", started_at=started, finished_at=utc_now(),
                                note=f.url[:500] if n else ""))
        if frames:  # where each text of the top document is drawn (child frames' texts are not mapped)
            started = utc_now()
            try:
                text_map = await worlds.call(frames[0], TEXT_MAP_JS)
                out.append(write_json(folder / f"{stem}text-map.json", text_map, "text-map", started))
            except (FrameGone, Unresponsive, RuntimeError) as exc:
                problems.append(f"text map: {exc}")
    finally:
        for f in reflected:
            try:
                await worlds.call(f, REFLECT_JS, "restore")
            except Exception:
                pass
    return out, problems


class ConsoleLog:
    """What the page wrote to its console and the errors it threw, as JSON lines (written at the end)."""

    def __init__(self, page):
        self.lines: list[dict] = []
        self.started = utc_now()
        page.on("console", self._message)
        page.on("pageerror", self._error)

    def _message(self, msg) -> None:
        if len(self.lines) >= 5000:
            return
        try:
            loc = msg.location or {}
            self.lines.append({"at": utc_now(), "type": msg.type, "text": str(msg.text)[:4000],
                               "url": str(loc.get("url", ""))[:500], "line": loc.get("lineNumber")})
        except Exception:
            pass

    def _error(self, exc) -> None:
        if len(self.lines) < 5000:
            self.lines.append({"at": utc_now(), "type": "pageerror", "text": str(exc)[:4000]})

    def write(self, path: Path) -> Artefact:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in self.lines),
                        encoding="utf-8")
        return Artefact(path=str(path), kind="console", started_at=self.started, finished_at=utc_now())
