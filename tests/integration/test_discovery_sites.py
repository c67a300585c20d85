"""`auditor discover` on small sites unlike the bundled demo shop (tests/integration/pages/discover/).

Each mini site is served at the root of its own loopback origin, as a real site would be (its URLs then say
nothing about the test). Discovery runs as a user runs it: the CLI in a subprocess, real Chromium. Three CLI
calls keep the file under a minute: every start page in one ``auditor discover --no-walk`` call, the French
sign-up with ``--allow-submit`` in a second call started at the same time, then a flow file from each walked
again in one ``auditor flow`` call (see the ``runs`` fixture).

Each test says what is right; where discovery got a site wrong, it was fixed (a Bootstrap custom checkbox, a
login form taken for a sign-up, clicks that led nowhere reported as a journey).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from devserver import serve
from auditor.flows.spec import Flow, Step, load_flow

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SITES = Path(__file__).resolve().parent / "pages" / "discover"
NAMES = ("de-shop", "drawer-shop", "no-journeys", "fr-signup-only", "icon-cart")
# local pages load in well under a second; a step that cannot be carried out should not hold the file up
COMMON = ("--no-evidence", "--timeout", "10", "--concurrency", "8")
CREATE_HINT = "the click that would create the account (allow_submit: true would click it)"


# --------------------------------------------------------------------------------------------- running


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    report: dict | None
    out: Path

    def discovery(self, start: str, journey: str) -> dict:
        found = [d for d in self.report["discoveries"] if d["start"] == start and d["journey"] == journey]
        assert len(found) == 1, (start, journey, self.report["discoveries"])
        return found[0]


def _start(out: Path, *args: str) -> tuple[subprocess.Popen, Path]:
    proc = subprocess.Popen([sys.executable, "-m", "auditor", *args, "--out", str(out)], cwd=ROOT,
                            env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            encoding="utf-8")
    return proc, out


def _finish(started: tuple[subprocess.Popen, Path], timeout: float = 150) -> Run:
    proc, out = started
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        stdout, stderr = proc.communicate()
        pytest.fail(f"auditor did not finish in {timeout} s:\n{stderr[-3000:]}")
    assert "Traceback" not in stderr, stderr
    path = out / "report.json"
    report = json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
    assert report is not None, f"no report.json (exit {proc.returncode}):\n{stderr[-3000:]}"
    return Run(proc.returncode, stdout, stderr, report, out)


@pytest.fixture(scope="module")
def site():
    """{site name: origin}, every mini site at the root of its own 127.0.0.1 origin."""
    with contextlib.ExitStack() as stack:
        yield {name: stack.enter_context(serve(SITES / name))[0] for name in NAMES}


def url(site, name: str, page: str = "index.html") -> str:
    return f"{site[name]}/{page}"


ALL_STARTS = (("de-shop", "index.html"), ("drawer-shop", "index.html"), ("icon-cart", "index.html"),
              ("no-journeys", "index.html"), ("no-journeys", "gear.html"),
              ("fr-signup-only", "index.html"), ("fr-signup-only", "inscription.html"))


#: flow files walked again with `auditor flow`: site, start page, journey, the page the walk ends on. Each walked
#: step is audited, so two flows keep the file fast: the richest checkout, the sign-up --allow-submit finishes.
WALKED = {"all": ("de-shop", "index.html", "checkout", "zahlung.html"),
          "submit": ("fr-signup-only", "inscription.html", "signup", "bienvenue.html")}


@pytest.fixture(scope="module")
def runs(site, tmp_path_factory):
    """The CLI calls of this module (each one Chromium):

    - ``all``: every start page, both journeys, --no-walk;
    - ``submit`` (started with ``all``): the French sign-up with --allow-submit, --no-walk;
    - ``walk``: then a flow file from each walked again in one `auditor flow` call; ``walked`` lists them as
      [(file, flow as loaded, the page its walk should end on)].
    """
    tmp = tmp_path_factory.mktemp("discover")
    started = {
        "all": _start(tmp / "all", "discover", *(url(site, n, p) for n, p in ALL_STARTS), "--no-walk", *COMMON),
        "submit": _start(tmp / "submit", "discover", url(site, "fr-signup-only"),
                         url(site, "fr-signup-only", "inscription.html"), "--only", "signup", "--allow-submit",
                         "--no-walk", *COMMON),
    }
    done = {key: _finish(s) for key, s in started.items()}
    done["walked"] = []
    for key, (name, page, journey, end) in WALKED.items():
        d = done[key].discovery(url(site, name, page), journey)
        if d["found"]:  # else test_discovered_flows_walk_again_with_auditor_flow says what is missing
            done["walked"].append((d["file"], load_flow(d["file"]), url(site, name, end)))
    if done["walked"]:
        done["walk"] = _finish(_start(tmp / "walk", "flow", *(f for f, _, _ in done["walked"]), "--no-evidence",
                                      "--timeout", "15"))
    return done


# --------------------------------------------------------------------------------------------- flow files


def flow_of(d: dict) -> Flow:
    assert d["found"] and d["file"], d
    flow = load_flow(d["file"])
    assert len(flow.steps) == d["steps"], (d, flow.steps)
    return flow


def said(step: Step) -> str:
    """Everything a step says about what it acts on (its target and its name), lower-cased."""
    return f"{step.arg('target', '')} {step.name}".lower()


def acting_on(flow: Flow, selector: str) -> list[Step]:
    return [s for s in flow.steps if s.arg("target") == selector]


def clicks(flow: Flow, text: str) -> list[Step]:
    return [s for s in flow.steps if s.kind == "click" and text.lower() in said(s)]


def fills(flow: Flow) -> dict[str, str]:
    """{target: value} of the fill steps."""
    return {s.arg("target"): s.arg("value") for s in flow.steps if s.kind == "fill"}


def names(flow: Flow) -> list[str]:
    return [s.label for s in flow.steps]


def index_of(flow: Flow, text: str) -> int:
    """The position of the first click that mentions ``text``."""
    hits = [i for i, s in enumerate(flow.steps) if s.kind == "click" and text.lower() in said(s)]
    assert hits, (text, names(flow))
    return hits[0]


# --------------------------------------------------------------------------------------------- de-shop


def test_de_shop_checkout_chooses_a_size_and_stops_at_the_card_form(site, runs):
    start = url(site, "de-shop")
    d = runs["all"].discovery(start, "checkout")
    flow = flow_of(d)
    assert d["stopped"].startswith("reached the payment step") and "/zahlung.html" in d["stopped"], d["stopped"]
    assert not flow.allow_submit
    # the cookie banner is refused, never accepted
    assert flow.steps[0].kind == "click" and flow.steps[0].name.startswith("cookie banner: reject"), names(flow)
    assert not clicks(flow, "akzeptieren")
    # a product opened from the product cards (a link next to "129,90 €"), the required size chosen first:
    # the first size on offer, not the sold-out XS and not the empty "Größe wählen"
    assert flow.steps[1].name.startswith("open a product") and "regenjacke" in said(flow.steps[1]), names(flow)
    (size,) = acting_on(flow, "#groesse")
    assert size.kind == "select" and size.arg("value") == "S"
    assert flow.steps.index(size) < index_of(flow, "In den Warenkorb")
    # from the cart to the checkout, never back to the shop
    assert index_of(flow, "In den Warenkorb") < index_of(flow, "Zur Kasse") < index_of(flow, "Weiter zur Zahlung")
    assert not clicks(flow, "Weiter einkaufen") and not clicks(flow, "Anmelden")
    # the address form filled with the test identity; the page's own choices left as they were
    assert fills(flow) == {
        "#k-email": "{{ identity.email }}", "#k-vorname": "{{ identity.first_name }}",
        "#k-nachname": "{{ identity.last_name }}", "#k-strasse": "{{ identity.street }}",
        "#k-plz": "{{ identity.postcode }}", "#k-ort": "{{ identity.city }}", "#k-telefon": "{{ identity.phone }}",
    }
    (salutation,) = acting_on(flow, "#k-anrede")
    assert salutation.kind == "select" and salutation.arg("value")  # required, empty: a choice is made
    assert not acting_on(flow, "#k-land") and not acting_on(flow, "#k-rechnung-gleich")
    assert not acting_on(flow, "#k-zusatz") and not acting_on(flow, "#suche") and not acting_on(flow, "#nl-mail")
    # the last step is "Weiter zur Zahlung"; nothing of the payment page is touched, the order is not placed
    assert flow.steps[-1].kind == "click" and "weiter zur zahlung" in said(flow.steps[-1])
    assert not clicks(flow, "Zahlungspflichtig") and not any("cc-" in said(s) for s in flow.steps)


def test_de_shop_signup_ticks_the_terms_box_continues_and_leaves_the_newsletter_box(site, runs):
    start = url(site, "de-shop")
    d = runs["all"].discovery(start, "signup")
    flow = flow_of(d)
    assert d["stopped"] == f'stopped before "Konto erstellen", {CREATE_HINT}', d["stopped"]
    assert flow.steps[0].name.startswith("cookie banner: reject") and not clicks(flow, "akzeptieren")
    # "Registrieren" in the header opens the sign-up; "Anmelden" (sign in) is not followed
    assert flow.steps[1].name.startswith("open the sign-up") and "registrieren" in said(flow.steps[1])
    assert not clicks(flow, "Anmelden")
    # step 1: the registration form (not the login box beside it), both password fields, the required AGB box
    assert fills(flow) == {
        "#reg-email": "{{ identity.email }}", "#reg-passwort": "{{ identity.password }}",
        "#reg-passwort2": "{{ identity.password }}", "#reg-vorname": "{{ identity.first_name }}",
        "#reg-nachname": "{{ identity.last_name }}",
    }
    (agb,) = acting_on(flow, "#reg-agb")
    assert agb.kind == "check"
    assert flow.steps.index(agb) < index_of(flow, "Weiter")
    # step 2 reached with "Weiter"; the pre-ticked newsletter box and the other choices are not touched
    assert flow.steps[-1].kind == "click" and flow.steps[-1].name.startswith("continue") \
        and "weiter" in said(flow.steps[-1])
    for untouched in ("#reg-newsletter", "#reg-sms", "#int-wandern", "#login-email", "#login-passwort"):
        assert not acting_on(flow, untouched), untouched
    assert not clicks(flow, "Konto erstellen")


def test_discovery_without_walking_lists_every_start_and_exits_0_when_each_has_a_journey(site, runs):
    run = runs["submit"]  # both French start pages have a sign-up
    assert run.returncode == 0, run.stderr
    assert "flows" not in run.report  # --no-walk: written, not walked
    assert [(d["start"], d["journey"]) for d in run.report["discoveries"]] == [
        (url(site, "fr-signup-only"), "signup"), (url(site, "fr-signup-only", "inscription.html"), "signup")]
    every = runs["all"].report["discoveries"]
    assert sorted((d["start"], d["journey"]) for d in every) == sorted(
        (url(site, n, p), j) for n, p in ALL_STARTS for j in ("signup", "checkout"))
    for d in every + run.report["discoveries"]:
        assert set(d) >= {"start", "journey", "found", "file", "steps", "stopped", "notes", "seconds"}, d
        assert d["seconds"] > 0 and d["stopped"], d
        assert Path(d["file"]).is_file() if d["found"] else d["file"] == "", d


# --------------------------------------------------------------------------------------------- drawer-shop


def test_drawer_shop_checkout_goes_through_the_mini_cart_and_stops_before_place_order(site, runs):
    start = url(site, "drawer-shop")
    d = runs["all"].discovery(start, "checkout")
    flow = flow_of(d)
    # the start page is the product page: "Add to cart" first (it opens a drawer, no navigation), then the
    # drawer's "Checkout", never its "Continue shopping"
    assert flow.steps[0].kind == "click" and "add to cart" in said(flow.steps[0]), names(flow)
    assert "checkout" in said(flow.steps[1]) and flow.steps[1].kind == "click", names(flow)
    assert not clicks(flow, "continue shopping") and not clicks(flow, "log in") and not clicks(flow, "open cart")
    # shipping details filled (one full-name field), the required state chosen, the optional line 2 and the
    # unticked marketing box left alone, the page's delivery choice kept
    assert fills(flow) == {
        "#email": "{{ identity.email }}", "#fullname": "{{ identity.name }}",
        "#address1": "{{ identity.street }}", "#city": "{{ identity.city }}", "#zip": "{{ identity.postcode }}",
        "#phone": "{{ identity.phone }}",
    }
    (state,) = acting_on(flow, "#state")
    assert state.kind == "select" and state.arg("value")
    assert not [s for s in flow.steps if s.kind in ("check", "uncheck")]
    # "Continue" to the review page, where the only way on is "Place order": discovery stops before it
    assert flow.steps[-1].kind == "click" and "continue" in said(flow.steps[-1])
    assert d["stopped"].lower() == 'stopped before "place order": it would place an order', d["stopped"]
    assert not clicks(flow, "place order") and not flow.allow_submit


def test_drawer_shop_has_no_signup_and_discovery_says_so(site, runs):
    d = runs["all"].discovery(url(site, "drawer-shop"), "signup")
    assert not d["found"] and not d["file"] and d["steps"] == 0, d
    assert "no sign-up" in d["stopped"]


# --------------------------------------------------------------------------------------------- icon-cart


def test_icon_cart_finds_the_bag_by_its_address_after_add_to_bag(site, runs):
    start = url(site, "icon-cart")
    d = runs["all"].discovery(start, "checkout")
    flow = flow_of(d)
    assert d["stopped"].startswith("reached the payment step") and "/payment.html" in d["stopped"], d["stopped"]
    assert flow.steps[0].name.startswith("open a product"), names(flow)
    add = index_of(flow, "add to bag")
    # "Add to bag" stays on the product page; the header link to /cart.html has no name but an address (after
    # the click it shows a count), and it is the next click; then the bag's "Checkout"
    to_bag = flow.steps[add + 1]
    assert to_bag.kind == "click" and to_bag.name.startswith("go to the basket"), names(flow)
    assert "search" not in said(to_bag) and "wishlist" not in said(to_bag)
    assert flow.steps[add + 2].kind == "click" and "checkout" in said(flow.steps[add + 2]), names(flow)
    assert not clicks(flow, "continue shopping") and not clicks(flow, "pay now")
    assert set(fills(flow)) == {"#s-email", "#s-first", "#s-last", "#s-addr", "#s-city", "#s-eircode"}
    assert not acting_on(flow, "#s-country")  # the page's choice (Ireland) stays
    assert "continue to payment" in said(flow.steps[-1])


def test_icon_cart_has_no_signup(site, runs):
    d = runs["all"].discovery(url(site, "icon-cart"), "signup")
    assert not d["found"] and not d["file"] and d["steps"] == 0, d


# --------------------------------------------------------------------------------------------- no-journeys


def test_a_blog_without_signup_or_shop_has_no_journeys_and_exits_3(site, runs):
    run = runs["all"]
    assert run.returncode == 3, run.stderr  # a start page with no journey at all
    start = url(site, "no-journeys")
    signup, checkout = run.discovery(start, "signup"), run.discovery(start, "checkout")
    for d in (signup, checkout):
        assert not d["found"] and not d["file"] and d["steps"] == 0, d
    # the sidebar's "Subscribe" box is not a sign-up, "Read more" links are not products
    # every "not found" says what was looked for
    assert signup["stopped"] == ("no sign-up link or button was found on the start page (looked for sign-up "
                                 "wording and addresses, a sign-in or account link)"), signup
    assert checkout["stopped"].startswith("no add-to-cart button, no product link and no search form were found "
                                          "on the start page"), checkout
    # nor is the comment form (name, e-mail, comment) of a post
    gear = run.discovery(url(site, "no-journeys", "gear.html"), "signup")
    assert not gear["found"] and gear["stopped"].startswith("no sign-up link or button was found on the start page"), gear
    port = site["no-journeys"].rsplit(":", 1)[1]
    written = sorted(p.name for p in (run.out / "flows").glob(f"127-0-0-1-{port}-*.yaml"))
    assert not [n for n in written if "-index-" in n or "-gear-signup" in n], written


def test_a_blog_kit_list_with_prices_is_not_a_shop(site, runs):
    d = runs["all"].discovery(url(site, "no-journeys", "gear.html"), "checkout")
    assert not d["found"] and not d["file"] and d["steps"] == 0, d


# --------------------------------------------------------------------------------------------- fr-signup-only


def _check_fr_signup_form(flow: Flow) -> None:
    """The French sign-up form filled as a careful customer would: not the login form, the required terms box
    ticked, the pre-ticked partner offers left ticked."""
    assert fills(flow) == {
        "#f-prenom": "{{ identity.first_name }}", "#f-nom": "{{ identity.last_name }}",
        "#f-email": "{{ identity.email }}", "#f-mdp": "{{ identity.password }}",
    }
    (terms,) = acting_on(flow, "#f-cgu")
    assert terms.kind == "check"
    assert not acting_on(flow, "#f-offres")
    assert not acting_on(flow, "#field-email") and not acting_on(flow, "#field-password")
    assert not clicks(flow, "accepter") or all("sans accepter" in said(s) for s in clicks(flow, "accepter"))


def _check_fr_reached_through_the_login_page(flow: Flow) -> None:
    """Banner refused, then the header's "Se connecter" (or "Mon compte") opens the login page, whose "Créer un
    compte" opens the sign-up: nothing is done on the login page but follow that link."""
    before = flow.steps[:index_of(flow, "créer un compte")]
    assert [s.kind for s in before] == ["click", "click"], names(flow)
    assert before[0].name.startswith("cookie banner: reject"), names(flow)
    assert "se connecter" in said(before[1]) or "mon compte" in said(before[1]), names(flow)


