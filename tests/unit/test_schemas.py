"""The published JSON Schemas (auditor/schemas/): valid draft 2020-12 schemas; the flow schema agrees with the
flow loader (every flow file in the repository passes, what load_flow refuses is refused); a report built from
model values by auditor.report.json_report passes the report schema, and broken reports do not."""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from pathlib import Path

import pytest
import yaml
from builders import (CTX, cookie, control, journey, phase_state, ref, refusal, request, styled_button,
                      styled_overlay, text)
from jsonschema import Draft202012Validator

from auditor import schemas
from auditor.flows.spec import FlowError, load_flow
from auditor.models import (AuditRun, BaselineEntry, BaselineResult, Box, BrowserInfo, ChoiceFacts, CookieFact,
                            Discovery, ElementRef, FlowResult, FlowStep, FrameSnapshot, Note, PageError, PageResult,
                            Presentation, RequestFact, RunSettings, StateFacts, StorageItem, to_dict)

ROOT = Path(__file__).resolve().parents[2]
BASE = "http://127.0.0.1:9999"


@pytest.fixture(scope="module")
def flow_schema():
    return Draft202012Validator(schemas.load("flow"))


@pytest.fixture(scope="module")
def report_schema():
    return Draft202012Validator(schemas.load("report"))


def errors(validator, instance) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in
            sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path)))]


# --------------------------------------------------------------------------- the schemas themselves


@pytest.mark.parametrize("name", ["flow", "report"])
def test_the_schemas_are_valid_draft_2020_12_schemas(name):
    schema = schemas.load(name)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"https://consent-auditor.dev/schemas/{name}.schema.json"


@pytest.mark.parametrize("name", ["flow", "report"])
def test_every_property_has_a_title_and_a_description(name):
    """Editors show them: every entry of every ``properties`` says what it is."""
    missing = []

    def walk(node, path):
        if isinstance(node, dict):
            for key, sub in node.items():
                if key == "properties" and isinstance(sub, dict):
                    missing.extend(f"{path}/{p}" for p, s in sub.items()
                                   if not (s.get("title") and s.get("description")))
                walk(sub, f"{path}/{key}")
        elif isinstance(node, list):
            for i, sub in enumerate(node):
                walk(sub, f"{path}/{i}")

    walk(schemas.load(name), "")
    assert not missing, missing


def test_load_gives_a_fresh_dict_and_refuses_unknown_names():
    a = schemas.load("flow")
    a["title"] = "changed"
    assert schemas.load("flow")["title"] != "changed"
    assert set(schemas.NAMES) == {"config", "flow", "report"}
    with pytest.raises(ValueError, match="no schema"):
        schemas.load("nope")


# --------------------------------------------------------------------------- flow files


def repository_flows() -> list[Path]:
    """Every flow file (YAML) in fixtures/ and tests/ (npm packages' YAML under node_modules is not ours)."""
    found = [p for top in ("fixtures", "tests") for pattern in ("*.yaml", "*.yml")
             for p in (ROOT / top).rglob(pattern) if "node_modules" not in p.parts]
    return sorted(found)


FLOW_FILES = repository_flows()


def test_the_repository_has_flow_files():
    names = {p.relative_to(ROOT).as_posix() for p in FLOW_FILES}
    assert len(FLOW_FILES) >= 70
    assert {"fixtures/flows/dark-checkout.yaml", "fixtures/flows/clean-signup.yaml"} <= names
    assert any(n.startswith("fixtures/checks/drip-pricing/") for n in names)
    assert any(n.startswith("fixtures/shops/") for n in names)


