"""Project configuration, found by itself: ``[tool.consent-auditor]`` in ``pyproject.toml``, or
``consent-auditor.toml``, in the working directory or the nearest parent that has one (the search stops at the
repository root, the folder holding ``.git``). ``CONSENT_AUDITOR_*`` environment variables override the file,
and command-line flags override both. ``--config FILE`` (or ``CONSENT_AUDITOR_CONFIG``) names the file instead.

Everything is validated against the published JSON Schema (``auditor schema config``): an unknown key or a
wrong type is a ``ConfigError`` naming the file and the key (exit 2). Every value remembers where it came from,
which ``auditor config`` prints.
"""

from __future__ import annotations

import difflib
import re
import json
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from auditor.errors import ConfigError
from auditor.models import Origin

SECTION = ("tool", "consent-auditor")
FILE_NAME = "consent-auditor.toml"
ENV_PREFIX = "CONSENT_AUDITOR_"
ENV_CONFIG = ENV_PREFIX + "CONFIG"

#: built-in defaults of the top-level settings (the command line's)
DEFAULTS: dict[str, Any] = {
    "urls": [], "flows": [], "discover": [], "base": None, "select": [], "ignore": [], "severity": {},
    "fail-on": "low", "baseline": None, "out": "auditor-out", "json": None, "html": None, "sarif": None,
    "junit": None, "markdown": None, "viewport": "1280x800", "locale": "en-US", "timeout": 30.0,
    "quiet-ms": 200, "settle-cap-ms": 6000, "concurrency": 3, "interact": True, "evidence": True, "trace": False,
    "browser": None, "thresholds": {}, "lexicon": {}, "trackers": {}, "overrides": [], "crawl": None,
}
#: settings that hold paths (resolved against the file that names them)
PATHS = ("baseline", "out", "json", "html", "sarif", "junit", "markdown", "browser")
PATH_LISTS = ("flows",)
#: settings an environment variable can set (tables and lists of tables only in a file)
ENV_KEYS = tuple(k for k in DEFAULTS if k not in ("severity", "thresholds", "lexicon", "trackers", "overrides",
                                                  "crawl"))


def schema() -> dict:
    from auditor.schemas import load
    return load("config")


@dataclass
class Project:
    """The effective configuration: each top-level setting's value and where it came from."""

    file: Path | None = None
    where: str = ""  # how the file's section is named in messages: "pyproject.toml [tool.consent-auditor]"
    values: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    text: str = ""  # the file's text, to find the line that names a target
    raw: dict[str, Any] = field(default_factory=dict)  # the file's values as written (paths not yet resolved)

    def get(self, key: str) -> Any:
        return self.values.get(key, DEFAULTS[key])

    def targets(self, key: str) -> list[tuple[str, Origin | None]]:
        """The ``urls``, ``flows`` or ``discover`` list, each with the config line that names it (for reports that
        point at it; None when the environment or a flag gave the list)."""
        values = self.get(key)
        if self.file is None or self.sources.get(key) != self.where:
            return [(v, None) for v in values]
        return [(v, self._line_of(raw)) for v, raw in zip(values, self.raw.get(key, values))]

    def _line_of(self, written: str) -> Origin:
        for n, line in enumerate(self.text.splitlines(), 1):
            if f'"{written}"' in line or f"'{written}'" in line:
                return Origin(str(self.file), n)
        return Origin(str(self.file), 1)

    def validated_options(self, **extra):
        """:meth:`options`, validated; a bad value names where it was set (the file, a variable or a flag)."""
        from auditor.errors import UsageError
        try:
            return self.options(**extra).validate()
        except UsageError as exc:
            m = re.match(r"^-*([a-z_-]+)", str(exc))
            key = m.group(1).replace("_", "-") if m else ""
            source = self.sources.get(key)
            if source and not source.startswith("flag") and source not in str(exc):
                raise UsageError(f"{source}: {exc}") from None
            raise

    def options(self, **extra):
        """The API's :class:`~auditor.api.Options` for this configuration (``extra``: fields only the command
        line sets, such as ``debug`` or ``command``)."""
        from auditor.api import Options, Override
        from auditor.targets import parse_viewport
        from auditor.config import Thresholds
        th = self.get("thresholds")
        defaults = Thresholds()
        thresholds = Thresholds(**{k: type(getattr(defaults, k))(v) for k, v in th.items()})
        lex = self.get("lexicon")
        values = dict(
            out_dir=self.get("out"), fail_on=self.get("fail-on"), viewport=parse_viewport(self.get("viewport")),
            locale=self.get("locale"), timeout=float(self.get("timeout")), quiet_ms=int(self.get("quiet-ms")),
            settle_cap_ms=int(self.get("settle-cap-ms")), concurrency=int(self.get("concurrency")),
            interact=bool(self.get("interact")), evidence=bool(self.get("evidence")), trace=bool(self.get("trace")),
            browser=self.get("browser"), thresholds=thresholds, lexicon_dirs=tuple(lex.get("dirs", ())),
            languages=tuple(lex.get("languages", ())), tracker_files=tuple(self.get("trackers").get("files", ())),
            select=tuple(self.get("select")), ignore=tuple(self.get("ignore")),
            severity=tuple(sorted(self.get("severity").items())),
            overrides=tuple(Override(match=o["match"], select=tuple(o.get("select", ())),
                                     ignore=tuple(o.get("ignore", ())),
                                     severity=tuple(sorted(o.get("severity", {}).items())),
                                     fail_on=o.get("fail-on")) for o in self.get("overrides")),
            baseline=self.get("baseline"), base=self.get("base"))
        values.update(extra)
        return Options(**values)

    def effective(self) -> dict[str, Any]:
        return {k: self.get(k) for k in DEFAULTS}

    def describe(self) -> str:
        """The effective configuration as TOML-like lines, each with its source."""
        lines = [f"# configuration file: {self.where or 'none found'}"]
        for key in DEFAULTS:
            value = self.get(key)
            shown = json.dumps(value, ensure_ascii=False) if value is not None else "(not set)"
            lines.append(f"{key} = {shown}  # {self.sources.get(key, 'default')}")
        return "\n".join(lines)


