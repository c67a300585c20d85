"""Project config: found by itself, environment over file, flags over both, strictly validated, sources shown."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from auditor import project
from auditor.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_pyproject_table_is_found_from_a_subfolder(tmp_path):
    (tmp_path / ".git").mkdir()
    write(tmp_path / "pyproject.toml", '[project]\nname = "x"\n[tool.consent-auditor]\nfail-on = "medium"\n'
                                        'urls = ["https://shop.example/"]\nbaseline = "ci/baseline.toml"\n')
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    p = project.load(cwd=sub, env={})
    assert p.file == tmp_path / "pyproject.toml"
    assert p.get("fail-on") == "medium" and p.get("urls") == ["https://shop.example/"]
    assert p.get("baseline") == str(tmp_path / "ci" / "baseline.toml")  # relative to the file
    assert p.sources["fail-on"].endswith("[tool.consent-auditor]")
    assert p.targets("urls")[0][1].line == 5


def test_consent_auditor_toml_wins_over_pyproject_in_the_same_folder_and_search_stops_at_repo_root(tmp_path):
    write(tmp_path / "consent-auditor.toml", 'fail-on = "high"\n')
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    assert project.load(cwd=repo, env={}).file is None  # the file above the repository root is not used
    write(repo / "pyproject.toml", '[tool.consent-auditor]\nfail-on = "low"\n')
    write(repo / "consent-auditor.toml", 'fail-on = "medium"\n')
    assert project.load(cwd=repo, env={}).get("fail-on") == "medium"


def test_pyproject_without_the_table_is_skipped(tmp_path):
    (tmp_path / ".git").mkdir()
    write(tmp_path / "pyproject.toml", '[project]\nname = "x"\n')
    assert project.load(cwd=tmp_path, env={}).file is None


def test_precedence_flag_over_env_over_file(tmp_path):
    cfg = write(tmp_path / "consent-auditor.toml", 'fail-on = "low"\ntimeout = 12\nconcurrency = 2\n')
    env = {"CONSENT_AUDITOR_FAIL_ON": "medium", "CONSENT_AUDITOR_TIMEOUT": "20", "CONSENT_AUDITOR_IGNORE": "a-b, c-d"}
    p = project.load(cfg, flags={"fail-on": "high", "timeout": None}, env=env)
    assert p.get("fail-on") == "high" and p.sources["fail-on"] == "flag --fail-on"
    assert p.get("timeout") == 20.0 and p.sources["timeout"] == "env CONSENT_AUDITOR_TIMEOUT"
    assert p.get("concurrency") == 2 and p.sources["concurrency"] == str(cfg)
    assert p.get("ignore") == ["a-b", "c-d"]
    assert "default" in p.describe() and "env CONSENT_AUDITOR_TIMEOUT" in p.describe()


@pytest.mark.parametrize("text,needle", [
    ('timout = 3\n', "timout: unknown key (did you mean 'timeout'?)"),
    ('timeout = "slow"\n', "timeout: expected a number, got 'slow'"),
    ('fail-on = "critical"\n', "fail-on: expected one of low, medium, high"),
    ('[thresholds]\ntiny_font = 3\n', "thresholds.tiny_font: unknown key (did you mean 'tiny_font_px'?)"),
    ('[[overrides]]\nmatch = "*/checkout*"\nfail_on = "high"\n', "overrides.0.fail_on: unknown key (did you mean 'fail-on'?)"),
    ('[severity]\nprechecked-consent = "urgent"\n', "severity.prechecked-consent: expected one of low, medium, high"),
    ('urls = "https://a/"\n', "urls: expected a list"),
    ('interact = "yes"\n', "interact: expected true or false"),
])
def test_bad_config_names_the_file_and_the_key(tmp_path, text, needle):
    cfg = write(tmp_path / "consent-auditor.toml", text)
    with pytest.raises(ConfigError) as info:
        project.load(cfg, env={})
    assert str(cfg) in str(info.value) and needle in str(info.value), str(info.value)


def test_bad_pyproject_key_is_named_with_its_table(tmp_path):
    cfg = write(tmp_path / "pyproject.toml", '[tool.consent-auditor]\nselect = ["prechecked-consent"]\nfailon = "x"\n')
    with pytest.raises(ConfigError, match=r"pyproject.toml: tool.consent-auditor.failon: unknown key"):
        project.load(cfg, env={})


@pytest.mark.parametrize("env,needle", [
    ({"CONSENT_AUDITOR_TIMEOT": "3"}, "CONSENT_AUDITOR_TIMEOT: unknown setting (did you mean CONSENT_AUDITOR_TIMEOUT?)"),
    ({"CONSENT_AUDITOR_TIMEOUT": "soon"}, "CONSENT_AUDITOR_TIMEOUT: expected a number"),
    ({"CONSENT_AUDITOR_INTERACT": "maybe"}, "CONSENT_AUDITOR_INTERACT: expected true or false"),
    ({"CONSENT_AUDITOR_FAIL_ON": "urgent"}, "CONSENT_AUDITOR_FAIL_ON: expected one of low, medium, high"),
])
def test_bad_environment_variable_is_named(tmp_path, env, needle):
    with pytest.raises(ConfigError) as info:
        project.load(cwd=tmp_path, env=env)
    assert needle in str(info.value), str(info.value)


def test_options_from_config_carry_thresholds_overrides_and_severity(tmp_path):
    cfg = write(tmp_path / "consent-auditor.toml", """