@pytest.mark.parametrize("path", FLOW_FILES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_flow_file_in_the_repository_validates(flow_schema, path):
    load_flow(path, BASE)  # a flow file the loader takes...
    assert errors(flow_schema, yaml.safe_load(path.read_text(encoding="utf-8"))) == []  # ...the schema takes


HEAD = "name: x\nstart: /a\nsteps:\n"

#: flows load_flow takes (each, with the schema, read both ways)
VALID = [
    HEAD + "  - click: a\n",
    HEAD + "  - audit\n  - scroll\n",
    HEAD + "  - audit:\n  - scroll:\n  - audit: ''\n",
    HEAD + "  - click: {target: a, final: false}\n  - press: {key: Enter, final: true}\n",
    HEAD + "  - click: a\n    final: true\n    name: pay\n    timeout: 3\n",
    HEAD + "  - click: {target: a, name: n, timeout: 2.5}\n",
    HEAD + "  - fill: {target: a, value: 0}\n  - select: {target: '#c', value: 1}\n",
    HEAD + "  - fill: {target: '#cc', frame: \"iframe[title='Card'] >> iframe\",\n"
           "          value: '{{ identity.card_number }}'}\n",
    HEAD + "  - fill: {target: a, value: '{{identity.email}} / {{ identity.first_name }}'}\n",
    HEAD + "  - fill: {target: a, value: '{{ Upper }} is not a template'}\n",
    HEAD + "  - press: {target: '#postcode', key: Enter}\n",
    HEAD + "  - expect: hi\n  - expect: {target: '#a'}\n  - expect: {text: '', target: '#a'}\n",
    HEAD + "  - scroll: {to: top}\n  - scroll: {target: '#a'}\n  - scroll: {}\n  - audit: {label: x, name: y}\n",
    HEAD + "  - wait_for: {target: a, timeout: 20}\n  - check: {target: a, frame: f}\n  - uncheck: a\n",
    HEAD + "  - goto: http://h/\n  - goto: HTTPS://h/p\n  - goto: 127.0.0.1:8000/x\n  - goto: {url: /x}\n  - goto: 5\n",
    HEAD + "  - click: 5\n",
    "name: x\nstart: https://shop.example/\nviewport: ' 1280 × 800 '\nlocale: de-DE\nscope: [a, b]\n"
    "allow_submit: true\nidentity: {seed: 3}\nsteps:\n  - audit\n",
    "name: x\nstart: /a\nviewport:\nscope:\nidentity:\nlocale:\nsteps:\n  - audit\n",
    "name: x\nstart: /a\nscope: []\nidentity: {}\nsteps:\n  - audit\n",
]

#: flows load_flow refuses, and what it says
INVALID = [
    (HEAD + "  - click: a\n  - hover: b\n", "unknown step kind 'hover'"),
    (HEAD + "  - click: a\n    check: b\n", "exactly one kind"),
    (HEAD + "  - name: only a name\n", "exactly one kind"),
    (HEAD + "  - click\n", "a step is a mapping"),
    (HEAD + "  - expect\n", "needs text or target"),
    (HEAD + "  - {}\n", "a step is a mapping"),
    (HEAD + "  - 5\n", "a step is a mapping"),
    (HEAD + "  - click:\n", "takes a mapping"),
    (HEAD + "  - click: ''\n", "needs 'target'"),
    (HEAD + "  - click: [a]\n", "takes a mapping"),
    (HEAD + "  - fill: a\n", "takes a mapping"),
    (HEAD + "  - fill: {target: '#e'}\n", "needs 'value'"),
    (HEAD + "  - fill: {target: a, value: ''}\n", "needs 'value'"),
    (HEAD + "  - fill: {target: a, value: [1]}\n", "must be text"),
    (HEAD + "  - fill: {target: a, value: b, frame: null}\n", "must be text"),
    (HEAD + "  - press: Enter\n", "takes a mapping"),
    (HEAD + "  - press: {target: a}\n", "needs 'key'"),
    (HEAD + "  - expect: ''\n", "needs text or target"),
    (HEAD + "  - expect: {}\n", "needs text or target"),
    (HEAD + "  - expect: {text: ''}\n", "needs text or target"),
    (HEAD + "  - audit: {frame: x}\n", "does not take 'frame'"),
    (HEAD + "  - click: {target: a, force: true}\n", "does not take 'force'"),
    (HEAD + "  - goto: {url: /x, frame: '#f'}\n", "does not take 'frame'"),
    (HEAD + "  - goto: ftp://example.com/\n", "only http and https"),
    (HEAD + "  - goto: javascript:alert(1)\n", "only http and https"),
    (HEAD + "  - goto: localhost:8000/x\n", "only http and https"),
    (HEAD + "  - goto: http:/x\n", "only http and https"),
    (HEAD + "  - goto: 'http://'\n", "only http and https"),
    (HEAD + "  - goto: '  '\n", "a URL must be text"),
    (HEAD + "  - goto: {url: 5}\n", "must be text"),
    (HEAD + "  - fill: {target: '#e', value: '{{ identity.shoe_size }}'}\n", "unknown value"),
    (HEAD + "  - fill: {target: a, value: '{{ identity.email }} {{ foo }}'}\n", "unknown value"),
    (HEAD + "  - click: '{{ identity.namex }}'\n", "unknown value"),
    (HEAD + "  - click: a\n    timeout: 0\n", "'timeout' must be a positive"),
    (HEAD + "  - click: {target: a, timeout: '2'}\n", "'timeout' must be a positive"),
    (HEAD + "  - fill: {target: a, value: b, final: false}\n", "'final' is true or false"),
    (HEAD + "  - fill: {target: a, value: b}\n    final: false\n", "'final' is true or false"),
    (HEAD + "  - click: {target: a, final: 'no'}\n", "'final' is true or false"),
    ("name: x\nstart: /a\nsteps: []\n", "missing 'steps'"),
    ("name: x\nstart: /a\n", "missing 'steps'"),
    ("name: x\nstart: /a\nsteps: audit\n", "'steps' must be a list"),
    ("start: /a\nsteps:\n  - audit\n", "missing 'name'"),
    ("name: ''\nstart: /a\nsteps:\n  - audit\n", "missing 'name'"),
    ("name: 5\nstart: /a\nsteps:\n  - audit\n", "'name' must be text"),
    ("name: x\nsteps:\n  - audit\n", "missing 'start'"),
    ("name: x\nstart: ftp://a/\nsteps:\n  - audit\n", "only http and https"),
    ("name: x\nstart: /a\nwhatever: 1\nsteps:\n  - audit\n", "unknown key 'whatever'"),
    ("name: x\nstart: /a\nviewport: big\nsteps:\n  - audit\n", "viewport"),
    ("name: x\nstart: /a\nviewport: 1x1\nsteps:\n  - audit\n", "viewport"),
    ("name: x\nstart: /a\nviewport: 1280\nsteps:\n  - audit\n", "viewport"),
    ("name: x\nstart: /a\nscope: a\nsteps:\n  - audit\n", "'scope' must be a list"),
    ("name: x\nstart: /a\nscope: ['']\nsteps:\n  - audit\n", "'scope' must be a list"),
    ("name: x\nstart: /a\nscope: [1]\nsteps:\n  - audit\n", "'scope' must be a list"),
    ("name: x\nstart: /a\nidentity: {seed: x}\nsteps:\n  - audit\n", "'identity' must be a mapping"),
    ("name: x\nstart: /a\nidentity: 7\nsteps:\n  - audit\n", "'identity' must be a mapping"),
    ("name: x\nstart: /a\nallow_submit: 'yes'\nsteps:\n  - audit\n", "'allow_submit' must be true or false"),
    ("name: x\nstart: /a\nallow_submit:\nsteps:\n  - audit\n", "'allow_submit' must be true or false"),
    ("- just\n- a list\n", "a flow file is a mapping"),
    ("just text\n", "a flow file is a mapping"),
]


def write(tmp_path, text: str) -> Path:
    p = tmp_path / "flow.yaml"
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize("text", VALID, ids=[f"valid{i}" for i in range(len(VALID))])
def test_flows_the_loader_takes_the_schema_takes(flow_schema, tmp_path, text):
    load_flow(write(tmp_path, text), BASE)
    assert errors(flow_schema, yaml.safe_load(text)) == []


@pytest.mark.parametrize("text, words", INVALID, ids=[f"{i}-{w}" for i, (_, w) in enumerate(INVALID)])
def test_flows_the_loader_refuses_the_schema_refuses(flow_schema, tmp_path, text, words):
    with pytest.raises(FlowError, match=words.replace("(", r"\(")):
        load_flow(write(tmp_path, text), BASE)
    assert not flow_schema.is_valid(yaml.safe_load(text))


@pytest.mark.parametrize("text", [
    HEAD + "  - click: true\n",  # the loader reads it as the selector "True"
    HEAD + "  - click: {target: a, name: 3}\n",  # the loader makes the name text
    "name: x\nstart: /a\nidentity: {seed: 3, sed: 4}\nsteps:\n  - audit\n",  # the loader ignores unknown keys
    "name: x\nstart: /a\nlocale: 5\nsteps:\n  - audit\n",  # the loader does not check the locale's type
])
def test_the_schema_is_stricter_where_the_loader_lets_a_mistake_through(flow_schema, text):
    assert not flow_schema.is_valid(yaml.safe_load(text))


def test_the_flow_files_discovery_writes_validate(flow_schema):
    from auditor.flows.discovery.flowfile import flow_yaml
    from auditor.flows.spec import Flow, Step
    flow = Flow(name='Sign-up "from" the home page', start="https://shop.example/", viewport=(1280, 800),
                locale="en-GB", scope=("shop.example",), allow_submit=False, seed=3)
    steps = [Step(1, "click", (("target", "role=button[name='Reject all']"),), name="refuse the cookies"),
             Step(2, "goto", (("url", "https://shop.example/account"),)),
             Step(3, "fill", (("target", "#email"), ("value", "{{ identity.email }}"), ("frame", "#f"))),
             Step(4, "check", (("target", "#terms"),)),
             Step(5, "click", (("target", "text=Continue"),), name="{{ not a template }}", final=False)]
    text = flow_yaml(flow, steps, "signup", "before Create account", ["a note"], {1: "the banner"})
    assert errors(flow_schema, yaml.safe_load(text)) == []


# --------------------------------------------------------------------------- the JSON report

NOW = "2026-01-01T10:00:00.000Z"


def snapshot():
    """A page with a banner whose reject is a faint link, a pre-ticked box, fine print, trackers before and
    after the refusal, and a frame."""
    banner = styled_overlay("We use cookies for analytics and ads. Accept all or reject.", [
        styled_button("Accept all", 220, 48, fill=(0.0, 90.0, 200.0, 1.0), color=(255.0, 255.0, 255.0, 1.0)),
        styled_button("Reject", 50, 14, color=(200.0, 200.0, 200.0, 1.0))])
    tracker = request("https://www.google-analytics.com/g/collect?v=2", third_party=True, t_ms=120.5, at=NOW)
    before = phase_state("before-choice", cookies=[cookie("_ga", ".shop.example", third_party=False)],
                         requests=[tracker])
    after = phase_state("after-refusal", cookies=[cookie("_ga")], requests=[tracker])
    snap = journey(overlays=[banner], states=[before], choice=refusal(states=[after], screenshot="shots/choice.png"),
                   controls=[control("Send me offers and news by e-mail", checked=True, ref=ref("", frame=1))],
                   texts=[text("By creating an account you agree to receive marketing e-mails.", font_size=7.0,
                               color=(210.0, 210.0, 210.0, 1.0))],
                   frames=(FrameSnapshot(0, "https://shop.example/"),
                           FrameSnapshot(1, "https://shop.example/form", path=("iframe#signup",), parent=0)),
                   presented=Presentation(webdriver=False, user_agent="Mozilla/5.0 Chrome/130",
                                          brands=("Chromium", "Google Chrome")))
    storage = StorageItem("https://shop.example/", "local", "consent", 12)
    return dataclasses.replace(snap, states=(dataclasses.replace(before, storage=(storage,)),))


def audited(url: str, snap) -> PageResult:
    from auditor.banners import find_banners
    from auditor.identity import page_key, stamp
    from auditor.registry import discover, judge
    checks = judge(snap, discover(), CTX, debug=True)
    checks = stamp(checks, page_key(url), lambda f: snap)
    return PageResult(url=url, final_url=url, title="Shop", status=200, checks=checks, snapshot=snap,
                      started_at=NOW, finished_at=NOW, banner=find_banners(snap, CTX), screenshot="shots/page-1.png",
                      notes=(Note("dialog", "1 dialog(s) (alert) dismissed"),))


def sample_run() -> AuditRun:
    page = audited("https://shop.example/", snapshot())
    assert page.findings and page.banner.banners, "the page should make findings and have a banner"
    failed = PageResult(url="https://shop.example/gone", status=404, started_at=NOW, finished_at=NOW,
                        error=PageError("http-error", "HTTP 404 Not Found"))
    from auditor.flows.identity import make_identity
    identity = tuple((k, str(v)) for k, v in make_identity("en-GB", 7).masked().items())
    flow = FlowResult(
        name="checkout", path="fixtures/flows/dark-checkout.yaml", start="https://shop.example/", complete=False,
        error="step 2 (click #pay): refused: a form with card fields", identity=identity,
        blocked=("https://elsewhere.example/",), refused=("POST https://shop.example/pay",), trace="traces/f.zip",
        started_at=NOW, finished_at=NOW,
        steps=(FlowStep(0, "start", "https://shop.example/", page=audited("https://shop.example/", snapshot()),
                        at=NOW),
               FlowStep(1, "click", "continue", page=dataclasses.replace(
                   audited("https://shop.example/next", snapshot()), reused=0), at=NOW,
                   note="submit guard: a link to another page"),
               FlowStep(2, "click", "click #pay", status="refused", error="refused: a form with card fields", at=NOW,
                        page=PageResult(url="https://shop.example/pay", screenshot="shots/fail.png", started_at=NOW,
                                        error=PageError("flow-step", "refused: a form with card fields")))))
    discovery = Discovery(start="https://shop.example/", journey="signup", found=True, file="out/flows/s.yaml",
                          steps=4, stopped='before "Create account"', notes=("a field it could not fill",),
                          seconds=2.5)
    return AuditRun(tool="consent-auditor", version="0.1.0",
                    browser=BrowserInfo(version="130.0", user_agent="Mozilla/5.0", executable="/usr/bin/chromium"),
                    settings=RunSettings(command="scan"), started_at=NOW, finished_at=NOW,
                    pages=(page, failed), flows=(flow,), discoveries=(discovery,),
                    baseline=BaselineResult(path="consent-auditor.baseline.toml", entries=2, new=1, known=1,
                                            fixed=(BaselineEntry("fp2:" + "a" * 24, "prechecked-consent",
                                                                 "https://shop.example/old", "was ticked",
                                                                 "legal reviewed", "privacy@shop", "2026-06-30"),)))


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """The report of :func:`sample_run` as json_report writes it, read back."""
    from auditor.report import json_report
    path = json_report.write(sample_run(), tmp_path_factory.mktemp("report") / "report.json")
    return json.loads(path.read_text(encoding="utf-8"))


def test_a_report_written_by_json_report_validates(report_schema, report):
    assert report["schema"] == "consent-auditor/report/v1"
    assert report["flows"] and report["discoveries"] and len(report["pages"]) == 2
    findings = report["pages"][0]["findings"]
    assert {f["check"] for f in findings} >= {"prechecked-consent", "asymmetric-choice"}
    assert any(f["frame_path"] for f in findings) and all(f["fingerprint"].startswith("fp2:") for f in findings)
    assert errors(report_schema, report) == []


def with_planned_keys(report: dict) -> dict:
    """The report with the keys json_report is about to write (baseline, finding baseline and subject, page
    origin, step line): the values the run has, where the report does not carry them yet."""
    r = copy.deepcopy(report)
    r.setdefault("baseline", to_dict(sample_run().baseline))
    pages = r["pages"] + [st["page"] for fl in r["flows"] for st in fl["steps"] if st["page"]]
    for i, page in enumerate(pages):
        page.setdefault("origin", {"file": "consent-auditor.toml", "line": 3} if i == 0 else None)
        for f in page["findings"]:
            f.setdefault("baseline", "known")
            f.setdefault("subject", "_ga")
    for st in r["flows"][0]["steps"]:
        st.setdefault("line", 12 if st["index"] else 0)
    return r


def test_the_keys_about_to_be_added_validate(report_schema, report):
    r = with_planned_keys(report)
    assert errors(report_schema, r) == []
    r["baseline"] = None
    assert errors(report_schema, r) == []
    r["pages"][0]["findings"][0]["baseline"] = ""
    assert errors(report_schema, r) == []


def _set(path: str, value):
    def change(r):
        *head, last = path.split("/")
        node = r
        for k in head:
            node = node[int(k) if k.isdigit() else k]
        if value is DELETE:
            del node[int(last) if last.isdigit() else last]
        else:
            node[int(last) if last.isdigit() else last] = value
    return change


DELETE = object()
F0 = "pages/0/findings/0"
STEP = "flows/0/steps"


@pytest.mark.parametrize("path, value", [
    ("schema", "consent-auditor/report/v2"),
    ("surprise", 1),
    ("summary", DELETE),
    ("summary/flows", DELETE),
    ("summary/by_severity/critical", 1),
    ("settings/fail_on", "critical"),
    ("settings/extra", 1),
    ("browser/headless", "yes"),
    ("started_at", "yesterday"),
    ("pages/0/checks", DELETE),
    ("pages/0/surprise", 1),
    ("pages/0/status", "200"),
    ("pages/0/error", {"kind": "exploded", "message": "?"}),
    ("pages/0/error", {"kind": "flow-step", "message": "only a flow step's page fails as a step"}),
    ("pages/0/error", {"kind": "timeout"}),
    ("pages/0/notes/0/kind", "gossip"),
    ("pages/0/checks/0/outcome", "maybe"),
    ("pages/0/banner/state", "maybe"),
    ("pages/0/banner/banners/0/buttons/0/kind", "dismiss"),
    ("pages/0/consent_evidence/states/0/phase", "later"),
    (F0 + "/severity", "critical"),
    (F0 + "/confidence", "certain"),
    (F0 + "/status", "pass"),
    (F0 + "/fingerprint", "fp1:0123456789abcdef01234567"),
    (F0 + "/fingerprint", "fp2:0123456789ABCDEF01234567"),
    (F0 + "/fingerprint", "fp2:0123"),
    (F0 + "/box", {"x": 1, "y": 2, "width": 3}),
    (F0 + "/frame_path", "iframe#x"),
    (F0 + "/details", []),
    (F0 + "/surprise", 1),
    (F0 + "/message", DELETE),
    (F0 + "/baseline", "accepted"),
    (F0 + "/subject", 5),
    ("pages/0/origin", {"file": "a.toml", "line": 0}),
    ("pages/0/origin", {"file": "a.toml"}),
    ("baseline", {"path": "b.toml"}),
    ("baseline/fixed/0/expires", "soon"),
    ("baseline/fixed/0/surprise", 1),
    (STEP + "/0/line", -1),
    (STEP + "/1/kind", "hover"),
    (STEP + "/1/status", "skipped"),
    ("flows/0/identity/shoe_size", "42"),
    ("flows/0/complete", "no"),
    ("flows", []),
    ("discoveries/0/journey", "login"),
    ("discoveries/0/surprise", 1),
])
def test_a_broken_report_is_refused(report_schema, report, path, value):
    r = with_planned_keys(report)
    _set(path, value)(r)
    assert not report_schema.is_valid(r), f"{path} = {value!r} should not validate"


@pytest.mark.parametrize("path, value", [
    (F0 + "/details/anything_new", {"nested": [1, 2]}),
    ("pages/0/banner/banners/0/buttons/0/facts/new_fact", 1.5),
    ("pages/0/presented_as/platform", "Linux"),
    ("pages/0/consent_evidence/states/0/cookies/0/partitioned", True),
    ("pages/0/consent_evidence/choice/new_fact", "x"),
    (F0 + "/fingerprint", ""),
    (STEP + "/2/page/error/kind", "flow-step"),
])
def test_open_parts_of_the_report_take_new_keys(report_schema, report, path, value):
    r = with_planned_keys(report)
    _set(path, value)(r)
    assert errors(report_schema, r) == []


@pytest.mark.parametrize("defn, model", [
    ("#/properties/browser", BrowserInfo), ("#/properties/settings", RunSettings), ("#/$defs/discovery", Discovery),
    ("#/$defs/presented_as", Presentation), ("#/$defs/box", Box), ("#/$defs/cookie", CookieFact),
    ("#/$defs/storage_item", StorageItem), ("#/$defs/request", RequestFact), ("#/$defs/state", StateFacts),
    ("#/$defs/choice", ChoiceFacts), ("#/$defs/element_ref", ElementRef), ("#/$defs/baseline", BaselineResult),
    ("#/$defs/baseline_entry", BaselineEntry),
])
def test_the_parts_written_with_to_dict_name_every_model_field(defn, model):
    """These parts of the report are ``to_dict`` of a model value: a field added to the model is a key of the
    report, and the schema must say what it is."""
    node = schemas.load("report")
    for part in defn.lstrip("#/").split("/"):
        node = node[part]
    assert set(node["properties"]) == {f.name for f in dataclasses.fields(model)}


def test_the_flow_identity_names_every_identity_field():
    from auditor.flows.identity import Identity
    props = schemas.load("report")["$defs"]["flow"]["properties"]["identity"]["properties"]
    assert set(props) == {f.name for f in dataclasses.fields(Identity)}


def test_a_run_from_the_report_builders_validates(report_schema, tmp_path):
    """The runs the other report formats are tested with (builders.audit_run and friends) make valid reports."""
    import builders
    if not hasattr(builders, "audit_run"):
        pytest.skip("builders has no audit_run yet")
    from auditor.models import Origin
    from auditor.report import json_report
    f = builders.finding("prechecked-consent", 'The box "Send me offers" is ticked', baseline="new",
                         subject="newsletter", details=(("label", "Send me offers"),))
    review = builders.finding("hidden-agreement-text", "Fine print may be faint", "medium", status="review",
                              baseline="known")
    page = builders.page_result("https://shop.example/signup", builders.check_result("prechecked-consent", f),
                                builders.check_result("hidden-agreement-text", review),
                                builders.check_result("asymmetric-choice", outcome="not-applicable"),
                                origin=Origin("consent-auditor.toml", 4), status=200)
    gone = builders.page_result("https://shop.example/gone", error=PageError("timeout", "no response within 30s"))
    flow = builders.flow_result("signup", "flows/signup.yaml",
                                builders.flow_step(0, "https://shop.example/", builders.page_result(
                                    "https://shop.example/")),
                                builders.flow_step(1, "continue", builders.page_result(
                                    "https://shop.example/2", builders.check_result("prechecked-consent", f)),
                                    line=9))
    run = builders.audit_run([page, gone], [flow], baseline=BaselineResult(path="baseline.toml", entries=1, new=1))
    path = json_report.write(run, tmp_path / "report.json")
    assert errors(report_schema, json.loads(path.read_text(encoding="utf-8"))) == []


def test_the_flow_schema_follows_the_loader_s_tables():
    """FLOW_KEYS, STEP_KINDS (accepted and needed keys), FINAL_KINDS and the identity fields are written out in the
    flow schema: a change to auditor/flows/spec.py or identity.py must change the schema too."""
    from auditor.flows.identity import FIELDS
    from auditor.flows.spec import COMMON_KEYS, FINAL_KINDS, FLOW_KEYS, STEP_KINDS
    schema = schemas.load("flow")
    defs = schema["$defs"]
    assert set(schema["properties"]) == set(FLOW_KEYS)
    step = next(s for s in defs["step"]["anyOf"] if s.get("type") == "object")
    assert set(step["properties"]) == set(STEP_KINDS) | set(COMMON_KEYS)
    for kind, (accepted, _, needed) in STEP_KINDS.items():
        forms = defs[f"step_{kind}"].get("oneOf", [defs[f"step_{kind}"]])
        mapping = next(f for f in forms if f.get("type") == "object")
        final = {"final"} if kind in FINAL_KINDS else set()
        assert set(mapping["properties"]) == set(accepted) | {"name", "timeout"} | final
        assert set(mapping.get("required", ())) == set(needed)
    named = re.search(r"identity\\\.\(\?:([^)]*)\)", defs["text"]["not"]["pattern"]).group(1)
    assert set(named.split("|")) == set(FIELDS)
