"""The choices discovery makes on a page, like a customer who reads the big print only: refuse the cookie
banner, type the test identity into the form, tick the boxes the form needs (terms), pick a required option
(a size, a delivery method), and leave everything else as the page set it: a pre-ticked box stays ticked, an
optional extra stays off, a pre-chosen option stays chosen.

Each choice is a flow step carried out by the walk (``walk.Walk.act``), with the reason it was made.
"""

from __future__ import annotations

import json

from auditor.flows.discovery.facts import Control, Field, PageFacts
from auditor.flows.discovery.flowfile import short
from auditor.flows.discovery.offers import CORE_FIELDS, EDGE, TEXT_TYPES

#: purposes a box must not speak of to be ticked as "needed": ticking consent is the person's choice
PURPOSES = ("marketing", "sharing", "advertising", "tracking", "newsletter_popup", "paid_addon", "subscription")


async def refuse_banner(w) -> None:
    """Refuse a consent banner the way a flow file would: click reject, or settings then reject or save."""
    from auditor.banners import best, find_banners, understood
    from auditor.browser.page import collect_page

    await w.settle()
    terms = await w.shared.terms
    vp = w.flow.viewport or w.shared.options.settings.viewport
    snap = await collect_page(w.page, w.page.url, terms, vp)
    banners = understood(find_banners(snap, w.shared.ctx))
    if not banners:
        return
    banner = banners[0]
    first = best(banner, "reject") or best(banner, "settings")
    if first is None:
        w.notes.append("the cookie banner offers no refusal on its first layer or through settings; left open")
        return
    if first.ref is None or first.ref.frame != 0:
        w.notes.append("the cookie banner is in an iframe discovery does not click in; left open")
        return
    sel = await _banner_target(w, snap, first)
    what = "reject" if first.kind == "reject" else "open the settings"
    await w.act("click", {"target": sel}, f"cookie banner: {what} ({short(first.text)})",
                why="the cookie banner is refused, never accepted")
    if first.kind == "reject":
        return
    await w.settle()
    layer2 = await collect_page(w.page, w.page.url, terms, vp)
    panel = next((b for b in understood(find_banners(layer2, w.shared.ctx, layer=2))
                  if best(b, "reject") or best(b, "save")), None)
    if panel is None:
        w.notes.append("the cookie settings offer no reject or save button; left open")
        return
    second = best(panel, "reject") or best(panel, "save")
    if second.ref is None or second.ref.frame != 0:
        w.notes.append("the cookie settings are in an iframe discovery does not click in; left open")
        return
    if second.kind == "save":
        w.notes.append(f'the cookie settings have no reject button: "{short(second.text)}" saves them as shown '
                       "(a toggle the page switched on stays on)")
    sel = await _banner_target(w, layer2, second)
    await w.act("click", {"target": sel},
                f"cookie banner: {'reject' if second.kind == 'reject' else 'save the settings'} ({short(second.text)})")


async def _banner_target(w, snap, button) -> str:
    """A readable selector for a banner button (by role and name when that finds exactly it)."""
    from auditor.browser.interact import element_handle
    from auditor.flows.discovery.walk import checked_selector
    handle = await element_handle(w.page, snap, button.ref)
    css = button.ref.selector
    if handle is None:
        return css
    role = "link" if (button.ref.html or "").lower().startswith("<a") else "button"
    return await checked_selector(w.page, "", [f"role={role}[name={json.dumps(button.text, ensure_ascii=False)}]"],
                                  css, "(el, h) => el === h", handle)


# --------------------------------------------------------------------------------------------- forms


async def fill(w, facts: PageFacts, form: int, eager: bool = False) -> int:
    """Type the test identity into the form's empty fields; tick required boxes and the boxes of the terms;
    pick required choices. ``eager`` (a second try after the form did not move on): also pick an option in
    every empty choice group and select, as a form that checks in script would demand. Returns the number of
    steps taken."""
    o = w.offers
    before = len(w.steps)
    radios: dict[str, list[Field]] = {}
    for f in facts.fields:
        if f.form != form or f.disabled or f.region in EDGE:
            continue
        if f.type == "checkbox":
            if not f.checked and (f.required or needed_box(o, f.label, f.context)):
                why = "the form requires it" if f.required else "a box of the terms, which the form needs"
                await w.act("check", {"target": await w.target(f)}, f"tick ({short(f.label)})", why=why)
            continue
        if f.type == "radio":
            radios.setdefault(f.name or f.selector, []).append(f)
            continue
        if not f.visible:
            continue
        kind = o.field_kind(f)
        if f.tag == "select":
            if f.value and not (eager and f.selected_index == 0 and f.required):
                continue  # the page's choice stays
            option = option_for(w, f, kind, eager)
            if option is None:
                if f.required:
                    w.notes.append(f"left a required choice empty: {short(f.label or f.name)}")
                continue
            await w.act("select", {"target": await w.target(f), "value": option}, f"choose {short(f.label or f.name)}",
                        why="the country of the test identity" if kind == "country" else "a choice the form needs: its first option")
            continue
        if f.type not in TEXT_TYPES or f.value:
            continue
        if kind is None or kind in ("card", "country", "one_time_code"):
            if f.required:
                w.notes.append(f"left a required field empty: {short(f.label or f.name or f.placeholder)}")
            continue
        if kind not in CORE_FIELDS and kind != "username" and not f.required:
            continue
        how = f"its autocomplete says {f.autocomplete.split()[-1]}" if f.autocomplete.split() else \
            f'"{short(f.label or f.placeholder or f.name or f.id, 30)}"'
        await w.act("fill", {"target": await w.target(f), "value": "{{ identity.%s }}" % kind},
                    why=f"the field asks for the {kind.replace('_', ' ')} ({how})")
    for group in radios.values():
        # a choice the form insists on; an optional one (a newsletter yes/no, an insurance offer) stays open
        if any(r.checked for r in group) or not (eager or any(r.required for r in group)):
            continue
        shown = [r for r in group if r.visible or r.label_visible]
        first = next((r for r in shown if o.has("decline_addon", r.label) or o.has("optout_wording", r.label)),
                     shown[0] if shown else None)
        if first is None:
            w.notes.append(f"left a choice empty (its options are hidden): {short(group[0].label)}")
            continue
        await w.act("check", {"target": await w.target(first)}, f"choose {short(first.label)}",
                    why="a choice the form needs: a refusal if offered, else its first option")
    return len(w.steps) - before


