"""The CI examples in the README (examples/github-actions.yml, examples/gitlab-ci.yml) run as written against the
bundled demo shop: the auditor steps of each, with the site they name served here. Steps that install things or
start a server are the CI machine's business and are skipped; the site is served by the test instead."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from devserver import serve
from specs import sarif_schema

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def shell(script: str, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    """A step's script in bash, with the venv's `auditor` first on PATH (as `pip install` would give)."""
    e = {k: v for k, v in os.environ.items() if not k.startswith(("CONSENT_AUDITOR_", "GITHUB_"))}
    e.update(env)
    e["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{e.get('PATH', '')}"
    return subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=cwd, env=e, capture_output=True,
                          text=True, timeout=600)


def auditor_steps(lines: list[str]) -> list[str]:
    return [s for s in lines if "auditor " in s and "pip install" not in s] or pytest.fail("no auditor step")


def test_readme_shows_the_example_files_as_they_are():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in ("github-actions.yml", "gitlab-ci.yml"):
        assert (EXAMPLES / name).read_text(encoding="utf-8").rstrip() in readme, name


@pytest.mark.browser
def test_github_actions_example(tmp_path):
    workflow = yaml.safe_load((EXAMPLES / "github-actions.yml").read_text(encoding="utf-8"))
    job = workflow["jobs"]["consent-audit"]
    steps = [s for s in job["steps"] if "run" in s and ("auditor " in s["run"] or "GITHUB_STEP_SUMMARY" in s["run"])
             and "pip install" not in s["run"] and "http.server" not in s["run"]]
    assert [s["name"] for s in steps] == ["Audit sign-up and checkout", "Step summary"]
    summary = tmp_path / "step-summary.md"
    (tmp_path / ".git").mkdir()
    with serve(ROOT / "fixtures") as (origin, _):
        env = {"SITE_URL": job["env"]["SITE_URL"].replace("http://localhost:8000", origin),
               "GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
        # once, by hand: accept what the site shows today (README, "Baselines")
        first = shell(steps[0]["run"].rstrip() + " --update-baseline", tmp_path, env)
        assert first.returncode == 0, first.stdout + first.stderr
        assert (tmp_path / "consent-baseline.toml").exists()
        gate = shell(steps[0]["run"], tmp_path, env)
        assert gate.returncode == 0, gate.stdout + gate.stderr  # every finding known: the gate passes
        assert "::error" not in gate.stdout  # annotations only for new or expired findings
        done = shell(steps[1]["run"], tmp_path, env)
        assert done.returncode == 0, done.stderr
    text = summary.read_text(encoding="utf-8")
    assert "prechecked-consent" in text or "Known" in text
    upload = next(s for s in job["steps"] if s.get("uses", "").startswith("github/codeql-action/upload-sarif"))
    sarif = json.loads((tmp_path / upload["with"]["sarif_file"]).read_text(encoding="utf-8"))
    import jsonschema
    jsonschema.validate(sarif, sarif_schema())
    assert sarif["runs"][0]["results"]
    artifact = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/upload-artifact"))
    assert (tmp_path / artifact["with"]["path"] / "report.html").exists()


@pytest.mark.browser
def test_gitlab_ci_example(tmp_path):
    from junitparser import JUnitXml
    job = yaml.safe_load((EXAMPLES / "gitlab-ci.yml").read_text(encoding="utf-8"))["consent-audit"]
    script = auditor_steps(job["script"])
    assert len(script) == 1
    (tmp_path / ".git").mkdir()
    (tmp_path / "flows").mkdir()
    for name in ("dark-signup.yaml", "dark-checkout.yaml"):
        shutil.copyfile(ROOT / "fixtures" / "flows" / name, tmp_path / "flows" / name)
    with serve(ROOT / "fixtures") as (origin, _):
        env = {"SITE_URL": origin}
        first = shell(script[0] + " --update-baseline", tmp_path, env)
        assert first.returncode == 0, first.stdout + first.stderr
        gate = shell(script[0], tmp_path, env)
        assert gate.returncode == 0, gate.stdout + gate.stderr
    report = tmp_path / job["artifacts"]["reports"]["junit"]
    xml = JUnitXml.fromfile(str(report))
    suites = list(xml)
    assert len(suites) == 2 and all(s.name.startswith("flow: ") for s in suites)
    assert sum(s.tests for s in suites) > 0 and sum(s.failures for s in suites) == 0  # baselined: no failure
    for path in job["artifacts"]["paths"]:
        assert (tmp_path / path).exists()
