"""What discovery knows about a page: typed facts gathered by ``auditor/browser/discover.js`` in one round trip
per frame (the top document, its open shadow roots, and every iframe, same-origin or not).

Facts only; the choices are made in ``offers`` (what the page offers) and ``walk`` (what to do next).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from auditor.browser.worlds import Worlds, WorldFrame

DISCOVER_JS = (resources.files("auditor.browser") / "discover.js").read_text(encoding="utf-8")
#: elements gathered per frame at most
ELEMENT_LIMIT = 4000

# the CSS selector of an <iframe> element as its parent document sees it: by id, name or title when that is
# unique, else its path from the nearest ancestor with an id
FRAME_SELECTOR_JS = r"""(el) => {
  const esc = (s) => (window.CSS && CSS.escape ? CSS.escape(s) : String(s).replace(/[^\w-]/g, '\\$&'));
  const quote = (s) => '"' + String(s).replace(/["\\]/g, '\\$&') + '"';
  const root = el.getRootNode();
  const one = (sel) => { try { return root.querySelectorAll(sel).length === 1; } catch (e) { return false; } };
  if (el.id && one('#' + esc(el.id))) return '#' + esc(el.id);
  for (const a of ['name', 'title']) {
    const v = el.getAttribute(a);
    if (v && one('iframe[' + a + '=' + quote(v) + ']')) return 'iframe[' + a + '=' + quote(v) + ']';
  }
  const parts = [];
  for (let cur = el; cur && cur.nodeType === 1; cur = cur.parentElement) {
    if (cur.id && one('#' + esc(cur.id))) { parts.unshift('#' + esc(cur.id)); break; }
    let n = 1;
    for (let s = cur.previousElementSibling; s; s = s.previousElementSibling) if (s.localName === cur.localName) n++;
    parts.unshift(cur.localName + ':nth-of-type(' + n + ')');
  }
  return parts.join(' > ');
}"""


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    disabled: bool = False


@dataclass(frozen=True)
class Control:
    """A link or button a person could use."""

    i: int  # position in the frame's element list (discover.js keeps the elements; selectors are checked)
    tag: str
    role: str
    text: str
    selector: str
    type: str = ""
    name: str = ""  # accessible name from the DOM text (not CSS text-transform)
    href: str = ""  # absolute, for HTML links
    raw_href: str = ""  # as written
    region: str = ""  # header | footer | nav | aside | dialog | main | ""
    form: int = -1  # index into PageFacts.forms, -1 outside any form
    submit: bool = False
    disabled: bool = False
    near_price: bool = False
    image: bool = False
    y: float = 0.0
    area: float = 0.0
    selected: bool = False  # a choice drawn as a button (role=radio/option) that is chosen
    group: str = ""  # the radiogroup, listbox or fieldset such a choice belongs to
    frame: str = ""  # selector chain of the iframe it is in ("" for the top document)


@dataclass(frozen=True)
class Field:
    """A form field (input, select, textarea)."""

    i: int
    tag: str
    type: str
    selector: str
    id: str = ""
    name: str = ""
    autocomplete: str = ""
    label: str = ""
    placeholder: str = ""
    required: bool = False
    value: str = ""  # a select's value; "filled" for a filled text field
    checked: bool = False
    disabled: bool = False
    visible: bool = True
    label_visible: bool = True
    form: int = -1
    region: str = ""
    cardish: bool = False
    options: tuple[Option, ...] = ()
    selected_index: int = -1
    context: str = ""  # a box's row: the question a bare "I agree" label answers
    frame: str = ""


@dataclass(frozen=True)
class Form:
    search: bool = False
    region: str = ""
    selector: str = ""
    action: str = ""
    frame: str = ""


@dataclass(frozen=True)
class PageFacts:
    url: str
    title: str = ""
    h1: str = ""
    controls: tuple[Control, ...] = ()
    fields: tuple[Field, ...] = ()
    forms: tuple[Form, ...] = ()
    card: int = 0  # payment card fields shown (every frame)

    @property
    def page(self) -> str:
        return page_address(self.url)

    def signature(self) -> tuple:
        """What tells one form page from the next: its address (with a hash route), heading and fields."""
        return self.page, self.h1, tuple(sorted(f.frame + f.selector for f in self.fields if f.visible))


def page_address(url: str) -> str:
    """The address without its fragment, unless the fragment is a route ("#/checkout", "#!/pay")."""
    base, _, frag = url.partition("#")
    return url if frag.startswith(("/", "!")) else base


def parse(raw: dict, frame: str = "", form_offset: int = 0) -> PageFacts:
    """discover.js's answer for one frame as typed facts (form indexes shifted by ``form_offset``)."""
    def form_of(i: int) -> int:
        return i + form_offset if i >= 0 else -1

    controls = tuple(Control(
        i=c["i"], tag=c["tag"], role=c["role"], text=c["text"], selector=c["selector"], type=c.get("type", ""),
        name=c.get("name", ""), href=c.get("href", ""), raw_href=c.get("rawHref", ""), region=c.get("region", ""),
        form=form_of(c.get("form", -1)), submit=bool(c.get("submit")), disabled=bool(c.get("disabled")),
        near_price=bool(c.get("nearPrice")), image=bool(c.get("image")), y=float(c.get("y", 0)),
        area=float(c.get("area", 0)), selected=bool(c.get("selected")), group=c.get("group", ""), frame=frame)
        for c in raw.get("controls", ()))
    fields = tuple(Field(
        i=f["i"], tag=f["tag"], type=f["type"], selector=f["selector"], id=f.get("id", ""), name=f.get("name", ""),
        autocomplete=f.get("autocomplete", ""), label=f.get("label", ""), placeholder=f.get("placeholder", ""),
        required=bool(f.get("required")), value=f.get("value", ""), checked=bool(f.get("checked")),
        disabled=bool(f.get("disabled")), visible=bool(f.get("visible", True)),
        label_visible=bool(f.get("labelVisible", True)), form=form_of(f.get("form", -1)), region=f.get("region", ""),
        cardish=bool(f.get("cardish")), options=tuple(Option(o.get("value", ""), o.get("label", ""),
                                                             bool(o.get("disabled"))) for o in f.get("options", ())),
        selected_index=int(f.get("selectedIndex", -1)), context=f.get("context", ""), frame=frame)
        for f in raw.get("fields", ()))
    forms = tuple(Form(search=bool(x.get("search")), region=x.get("region", ""), selector=x.get("selector", ""),
                       action=x.get("action", ""), frame=frame) for x in raw.get("forms", ()))
    return PageFacts(url=raw.get("url", ""), title=raw.get("title", ""), h1=raw.get("h1", ""), controls=controls,
                     fields=fields, forms=forms, card=int(raw.get("card", 0)))


def merge(top: PageFacts, others: list[PageFacts]) -> PageFacts:
    """The top document's facts with the frames' controls, fields and forms added (their address and heading
    stay the top document's)."""
    return PageFacts(url=top.url, title=top.title, h1=top.h1,
                     controls=top.controls + tuple(c for o in others for c in o.controls),
                     fields=top.fields + tuple(f for o in others for f in o.fields),
                     forms=top.forms + tuple(f for o in others for f in o.forms),
                     card=top.card + sum(o.card for o in others))


async def gather(page, lexicon) -> PageFacts:
    """Run discover.js in the top document and every frame of the page, in the auditor's isolated world (the
    page's prototypes cannot change what it reads, and the elements it keeps stay out of the page's sight)."""
    args = {"limit": ELEMENT_LIMIT, "cardRe": lexicon.markup_pattern("field_card"),
            "notCard": lexicon.markup_pattern("not_payment_card")}
    worlds = await Worlds.of(page)
    frames = [f for f in await worlds.frames() if f.id not in worlds.frozen]
    top = parse(await worlds.call(frames[0], DISCOVER_JS, args))
    by_id = {f.id: f for f in frames}
    others: list[PageFacts] = []
    offset = len(top.forms)
    for frame in frames[1:]:
        try:
            chain = await _frame_chain(worlds, frame, by_id)
            if chain is None:
                continue
            raw = await worlds.call(frame, DISCOVER_JS, args, deadline=5)
        except Exception:
            continue  # a frame that went away or does not answer: the top document's facts stand
        facts = parse(raw, chain, offset)
        offset += len(facts.forms)
        others.append(facts)
    return merge(top, others)


async def _frame_chain(worlds: Worlds, frame: WorldFrame, by_id: dict) -> str | None:
    """``"#outer >> iframe[title=Card]"``: the selectors of the iframes from the top document down to
    ``frame``, as a flow step's ``frame`` says it; None for a frame that is not shown in an iframe."""
    parts = []
    cur = frame
    while cur.parent is not None:
        parent = by_id.get(cur.parent)
        owner = await worlds.owner(cur, parent) if parent is not None else None
        if owner is None:
            return None
        got = await worlds.call(parent, "function () { const r = this.getBoundingClientRect();"
                                " const s = getComputedStyle(this); if (r.width < 1 || r.height < 1 ||"
                                " s.visibility === 'hidden' || s.display === 'none') return null;"
                                " return (" + FRAME_SELECTOR_JS + ")(this); }", this=owner)
        if not got:
            return None
        parts.append(got)
        cur = parent
    return " >> ".join(reversed(parts))