async def fill_beside(w, facts: PageFacts, form: int | None, eager: bool = False) -> int:
    """The identity fields of the page's other small forms (Magento asks for the e-mail in a form of its own
    above the address form): empty e-mail, phone or name fields in the main part of the page; with ``eager``
    (the page did not move on), an option in their empty choice groups too (a delivery method)."""
    o = w.offers
    before = len(w.steps)
    if eager:
        for other in sorted({f.form for f in facts.fields if f.form >= 0 and f.form != form and f.type == "radio"}):
            x = facts.forms[other]
            if not x.search and x.region not in EDGE:
                await fill(w, facts, other, eager=True)
    for f in facts.fields:
        if f.form == form or f.form < 0 or f.disabled or not f.visible or f.value or f.region in EDGE \
                or f.type not in TEXT_TYPES:
            continue
        x = facts.forms[f.form]
        if x.search or x.region in EDGE or any(o.has("newsletter_popup", c.text) or o.has("marketing", c.text)
                                               for c in o.form_controls(facts, f.form)):
            continue  # a newsletter box (its "Subscribe" button) is no part of the checkout
        kind = o.field_kind(f)
        if kind in ("email", "phone", "first_name", "last_name", "name"):
            await w.act("fill", {"target": await w.target(f), "value": "{{ identity.%s }}" % kind},
                        why="the checkout asks for it in a form of its own")
    return len(w.steps) - before


def needed_box(o, label: str, context: str = "") -> bool:
    """A box of the terms ("I accept the terms", "[필수] 이용약관 동의"): agreement wording, no purpose (marketing,
    partners, an extra) and not "agree to all" (which would tick the optional ones too), in its label and in
    the row around it (a box labelled only "동의함" answers the question beside it)."""
    said = f"{label} {context}".strip()
    if not label or not o.has("agreement", said):
        return False
    return not any(o.has(c, said) for c in PURPOSES) and not o.has("everything", said)


def option_for(w, f: Field, kind: str | None, eager: bool = False) -> str | None:
    options = [x for x in f.options if x.value and not x.disabled]
    if kind == "country":
        code, name = w.identity.country_code.lower(), w.identity.country.lower()
        for x in options:
            if x.value.lower() == code or x.label.lower() == name:
                return "{{ identity.country_code }}" if x.value.lower() == code else x.value
    if not (f.required or eager):
        return None
    return options[0].value if options else None


async def choose_required(w, facts: PageFacts, add: Control) -> None:
    """Options a product needs before it can be added (a size): the first one offered, as a select, radio
    buttons or buttons drawn as a choice (role=radio or option) with none chosen."""
    form = add.form
    for f in facts.fields:
        if f.tag == "select" and f.required and not f.value and f.visible and not f.disabled \
                and (form < 0 or f.form == form):
            option = next((x for x in f.options if x.value and not x.disabled), None)
            if option is not None:
                await w.act("select", {"target": await w.target(f), "value": option.value},
                            f"choose {short(f.label or f.name)}: {short(option.label)}",
                            why="the product needs this choice: the first option on offer")
    groups: dict[str, list[Field]] = {}
    for f in facts.fields:
        if f.type == "radio" and f.required and (form < 0 or f.form == form) and not f.disabled:
            groups.setdefault(f.name or f.selector, []).append(f)
    for group in groups.values():
        if not any(r.checked for r in group):
            first = next((r for r in group if r.visible or r.label_visible), None)
            if first is not None:
                await w.act("check", {"target": await w.target(first)}, f"choose {short(first.label)}",
                            why="the product needs this choice: the first option on offer")
    drawn: dict[str, list[Control]] = {}
    for c in facts.controls:
        if c.role in ("radio", "option") and c.region not in EDGE and c.frame == add.frame:
            drawn.setdefault(c.group or "page", []).append(c)
    for group in drawn.values():
        if not any(c.selected for c in group):
            first = next((c for c in group if not c.disabled), None)
            if first is not None:
                await w.act("click", {"target": await w.target(first)}, f"choose {short(first.text)}",
                            why="the product needs this choice: the first option on offer")