def test_fr_signup_started_on_the_form_stops_before_creer_mon_compte(site, runs):
    d = runs["all"].discovery(url(site, "fr-signup-only", "inscription.html"), "signup")
    flow = flow_of(d)
    assert d["stopped"] == f'stopped before "Créer mon compte", {CREATE_HINT}', d["stopped"]
    assert flow.steps[0].name.startswith("cookie banner: reject"), names(flow)
    _check_fr_signup_form(flow)
    assert not clicks(flow, "Créer mon compte") and not flow.allow_submit


def test_fr_signup_is_reached_through_the_login_page_and_stops_before_creer_mon_compte(site, runs):
    d = runs["all"].discovery(url(site, "fr-signup-only"), "signup")
    flow = flow_of(d)
    assert d["stopped"] == f'stopped before "Créer mon compte", {CREATE_HINT}', d["stopped"]
    _check_fr_reached_through_the_login_page(flow)
    _check_fr_signup_form(flow)
    assert not clicks(flow, "Créer mon compte")


def test_fr_site_has_no_checkout(site, runs):
    d = runs["all"].discovery(url(site, "fr-signup-only"), "checkout")
    assert not d["found"] and not d["file"], d


def test_fr_signup_with_allow_submit_creates_the_account_and_the_walk_shows_the_welcome_page(site, runs):
    d = runs["submit"].discovery(url(site, "fr-signup-only", "inscription.html"), "signup")
    flow = flow_of(d)
    assert flow.allow_submit
    assert d["stopped"] == 'clicked "Créer mon compte" (allow_submit: true)', d["stopped"]
    assert flow.steps[0].name.startswith("cookie banner: reject"), names(flow)
    _check_fr_signup_form(flow)
    last = flow.steps[-1]
    assert last.kind == "click" and "créer mon compte" in said(last) and last.name.startswith("create the account")
    # walked again (auditor flow), the last click lands on the welcome page
    (fr,) = [f for f in runs["walk"].report["flows"] if f["file"] == d["file"]]
    assert fr["complete"], fr["error"]
    assert fr["steps"][-1]["page"]["final_url"] == url(site, "fr-signup-only", "bienvenue.html")


