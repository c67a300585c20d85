"""Flow files: YAML journeys (see fixtures/flows/README.md), read and checked before any browser starts.

Every problem is reported with the file, the line and the step it is in (``FlowError``), so a typo costs a
second, not a browser run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

#: step kind -> (keys it accepts besides name/timeout, the key a plain string value stands for, keys it needs)
STEP_KINDS: dict[str, tuple[tuple[str, ...], str | None, tuple[str, ...]]] = {
    "goto": (("url",), "url", ("url",)),
    "click": (("target", "frame"), "target", ("target",)),
    "fill": (("target", "value", "frame"), None, ("target", "value")),
    "check": (("target", "frame"), "target", ("target",)),
    "uncheck": (("target", "frame"), "target", ("target",)),
    "select": (("target", "value", "frame"), None, ("target", "value")),
    "press": (("target", "key", "frame"), None, ("key",)),
    "wait_for": (("target", "frame"), "target", ("target",)),
    "scroll": (("to", "target"), "to", ()),
    "audit": (("label",), "label", ()),
    "expect": (("text", "target", "frame"), "text", ()),
}
COMMON_KEYS = ("name", "timeout", "final")
#: step kinds a ``final`` mark applies to (the ones the submit guard judges)
FINAL_KINDS = ("click", "press")
FLOW_KEYS = ("name", "start", "viewport", "locale", "scope", "allow_submit", "identity", "steps")
TEMPLATE = re.compile(r"\{\{\s*([a-z_][a-z0-9_.]*)\s*\}\}")


class FlowError(Exception):
    """A flow file that cannot be run: says where (file, line, step) and what."""

    def __init__(self, path: str, message: str, line: int | None = None, step: int | None = None):
        where = path + (f":{line}" if line else "") + (f" (step {step})" if step else "")
        super().__init__(f"{where}: {message}")
        self.path, self.line, self.step = path, line, step


@dataclass(frozen=True)
class Step:
    index: int  # 1-based, as people count
    kind: str
    args: tuple[tuple[str, Any], ...]
    name: str = ""
    timeout: float | None = None  # seconds
    line: int = 0
    final: bool | None = None  # the flow's word on the submit guard: False vouches "only moves on"

    def arg(self, key: str, default: Any = None) -> Any:
        return dict(self.args).get(key, default)

    @property
    def label(self) -> str:
        """How the step is named in reports: its name, else the kind and its main argument."""
        if self.name:
            return self.name
        main = self.arg("target") or self.arg("url") or self.arg("text") or self.arg("label") or self.arg("to") \
            or self.arg("key") or ""
        return f"{self.kind} {main}".strip()


@dataclass(frozen=True)
class Flow:
    name: str
    start: str
    path: str = ""
    viewport: tuple[int, int] | None = None
    locale: str | None = None
    scope: tuple[str, ...] = ()  # hosts; filled with the start host when the file gives none
    allow_submit: bool = False
    seed: int = 1
    steps: tuple[Step, ...] = field(default_factory=tuple)
    start_line: int = 0  # the line of ``start`` in the file (what reports point at for the start page)


def load_flow(path: str | Path, base: str | None = None) -> Flow:
    """Read and check one flow file; relative URLs are resolved against ``base``."""
    import yaml

    p = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FlowError(p, f"cannot read the flow file ({exc.__class__.__name__}: {exc})") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        # an unclosed bracket is only noticed at the end of the file: point at where it was opened
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        context = getattr(exc, "context", None)
        raise FlowError(p, f"YAML syntax error: {problem}" + (f" ({context})" if context else ""),
                        line=mark.line + 1 if mark else None) from None
    if not isinstance(data, dict):
        raise FlowError(p, "a flow file is a mapping with name, start and steps", line=1)
    lines = _key_lines(node)
    unknown = [k for k in data if k not in FLOW_KEYS]
    if unknown:
        raise FlowError(p, f"unknown key {unknown[0]!r} (known: {', '.join(FLOW_KEYS)})", line=lines.get(unknown[0]))
    for key in ("name", "start", "steps"):
        if not data.get(key):
            raise FlowError(p, f"missing {key!r}", line=1)
    if not isinstance(data["name"], str):
        raise FlowError(p, "'name' must be text", line=lines.get("name"))
    start = _url(p, data["start"], base, lines.get("start"), None)
    viewport = _viewport(p, data.get("viewport"), lines.get("viewport"))
    scope = data.get("scope")
    if scope is None:
        scope_hosts = (urlsplit(start).hostname or "",)
    elif isinstance(scope, list) and all(isinstance(h, str) and h for h in scope):
        scope_hosts = tuple(h.lower() for h in scope)
    else:
        raise FlowError(p, "'scope' must be a list of host names", line=lines.get("scope"))
    identity = data.get("identity") or {}
    if not isinstance(identity, dict) or not isinstance(identity.get("seed", 1), int):
        raise FlowError(p, "'identity' must be a mapping like {seed: 7}", line=lines.get("identity"))
    if not isinstance(data.get("allow_submit", False), bool):
        raise FlowError(p, "'allow_submit' must be true or false", line=lines.get("allow_submit"))
    steps_node = _value_node(node, "steps")
    if not isinstance(data["steps"], list):
        raise FlowError(p, "'steps' must be a list", line=lines.get("steps"))
    steps = tuple(_step(p, i + 1, raw, _line_of(steps_node, i), base) for i, raw in enumerate(data["steps"]))
    return Flow(name=data["name"], start=start, path=p, viewport=viewport, locale=data.get("locale"),
                scope=scope_hosts, allow_submit=bool(data.get("allow_submit", False)),
                seed=int(identity.get("seed", 1)), steps=steps, start_line=lines.get("start") or 0)


def _step(path: str, index: int, raw: Any, line: int | None, base: str | None) -> Step:
    if isinstance(raw, str) and raw in STEP_KINDS and not STEP_KINDS[raw][2]:
        raw = {raw: {}}  # a bare "- audit" or "- scroll": kinds that need no argument
    if not isinstance(raw, dict) or not raw:
        raise FlowError(path, "a step is a mapping like 'click: \"text=Continue\"'", line, index)
    kinds = [k for k in raw if k in STEP_KINDS]
    others = [k for k in raw if k not in STEP_KINDS and k not in COMMON_KEYS]
    if others or len(kinds) != 1:
        bad = others[0] if others else None
        if bad is not None:
            raise FlowError(path, f"unknown step kind {bad!r} (known: {', '.join(STEP_KINDS)})", line, index)
        raise FlowError(path, "a step needs exactly one kind (" + ", ".join(STEP_KINDS) + ")", line, index)
    kind = kinds[0]
    accepted, shorthand, needed = STEP_KINDS[kind]
    value = raw[kind]
    if isinstance(value, dict):
        args = dict(value)
    elif value is None and not needed:
        args = {}
    elif isinstance(value, (str, int, float)) and shorthand:
        args = {shorthand: str(value)}
    else:
        raise FlowError(path, f"'{kind}' takes a mapping with {', '.join(accepted)}", line, index)
    name = args.pop("name", raw.get("name", ""))
    timeout = args.pop("timeout", raw.get("timeout"))
    final = args.pop("final", raw.get("final"))
    if final is not None and (not isinstance(final, bool) or kind not in FINAL_KINDS):
        raise FlowError(path, "'final' is true or false, on a click or press step (false: the click only moves "
                              "on, never places an order or creates an account)", line, index)
    extra = [k for k in args if k not in accepted]
    if extra:
        raise FlowError(path, f"'{kind}' does not take {extra[0]!r} (it takes {', '.join(accepted)})", line, index)
    missing = [k for k in needed if args.get(k) in (None, "")]
    if missing:
        raise FlowError(path, f"'{kind}' needs {missing[0]!r}", line, index)
    if kind == "expect" and not (args.get("text") or args.get("target")):
        raise FlowError(path, "'expect' needs text or target", line, index)
    if timeout is not None and (not isinstance(timeout, (int, float)) or timeout <= 0):
        raise FlowError(path, "'timeout' must be a positive number of seconds", line, index)
    for k, v in args.items():
        if not isinstance(v, (str, int, float, bool)):
            raise FlowError(path, f"'{kind}': {k!r} must be text", line, index)
        for m in TEMPLATE.finditer(str(v)):
            _check_template(path, m.group(1), line, index)
    if kind == "goto":
        args["url"] = _url(path, args["url"], base, line, index)
    return Step(index=index, kind=kind, args=tuple((k, str(v)) for k, v in args.items()), name=str(name or ""),
                timeout=float(timeout) if timeout is not None else None, line=line or 0, final=final)


def _check_template(path: str, name: str, line, index) -> None:
    from auditor.flows.identity import FIELDS
    head, _, rest = name.partition(".")
    if head != "identity" or rest not in FIELDS:
        raise FlowError(path, f"unknown value {{{{ {name} }}}} (use identity.FIELD with FIELD one of "
                              f"{', '.join(FIELDS)})", line, index)


def _url(path: str, raw: Any, base: str | None, line, index) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise FlowError(path, "a URL must be text", line, index)
    raw = raw.strip()
    parts = urlsplit(raw)
    if parts.scheme in ("http", "https") and parts.hostname:
        return raw
    if parts.scheme:
        raise FlowError(path, f"{raw}: only http and https URLs can be walked", line, index)
    if not base:
        raise FlowError(path, f"{raw}: a relative URL needs --base (for example --base http://127.0.0.1:8000)",
                        line, index)
    return urljoin(base.rstrip("/") + "/", raw.lstrip("/"))


def _viewport(path: str, raw: Any, line) -> tuple[int, int] | None:
    if raw is None:
        return None
    m = re.fullmatch(r"\s*(\d{2,5})\s*[xX×]\s*(\d{2,5})\s*", str(raw))
    if not m:
        raise FlowError(path, f"viewport {raw!r}: expected WIDTHxHEIGHT like 1280x800", line)
    return int(m.group(1)), int(m.group(2))


def _key_lines(node) -> dict[str, int]:
    out = {}
    if node is not None and hasattr(node, "value") and isinstance(node.value, list):
        for item in node.value:
            if isinstance(item, tuple) and hasattr(item[0], "value"):
                out[str(item[0].value)] = item[0].start_mark.line + 1
    return out


def _value_node(node, key: str):
    if node is None or not isinstance(getattr(node, "value", None), list):
        return None
    for item in node.value:
        if isinstance(item, tuple) and getattr(item[0], "value", None) == key:
            return item[1]
    return None


def _line_of(seq_node, i: int) -> int | None:
    try:
        return seq_node.value[i].start_mark.line + 1
    except (AttributeError, IndexError, TypeError):
        return None
