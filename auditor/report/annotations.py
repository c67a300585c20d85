"""GitHub Actions annotations: one workflow command per finding that is new to the run.

``::error file=flows/checkout.yml,line=12,title=prechecked-consent: Optional consent is pre-selected::message``

* Only findings the baseline does not accept: status ``fail`` and baseline status ``new`` or ``expired`` (or
  ``""`` when the run had no baseline: every finding is new then). Known, not-reviewed and needs-review findings
  make no annotation. ``fail_on`` (a severity or a function of the page address) leaves out the ones below it.
* ``high`` -> ``error``, ``medium`` -> ``warning``, ``low`` -> ``notice``.
* ``file`` and ``line``: where the page was named (the flow file and the step's line, the targets file or config
  line; see :func:`auditor.report.sarif.named_at`), relative to ``root``; a page named on the command line
  gets an annotation without a file (shown on the run, not in the diff).
* Escaping, as the runner reads commands: in the message ``%`` ``\\r`` ``\\n`` become ``%25`` ``%0D`` ``%0A``;
  in property values ``:`` and ``,`` also become ``%3A`` ``%2C``. Page text is cleaned of control characters
  first (:func:`auditor.report.console.clean`), so a page can neither end the command line and start a command
  of its own (``::add-mask::``, ``::stop-commands::``) nor colour the log.

GitHub shows at most 10 error and 10 warning annotations a step (50 a job); the full list is in the other
reports.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable, TextIO

from auditor.models import AuditRun
from auditor.registry import CheckSpec
from auditor.report.console import clean
from auditor.report.sarif import Placed, fails, named_at, placed

COMMANDS = {"high": "error", "medium": "warning", "low": "notice"}


def escape_data(text: str) -> str:
    """The message of a workflow command."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value of a workflow command (``file=``, ``title=``)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(item: Placed, root: str | Path | None = None, titles: dict[str, str] | None = None) -> str:
    """The workflow command for one finding."""
    f = item.finding
    props = []
    where = named_at(item, root)
    if where is not None:
        props += [f"file={escape_property(where[0])}", f"line={where[1]}"]
    title = clean(f.check) + (f": {titles[f.check]}" if titles and f.check in titles else "")
    props.append(f"title={escape_property(title)}")
    body = [clean(f.message), ("flow " if item.flow is not None else "page ") + item.where()]
    if item.flow is not None:
        body[-1] += f" ({clean(item.url)})"
    if f.baseline == "expired":
        body.append("baseline: accepted once; the acceptance has expired, so it fails the run again")
    return f"::{COMMANDS.get(f.severity, 'warning')} {','.join(props)}::{escape_data(chr(10).join(body))}"


def lines(run: AuditRun, root: str | Path | None = None, *, specs: Iterable[CheckSpec] = (),
          fail_on: str | Callable[[str], str] | None = None) -> list[str]:
    """One workflow command per new or expired finding (see the module doc). ``specs`` add the checks' titles
    to the annotation titles."""
    titles = {s.id: s.title for s in specs}
    out = []
    for item in placed(run):
        f = item.finding
        if f.status != "fail" or f.baseline not in ("", "new", "expired"):
            continue
        if fail_on is not None and not fails(f, item.page, fail_on):
            continue
        out.append(command(item, root, titles))
    return out


def emit(run: AuditRun, stream: TextIO, root: str | Path | None = None, **kw) -> int:
    """Write the commands to ``stream`` (the step's stdout); returns how many."""
    cmds = lines(run, root, **kw)
    for line in cmds:
        stream.write(line + "\n")
    stream.flush()
    return len(cmds)


def render(run: AuditRun, specs: tuple[CheckSpec, ...] = (), **kw) -> str:
    """The commands as text. Keywords: ``root``, ``fail_on``."""
    cmds = lines(run, kw.pop("root", None), specs=specs, **kw)
    return "".join(line + "\n" for line in cmds)


def write(run: AuditRun, path: str | Path, specs: tuple[CheckSpec, ...] = (), **kw) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(run, specs, **kw), encoding="utf-8")
    return path