select = ["prechecked-consent", "hidden-agreement-text"]
[severity]
hidden-agreement-text = "low"
[thresholds]
tiny_font_px = 8
[[overrides]]
match = "*/checkout*"
ignore = ["hidden-agreement-text"]
fail-on = "high"
""")
    opts = project.load(cfg, env={}).options().validate()
    assert opts.thresholds.tiny_font_px == 8.0 and opts.select == ("prechecked-consent", "hidden-agreement-text")
    assert opts.severity == (("hidden-agreement-text", "low"),)
    assert opts.overrides[0].matches("https://shop.example/checkout/pay") and opts.overrides[0].fail_on == "high"
    assert not opts.overrides[0].matches("https://shop.example/signup")


def test_unknown_check_id_is_a_usage_error(tmp_path):
    from auditor.errors import UsageError
    cfg = write(tmp_path / "consent-auditor.toml", 'ignore = ["prechecked-consnet"]\n')
    with pytest.raises(UsageError, match="ignore: no check 'prechecked-consnet'"):
        project.load(cfg, env={}).options().validate()


def cli(*args, cwd: Path, env: dict | None = None):
    e = {k: v for k, v in os.environ.items() if not k.startswith("CONSENT_AUDITOR_")}
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "auditor", *args], cwd=cwd, env=e, capture_output=True,
                          text=True, timeout=60)


def test_auditor_config_prints_values_and_sources(tmp_path):
    (tmp_path / ".git").mkdir()
    write(tmp_path / "consent-auditor.toml", 'fail-on = "medium"\n')
    p = cli("config", cwd=tmp_path, env={"CONSENT_AUDITOR_TIMEOUT": "12"})
    assert p.returncode == 0, p.stderr
    assert 'fail-on = "medium"  # ' + str(tmp_path / "consent-auditor.toml") in p.stdout
    assert "timeout = 12.0  # env CONSENT_AUDITOR_TIMEOUT" in p.stdout
    assert "concurrency = 3  # default" in p.stdout
    data = json.loads(cli("config", "--json", cwd=tmp_path).stdout)
    assert data["settings"]["fail-on"] == {"value": "medium", "source": str(tmp_path / "consent-auditor.toml")}


def test_auditor_with_a_bad_config_exits_2_with_one_line(tmp_path):
    (tmp_path / ".git").mkdir()
    write(tmp_path / "consent-auditor.toml", 'timeout = "slow"\n')
    for args in (("config",), ("scan", "https://example.com/")):
        p = cli(*args, cwd=tmp_path)
        assert p.returncode == 2
        assert p.stderr.strip().count("\n") == 0 and "consent-auditor.toml: timeout: expected a number" in p.stderr
        assert "Traceback" not in p.stderr


@pytest.mark.parametrize("name", ["config", "flow", "report"])
def test_auditor_schema_prints_a_valid_json_schema(tmp_path, name):
    from jsonschema import Draft202012Validator
    p = cli("schema", name, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    Draft202012Validator.check_schema(json.loads(p.stdout))


def test_example_config_in_the_readme_validates(tmp_path):
    """The README's example config is the one users copy: it must load as written."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("```toml\n[tool.consent-auditor]")
    block = text[start + len("```toml\n"):text.index("```", start + 7)]
    cfg = write(tmp_path / "pyproject.toml", block)
    write(tmp_path / "consent-baseline.toml", "version = 1\n")  # the baseline it names is read when validated
    project.load(cfg, env={}).options().validate()