def find(start: Path | None = None) -> Path | None:
    """The nearest ``consent-auditor.toml``, or ``pyproject.toml`` with a [tool.consent-auditor] table, from
    ``start`` up to the repository root."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / FILE_NAME
        if candidate.is_file():
            return candidate
        py = folder / "pyproject.toml"
        if py.is_file():
            try:
                data = tomllib.loads(py.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
                raise ConfigError(f"{py}: invalid TOML: {exc}") from None
            if isinstance(data.get("tool"), dict) and SECTION[1] in data["tool"]:
                return py
        if (folder / ".git").exists():
            break
    return None


def _read(path: Path) -> tuple[dict, str, str]:
    """(the settings table, how it is named in messages, the file's text)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    if path.name == "pyproject.toml":
        table = data.get("tool", {}).get(SECTION[1]) if isinstance(data.get("tool"), dict) else None
        if table is None:
            raise ConfigError(f"{path}: no [tool.consent-auditor] table")
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: tool.consent-auditor: expected a table")
        return table, f"{path} [tool.consent-auditor]", text
    return data, str(path), text


def validate(data: Mapping, where: str, prefix: str = "") -> None:
    """Raise ``ConfigError`` naming ``where`` and the key for the first problem the schema finds."""
    from jsonschema import Draft202012Validator
    validator = Draft202012Validator(schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path))))
    if not errors:
        return
    e = errors[0]
    path = [str(p) for p in e.absolute_path]
    key = ".".join(([prefix] if prefix else []) + path)
    if e.validator == "additionalProperties":
        allowed = set((e.schema.get("properties") or {}))
        unknown = sorted(set(e.instance) - allowed) if isinstance(e.instance, dict) else []
        name = unknown[0] if unknown else "?"
        full = ".".join(([prefix] if prefix else []) + path + [name])
        close = difflib.get_close_matches(name, sorted(allowed), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else (f" (known: {', '.join(sorted(allowed))})" if allowed else "")
        raise ConfigError(f"{where}: {full}: unknown key{hint}")
    if e.validator == "type":
        raise ConfigError(f"{where}: {key}: expected {_type_name(e.validator_value)}, got {e.instance!r}")
    if e.validator == "enum":
        raise ConfigError(f"{where}: {key}: expected one of {', '.join(map(str, e.validator_value))}, got {e.instance!r}")
    if e.validator == "propertyNames":
        raise ConfigError(f"{where}: {key}: {e.instance!r} is not a check id")
    raise ConfigError(f"{where}: {key or '(top level)'}: {e.message}")


def _type_name(t) -> str:
    names = {"array": "a list", "object": "a table", "string": "text", "number": "a number",
             "integer": "a whole number", "boolean": "true or false", "null": "nothing"}
    if isinstance(t, list):
        return " or ".join(names.get(x, x) for x in t)
    return names.get(t, t)


def _resolve_paths(values: dict, base: Path) -> dict:
    out = dict(values)
    for k in PATHS:
        if isinstance(out.get(k), str) and k != "browser" or (k == "browser" and isinstance(out.get(k), str)
                                                                and ("/" in out[k] or "\\" in out[k])):
            out[k] = str((base / out[k]).expanduser()) if not Path(out[k]).expanduser().is_absolute() \
                else str(Path(out[k]).expanduser())
    for k in PATH_LISTS:
        if isinstance(out.get(k), list):
            out[k] = [str(base / p) if not Path(p).is_absolute() else p for p in out[k]]
    if isinstance(out.get("urls"), list):  # a local page named relative to the file
        out["urls"] = [str(base / u) if _local(u) and not Path(u).is_absolute() else u for u in out["urls"]]
    if isinstance(out.get("lexicon"), dict) and isinstance(out["lexicon"].get("dirs"), list):
        out["lexicon"] = dict(out["lexicon"], dirs=[str((base / d).resolve()) for d in out["lexicon"]["dirs"]])
    if isinstance(out.get("trackers"), dict) and isinstance(out["trackers"].get("files"), list):
        out["trackers"] = dict(out["trackers"], files=[str((base / f).resolve()) for f in out["trackers"]["files"]])
    return out


def _local(target: str) -> bool:
    from auditor.targets import HTML_SUFFIXES
    return "://" not in target and (target.startswith((".", "/")) or target.lower().endswith(HTML_SUFFIXES))


def _from_env(env: Mapping[str, str]) -> tuple[dict, dict]:
    values, sources = {}, {}
    props = schema()["properties"]
    for name, raw in sorted(env.items()):
        if not name.startswith(ENV_PREFIX) or name == ENV_CONFIG:
            continue
        key = name[len(ENV_PREFIX):].lower().replace("_", "-")
        if key in DEFAULTS and key not in ENV_KEYS:
            raise ConfigError(f"environment variable {name}: `{key}` is a table, set it in the config file")
        if key not in ENV_KEYS:
            close = difflib.get_close_matches(key, ENV_KEYS, n=1)
            hint = f" (did you mean {ENV_PREFIX + close[0].upper().replace('-', '_')}?)" if close else ""
            raise ConfigError(f"environment variable {name}: unknown setting{hint}")
        kind = props[key].get("type", "string")
        try:
            if kind == "array":
                value: Any = [v.strip() for v in raw.split(",") if v.strip()]
            elif kind == "boolean":
                low = raw.strip().lower()
                if low not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
                    raise ValueError
                value = low in ("1", "true", "yes", "on")
            elif kind == "integer":
                value = int(raw)
            elif kind == "number":
                value = float(raw)
            else:
                value = raw
        except ValueError:
            raise ConfigError(f"environment variable {name}: expected {_type_name(kind)}, got {raw!r}") from None
        values[key] = value
        sources[key] = f"env {name}"
    if values:
        try:
            validate(values, "environment")
        except ConfigError as exc:
            key = str(exc).split(": ")[1].split(".")[0] if ": " in str(exc) else ""
            var = ENV_PREFIX + key.upper().replace("-", "_") if key in values else "CONSENT_AUDITOR_*"
            raise ConfigError(f"environment variable {var}: {str(exc).split(': ', 2)[-1]}") from None
    return _resolve_paths(values, Path.cwd()), sources


def load(config: str | Path | None = None, flags: Mapping[str, Any] | None = None,
         env: Mapping[str, str] | None = None, cwd: Path | None = None) -> Project:
    """The effective configuration: built-in defaults, then the file (``config``, CONSENT_AUDITOR_CONFIG or
    the one found from ``cwd``), then the environment, then ``flags`` (values that are None were not given)."""
    env = os.environ if env is None else env
    explicit = config or env.get(ENV_CONFIG) or None
    path = Path(explicit).expanduser() if explicit else find(cwd)
    project = Project()
    if path is not None:
        table, where, text = _read(path)
        prefix = "tool.consent-auditor" if path.name == "pyproject.toml" else ""
        validate(table, where if not prefix else str(path), prefix)
        values = _resolve_paths(table, path.parent.resolve())
        project = Project(file=path, where=where, text=text, values=dict(values),
                          sources={k: where for k in values}, raw=dict(table))
    env_values, env_sources = _from_env(env)
    project.values.update(env_values)
    project.sources.update(env_sources)
    for key, value in (flags or {}).items():
        if value is None or value == () or value == []:
            continue
        if key not in DEFAULTS:
            raise KeyError(key)
        project.values[key] = list(value) if isinstance(value, tuple) else value
        project.sources[key] = f"flag --{key}"
    return project
