"""Journeys on shops nobody on the team wrote (fixtures/shops/, issue 11): a Magento/Luma-like, a Shopify-like,
a BigCommerce-like, a Polish WooCommerce-like and a Korean Cafe24-like shop and a Spanish hotel booking app,
each in a dark and a clean twin, written by helpers who did not read the detector, with the truth in each
shop's EXPECT.json and its hand-written flow files.

As a user runs it: the CLI in subprocesses, real Chromium, each twin at the root of its own origin. Three
runs keep the module to a few minutes: one ``auditor discover`` over every start page (it writes the flows and
walks them, auditing every step), one ``auditor flow`` over every hand-written flow, and one browser that
walks each discovered flow again to see whether it ends where the journey's last step is (the shop's
``reached`` selector).

Every final control of the shops ("Place order", "Create account", "결제하기") sends a request under
``/__recorded__/``; the servers record every request, and the last test asserts none was ever made.
"""

from __future__ import annotations

import pytest

from shop_harness import (TWINS, annotations, discover_all, first_findings, reached_all, serve_all, shop_names,
                          walk_flows)

pytestmark = pytest.mark.browser


def _journeys(shop: str) -> list[str]:
    import json

    from shop_harness import SHOPS
    return list(json.loads((SHOPS / shop / "EXPECT.json").read_text(encoding="utf-8"))["journeys"])


DISCOVERY_CASES = [(shop, twin, journey) for shop in shop_names() for twin in TWINS for journey in _journeys(shop)]
FLOW_CASES = [(shop, twin, f.name) for shop in shop_names() for twin in TWINS
              for f in sorted((__import__("shop_harness").SHOPS / shop / "flows").glob(f"{twin}-*.yaml"))]


@pytest.fixture(scope="module")
def shops(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("shops")
    with serve_all() as twins:
        found = discover_all(twins, tmp / "discover", walk=True)
        cases = {key: (d["file"], twins[key[:2]].journeys[key[2]]["reached"])
                 for key, d in found.items() if key != "_proc" and d["found"]}
        reach = reached_all(cases)
        walked = walk_flows(twins, tmp / "walk")
        yield twins, found, reach, walked


@pytest.mark.parametrize("shop, twin, journey", DISCOVERY_CASES)
def test_discovery_reaches_the_last_step_of_every_journey(shops, shop, twin, journey):
    twins, found, reach, _ = shops
    proc = found["_proc"]
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    d = found.get((shop, twin, journey))
    assert d is not None, f"no discovery for {journey} in the report"
    assert d["found"], d["stopped"]
    ok, where = reach[(shop, twin, journey)]
    assert ok, f"the discovered flow ends at {where}, not at the last step ({d['stopped']})"
    if journey == "signup":
        # stopped before the account is made, or where the SMS code is typed
        assert "would create the account" in d["stopped"] or "code" in d["stopped"], d["stopped"]
    else:
        assert d["stopped"].startswith("reached the payment step"), d["stopped"]


@pytest.mark.parametrize("shop, twin, journey", DISCOVERY_CASES)
def test_the_walk_of_a_discovered_journey_finds_what_was_planted_and_nothing_else(shops, shop, twin, journey):
    twins, found, _, _ = shops
    d = found[(shop, twin, journey)]
    assert d["found"] and d["walked"] is not None, d["stopped"]
    walked = d["walked"]
    assert walked["complete"], walked["error"]
    checks = {f["check"] for s in walked["steps"] for f in (s.get("page") or {}).get("findings", [])}
    # the checks the shop's authors planted on this journey (EXPECT.json), nothing else; none on a clean twin
    assert checks == set(twins[(shop, twin)].expect["findings"][twin][journey]), checks


@pytest.mark.parametrize("shop, twin, name", FLOW_CASES)
def test_hand_written_flows_walk_to_the_end_and_find_what_was_planted_and_nothing_else(shops, shop, twin, name):
    _, _, _, walked = shops
    assert "Traceback" not in walked["_proc"].stderr, walked["_proc"].stderr[-2000:]
    flow, path = walked[(shop, twin, name)]
    # without allow_submit, through every step forward worded like an order ("전체상품주문", "Commander")
    assert flow["complete"], flow["error"]
    assert all(s["status"] == "ok" for s in flow["steps"]), [(s["index"], s["status"], s["error"]) for s in flow["steps"]]
    want, never = annotations(path)
    got = first_findings(flow)
    assert got == want, {"expected": want, "reported": got}
    assert not never & set(got), never & set(got)
    if twin == "clean":
        assert got == {}, got


def test_no_order_payment_booking_or_account_was_ever_submitted(shops):
    twins, *_ = shops
    sent = {f"{t.shop}/{t.twin}": t.submitted() for t in twins.values() if t.submitted()}
    assert not sent, sent