@pytest.mark.parametrize("text,needle", [
    ('select = ["nonsense"]\n', "consent-auditor.toml: select: no check 'nonsense'"),
    ('viewport = "10x10"\n', "consent-auditor.toml: --viewport: 10x10 is out of range"),
    ('timeout = nan\n', "consent-auditor.toml: timeout: expected a number"),
    ('[[overrides]]\nmatch = "re:("\n', "overrides: match 're:(': not a regular expression"),
    ('baseline = "nowhere.toml"\n', "nowhere.toml: baseline file not found"),
])
def test_bad_values_name_where_they_were_set(tmp_path, text, needle):
    from auditor.errors import AuditorError
    cfg = write(tmp_path / "consent-auditor.toml", text)
    with pytest.raises(AuditorError) as info:
        project.load(cfg, env={}).validated_options()
    assert needle in str(info.value), str(info.value)


def test_env_error_names_the_variable_of_a_nested_value_and_tables_are_file_only(tmp_path):
    with pytest.raises(ConfigError, match="CONSENT_AUDITOR_SELECT: "):
        project.load(cwd=tmp_path, env={"CONSENT_AUDITOR_SELECT": "Bad Id"})
    with pytest.raises(ConfigError, match="CONSENT_AUDITOR_SEVERITY: `severity` is a table, set it in the config file"):
        project.load(cwd=tmp_path, env={"CONSENT_AUDITOR_SEVERITY": "x"})


def test_targets_keep_the_line_that_names_them_and_local_pages_resolve_against_the_file(tmp_path):
    cfg = write(tmp_path / "sub" / "consent-auditor.toml",
                'urls = [\n  "https://a.example/",\n  "pages/x.xhtml",\n]\nflows = ["flows/f.yaml"]\n')
    p = project.load(cfg, env={})
    (url, o1), (page, o2) = p.targets("urls")
    assert (o1.line, o2.line) == (2, 3) and page == str(tmp_path / "sub" / "pages" / "x.xhtml")
    assert p.targets("flows")[0] == (str(tmp_path / "sub" / "flows" / "f.yaml"), p.targets("flows")[0][1])
    assert p.targets("flows")[0][1].line == 5
    env = project.load(cfg, env={"CONSENT_AUDITOR_URLS": "https://b.example/"})
    assert env.targets("urls") == [("https://b.example/", None)]


def test_cli_refuses_a_report_path_that_is_a_folder_before_any_browser(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "out.sarif").mkdir()
    p = cli("scan", "https://example.com/", "--sarif", "out.sarif", cwd=tmp_path)
    assert p.returncode == 2 and "--sarif out.sarif: is a folder" in p.stderr


def test_cli_scan_with_nothing_to_audit_says_where_targets_go(tmp_path):
    (tmp_path / ".git").mkdir()
    p = cli("scan", cwd=tmp_path)
    assert p.returncode == 2 and "`urls` for scan" in p.stderr