def test_fr_signup_with_allow_submit_from_the_home_page_creates_the_account(site, runs):
    d = runs["submit"].discovery(url(site, "fr-signup-only"), "signup")
    flow = flow_of(d)
    assert d["stopped"] == 'clicked "Créer mon compte" (allow_submit: true)', d["stopped"]
    _check_fr_reached_through_the_login_page(flow)
    assert index_of(flow, "créer un compte") < index_of(flow, "créer mon compte") == len(flow.steps) - 1
    _check_fr_signup_form(flow)


# --------------------------------------------------------------------------------------------- walking again


def test_discovered_flows_walk_again_with_auditor_flow(runs):
    """What discovery wrote is what `auditor flow` walks: every step ok, nothing refused or blocked, and the
    walk ends where discovery stopped (the German payment page) or, for the sign-up it was allowed to finish,
    on the welcome page."""
    assert len(runs["walked"]) == len(WALKED), "a flow to walk was not discovered"
    run = runs["walk"]
    assert run.returncode in (0, 1), run.stderr
    assert sorted(f["file"] for f in run.report["flows"]) == sorted(f for f, _, _ in runs["walked"])
    for file, flow, end in runs["walked"]:
        (f,) = [f for f in run.report["flows"] if f["file"] == file]
        assert f["complete"], (file, f["error"])
        # step 0 is the start page
        assert [s["status"] for s in f["steps"]] == ["ok"] * (len(flow.steps) + 1), (file, f["steps"])
        assert f["steps"][-1]["page"]["final_url"] == end, file
        assert not f["refused"] and not f["blocked_navigations"], file
