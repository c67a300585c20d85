"""A long crawl keeps each result only as its group's report needs it (issue 15: memory stays flat)."""

from __future__ import annotations

from builders import (check_result, control, cookie, finding, flow_result, flow_step, journey, overlay, page_result,
                      phase_state, refusal, request, text)

from auditor.crawl.runner import slim_flow, slim_result
from auditor.report.json_report import flow_dict, page_dict


def _audited():
    snap = journey(overlays=[overlay("We use cookies for advertising", ["Accept all", "Settings"])],
                   states=[phase_state("before-choice", cookies=[cookie("_ga")],
                                       requests=[request("https://www.google-analytics.com/g/collect")])],
                   choice=refusal(states=[phase_state("after-refusal", cookies=[cookie("_ga")])]),
                   controls=(control("Send me offers"),), texts=(text("By signing up you agree to our terms"),))
    snap = snap.__class__(**{**snap.__dict__, "second_layer": journey()})
    return page_result("https://shop.example/", check_result("choice-ignored", finding("choice-ignored", "tracked")),
                       snapshot=snap)


def test_the_report_of_a_slim_result_is_the_report_of_the_whole_one():
    whole = _audited()
    slim = slim_result(whole)
    assert page_dict(slim) == page_dict(whole)
    assert (slim.snapshot.texts, slim.snapshot.controls, slim.snapshot.overlays, slim.snapshot.second_layer) == \
        ((), (), (), None)
    assert slim.snapshot.states == whole.snapshot.states and slim.snapshot.choice == whole.snapshot.choice


def test_flow_steps_are_slimmed_and_their_report_unchanged():
    whole = flow_result("signup", "flows/signup.yaml", flow_step(0, "https://shop.example/", _audited()),
                        flow_step(1, "click Sign up"))
    slim = slim_flow(whole)
    assert flow_dict(slim) == flow_dict(whole)
    assert slim.steps[0].page.snapshot.texts == () and slim.steps[1].page is None
