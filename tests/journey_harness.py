"""The journey harness: walk annotated fixture flows in real Chromium and compare the journey checks' findings
with the annotations in the flow files (see fixtures/README.md, "Journey checks").

A flow file ``fixtures/checks/<journey-check>/*.yaml`` carries its expectations as YAML comments:

- ``# expect-fail: CHECK`` at the end of a step's line (or of the ``start:`` line for step 0): the check must
  report a finding first at that step;
- ``# expect-pass: CHECK`` at the end of a step's line: the check must report nothing at that step (a tricky
  moment: the person added something, a fee was shown from the start, ...);
- on a line of its own, ``# expect-pass: CHECK`` says the whole flow is a passing case.

Strict both ways: a finding of a journey check at a step not annotated ``expect-fail`` for it is a false alarm.
Only journey checks are judged here; the page checks have their own harness.

A flow whose case the detector cannot judge yet says so on a line of its own:
``# known-limitation: CHECK: why``. Its annotations stay as the truth; the test of that flow is an expected
failure (strict: it fails the suite the day it passes, so the note is removed), and its cases do not count
towards the minimum a check needs.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from pathlib import Path

from harness import FIXTURES, run_in_thread

ANNOTATION = re.compile(r"#\s*expect-(fail|pass):\s*([a-z0-9\- ]+?)\s*$")
LIMITATION = re.compile(r"^\s*#\s*known-limitation:\s*([a-z0-9\-]+):\s*(.+?)\s*$")


@dataclass
class FlowCase:
    path: str  # relative to fixtures/
    fail: dict = field(default_factory=dict)  # check -> set of step indexes
    pass_steps: dict = field(default_factory=dict)  # check -> set of step indexes
    pass_flow: set = field(default_factory=set)  # checks the whole flow passes
    limitations: dict = field(default_factory=dict)  # check -> why the detector cannot judge this flow yet

    def cases(self, check: str) -> tuple[int, int]:
        """(failing, passing) cases of ``check`` in this flow (none while it is a known limitation)."""
        if check in self.limitations:
            return 0, 0
        return (len(self.fail.get(check, ())),
                len(self.pass_steps.get(check, ())) + (1 if check in self.pass_flow else 0))


@dataclass
class FlowOutcome:
    case: FlowCase
    error: str = ""
    complete: bool = True
    found: list = field(default_factory=list)  # (check, step index, message)

    def problems(self) -> list[str]:
        if self.error and not self.complete:
            return [f"flow did not finish: {self.error}"]
        out = []
        fired = {}
        for check, step, msg in self.found:
            fired.setdefault(check, set()).add(step)
            if step not in self.case.fail.get(check, ()):
                out.append(f"false alarm: {check} at step {step}: {msg}")
        for check, steps in self.case.fail.items():
            for step in sorted(steps - fired.get(check, set())):
                out.append(f"missed: {check} at step {step}")
        return out


def read_case(path: Path) -> FlowCase:
    """The annotations of one fixture flow (steps located through the flow loader's line numbers)."""
    from auditor.flows.spec import load_flow

    flow = load_flow(path, "http://127.0.0.1:1")
    step_of_line = {s.line: s.index for s in flow.steps}
    case = FlowCase(path.relative_to(FIXTURES).as_posix())
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        lim = LIMITATION.match(line)
        if lim:
            case.limitations[lim.group(1)] = lim.group(2)
            continue
        m = ANNOTATION.search(line)
        if not m:
            continue
        kind, checks = m.group(1), m.group(2).split()
        own_line = line.lstrip().startswith("#")
        if own_line:
            if kind != "pass":
                raise ValueError(f"{path}:{n}: expect-fail belongs at the end of a step's line")
            case.pass_flow.update(checks)
            continue
        if line.lstrip().startswith("start:"):
            step = 0
        elif n in step_of_line:
            step = step_of_line[n]
        else:
            raise ValueError(f"{path}:{n}: an annotation at the end of a line that is not a step or 'start:'")
        target = case.fail if kind == "fail" else case.pass_steps
        for c in checks:
            target.setdefault(c, set()).add(step)
    return case


def fixture_flows(checks: list[str] | None = None) -> list[Path]:
    folders = [FIXTURES / "checks" / c for c in checks] if checks else sorted((FIXTURES / "checks").iterdir())
    return sorted(p for f in folders if f.is_dir() for p in f.glob("*.yaml"))


def walk_fixture_flows(paths: list[Path], origin: str, browser_path: str | None = None,
                       concurrency: int = 3) -> dict[str, FlowOutcome]:
    """Walk the flows with only the journey checks on (no evidence files); an outcome per flow path."""
    from auditor.engine import AuditOptions, browser_session
    from auditor.flows.runner import walk
    from auditor.flows.spec import load_flow
    from auditor.models import RunSettings
    from auditor.registry import discover

    cases = [read_case(p) for p in paths]
    flows = [load_flow(p, origin) for p in paths]
    journey = tuple(s for s in discover() if s.scope == "journey")
    opts = AuditOptions(settings=RunSettings(timeout=30), browser_path=browser_path, out_dir=None,
                        concurrency=concurrency, evidence=False, checks=journey)

    async def main():
        async with browser_session(opts) as shared:
            async def one(i, flow):
                async with shared.semaphore:
                    return await walk(shared, flow, i + 1)
            return await asyncio.gather(*(one(i, f) for i, f in enumerate(flows)))

    results = run_in_thread(main())
    outcomes = {}
    for case, result in zip(cases, results):
        o = FlowOutcome(case, error=result.error, complete=result.complete)
        for st in result.steps:
            for f in (st.page.findings if st.page is not None else ()):
                if f.status == "fail":
                    o.found.append((f.check, st.index, f.message))
        outcomes[case.path] = o
    return outcomes
