"""Crawls on more than one machine: Celery with a Redis broker.

``auditor worker --broker redis://HOST:6379/0`` starts a worker. Each worker process keeps one browser (an
``Auditor`` per site and variant, reused across tasks, on one event loop of its own) and is recycled after
``--max-tasks`` tasks. ``auditor crawl PLAN --broker redis://...`` makes the run and its targets in the history as
usual, sends one task per target and writes each result as it comes back.

Tasks are acknowledged late and rejected when their worker process dies, so a task whose worker was killed
is delivered again to another; a result is written idempotently (a target's findings are replaced), so a task
done twice is stored once. The history stays with the coordinator: workers need only the broker.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from celery import Celery

#: seconds after which a task taken by a worker that vanished altogether (machine gone) is given to another
VISIBILITY_TIMEOUT = int(os.environ.get("AUDITOR_VISIBILITY_TIMEOUT", "600"))


def make_app(broker: str) -> Celery:
    app = Celery("consent_auditor", broker=broker, backend=broker)
    app.conf.update(
        task_acks_late=True, task_reject_on_worker_lost=True, worker_prefetch_multiplier=1,
        task_serializer="json", result_serializer="json", accept_content=["json"],
        broker_transport_options={"visibility_timeout": VISIBILITY_TIMEOUT},
        result_expires=7 * 24 * 3600, broker_connection_retry_on_startup=True, task_track_started=True,
        worker_hijack_root_logger=False)
    app.task(name="consent_auditor.audit_target", bind=True)(_audit_target)
    return app


# --------------------------------------------------------------------------- in the worker process

_LOOP: asyncio.AbstractEventLoop | None = None
_AUDITORS: dict = {}


def _loop() -> asyncio.AbstractEventLoop:
    global _LOOP
    if _LOOP is None:
        _LOOP = asyncio.new_event_loop()
    return _LOOP


def _audit_target(self, plan_file: str, key: str, site_name: str, variant_label: str, kind: str, target: str,
                  out: str, retries: int = 2) -> dict:
    """One target, audited in this worker process; returns what the coordinator stores."""
    trace = os.environ.get("AUDITOR_WORKER_TRACE")
    if trace:  # tests: which process took which target, and when
        with open(Path(trace) / f"{os.getpid()}.log", "a", encoding="utf-8") as fh:
            fh.write(f"start\t{key}\t{time.time()}\n")
    return _loop().run_until_complete(_run(plan_file, key, site_name, variant_label, kind, target, Path(out), retries))


async def _run(plan_file, key, site_name, variant_label, kind, target, out: Path, retries: int) -> dict:
    from auditor.api import Auditor
    from auditor.crawl import plan as plans
    from auditor.crawl.runner import audit_with_retries, group_options
    plan = plans.load(plan_file)
    site = next(s for s in plan.sites if s.name == site_name)
    variant = next(v for v in site.variants if v.label == variant_label)
    group_out, options = group_options(plan, site, variant, out)
    auditor = _AUDITORS.get((plan_file, site_name, variant_label))
    if auditor is None:
        auditor = Auditor(options)
        await auditor.__aenter__()
        _AUDITORS[(plan_file, site_name, variant_label)] = auditor
    t0 = time.monotonic()
    error, findings, report, tries = await audit_with_retries(auditor, {"kind": kind, "target": target}, group_out,
                                                              out, {"pages": [], "flows": []}, retries)
    return {"key": key, "error": list(error[:2]) if error else None, "findings": findings, "report": report,
            "retried": tries - 1, "seconds": round(time.monotonic() - t0, 3), "worker": os.getpid()}


# --------------------------------------------------------------------------- the coordinator


def crawl(plan, store, broker: str, *, resume: int | None = None, progress=None, timeout: float = 3600) -> int:
    """Make (or resume) the run, send its unfinished targets to the workers, store each result as it arrives."""
    from auditor import __version__
    from auditor.browser.page import utc_now
    from auditor.crawl.runner import target_rows
    progress = progress or (lambda e: None)
    app = make_app(broker)
    if resume is None:
        rows, problems = target_rows(plan)
        run_id = store.start_run(str(plan.file), plan.name, utc_now(), __version__, "")
        out = plan.out / f"run-{run_id:05d}"
        with store.tx() as db:
            db.execute("UPDATE runs SET out = ? WHERE id = ?", (str(out), run_id))
        store.add_targets(run_id, rows)
        for p in problems:
            progress({"event": "problem", "message": p})
    else:
        run_id, out = resume, Path(store.run_out(resume))
    todo = store.todo(run_id)
    progress({"event": "start", "run": run_id, "targets": len(todo), "broker": "redis"})
    pending = {}
    for t in todo:
        store.begin_target(run_id, t["key"], utc_now())
        pending[t["key"]] = app.send_task("consent_auditor.audit_target", args=[
            str(plan.file), t["key"], t["site"], t["variant"], t["kind"], t["target"], str(out), plan.retries])
    deadline = time.monotonic() + timeout
    done = 0
    status = "finished"
    try:
        while pending and time.monotonic() < deadline:
            for key, result in list(pending.items()):
                if not result.ready():
                    continue
                del pending[key]
                try:
                    value = result.get(timeout=5)
                    error = tuple(value["error"]) if value["error"] else None
                    store.finish_target(run_id, key, at=utc_now(), seconds=value["seconds"],
                                        findings=value["findings"], error=error, report=value["report"],
                                        retried=value["retried"])
                except Exception as exc:  # the task itself failed: this target's error
                    store.finish_target(run_id, key, at=utc_now(), seconds=0.0, findings=[],
                                        error=("internal", f"{type(exc).__name__}: {str(exc)[:200]}"))
                done += 1
                progress({"event": "target", "run": run_id, "key": key, "done": done, "total": len(todo)})
            time.sleep(0.2)
        if pending:
            status = "interrupted"
    except KeyboardInterrupt:
        status = "interrupted"
        raise
    finally:
        store.finish_run(run_id, utc_now(), status)
        progress({"event": "end", "run": run_id, "status": status})
    return run_id
