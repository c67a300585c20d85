"""The flow file discovery writes: the steps it took, with comments saying how it was made, where it stopped
and why each choice was made. Page text in it is made safe: one line, no control characters, no templates."""

from __future__ import annotations

import json
import re

from auditor.browser.page import utc_now
from auditor.flows.spec import Flow


def flow_yaml(flow: Flow, steps: list, journey: str, stopped: str, notes, why: dict | None = None) -> str:
    """The flow file for the steps discovery took (``why``: step index -> the reason it was chosen, written
    as a comment above the step)."""
    from auditor import __version__

    def q(v) -> str:
        return yaml_string(str(v))

    lines = [f"# Discovered by consent-auditor {__version__} on {utc_now()} from {flow.start}",
             "# (auditor discover). Walked like a customer who reads the big print only: the cookie banner",
             "# refused, the form filled in with the test identity, nothing the page ticked or added changed.",
             f"# Where it stopped: {one_line(stopped) or 'at the end'}"]
    lines += [f"# Note: {one_line(n)}" for n in notes]
    lines += ["# Edit it as you like and walk it again with: auditor flow THIS_FILE", "",
              f"name: {q(flow.name)}", f"start: {q(flow.start)}"]
    if flow.viewport:
        lines.append(f"viewport: {flow.viewport[0]}x{flow.viewport[1]}")
    if flow.locale:
        lines.append(f"locale: {q(flow.locale)}")
    lines += [f"scope: [{', '.join(q(h) for h in flow.scope)}]", f"allow_submit: {str(flow.allow_submit).lower()}",
              f"identity: {{seed: {flow.seed}}}", "steps:"]
    for s in steps:
        args = dict(s.args)
        reason = (why or {}).get(s.index)
        if reason:
            lines.append(f"  # {one_line(reason)}")
        if s.name:
            args["name"] = one_line(s.name)  # names quote page text: never a template for the flow runner
        if s.final is not None:
            args["final"] = s.final
        body = ", ".join(f"{k}: {str(v).lower() if isinstance(v, bool) else q(v)}" for k, v in args.items())
        lines.append(f"  - {s.kind}: {{{body}}}")
    return "\n".join(lines) + "\n"


def one_line(text: str) -> str:
    """One line of page-derived text, safe in a YAML comment or name: no control characters, no templates."""
    t = re.sub(r"\s+", " ", text or "").strip()
    t = "".join(ch if ch.isprintable() else " " for ch in t)
    return t.replace("{{", "{ {").replace("}}", "} }")


def yaml_string(v: str) -> str:
    """A double-quoted YAML scalar: JSON escapes, and every character YAML would not read escaped too."""
    out = json.dumps(v, ensure_ascii=False)
    return "".join(ch if ch.isprintable() or ch == " " else
                   (f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}") for ch in out)


def short(text: str, n: int = 40) -> str:
    t = one_line(text)
    return t if len(t) <= n else t[: n - 1] + "…"
