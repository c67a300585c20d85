"""Baskets and order summaries read from a snapshot's price rows (pure; used by the journey checks).

A basket is the group of price rows (rows sharing a container) that has a total: its lines are sorted into
items (what is bought), fees, delivery, tax or discounts, the subtotal and the total by the lexicon.
"""

from __future__ import annotations

import functools
import os
import re
import unicodedata
from dataclasses import dataclass

from auditor.lexicon import normalise
from auditor.models import PageSnapshot, PriceRow
from auditor.registry import CheckContext

KINDS = ("order_total", "subtotal", "fee", "shipping", "tax_or_discount")


@dataclass(frozen=True)
class Line:
    row: PriceRow
    kind: str  # item | fee | shipping | tax_or_discount | subtotal | order_total
    key: str  # the label normalised, for comparing lines across steps


@dataclass(frozen=True)
class Basket:
    container: str
    lines: tuple[Line, ...]

    @property
    def total(self) -> Line | None:
        totals = [ln for ln in self.lines if ln.kind == "order_total"]
        return totals[-1] if totals else None

    def of(self, kind: str) -> list[Line]:
        return [ln for ln in self.lines if ln.kind == kind]


def line_kind(ctx: CheckContext, label: str) -> str:
    lex = ctx.lexicon
    total = lex.spans("order_total", label)
    if total and total[0][0] == 0 and not lex.has("subtotal", label):
        # a label that opens with "Total" and then qualifies it ("(inc. VAT)", "inkl. MwSt.", "per maand") is
        # the total; "Total VAT" or "Total shipping" is a line of its own
        notes = lex.spans("tax_or_discount", label)
        rest = normalise(label)[total[0][1]:].strip()
        qualifiers = lex.spans("price_qualifier", label)
        opens = lex.spans("price_qualifier", rest)
        qualified = not rest or rest[0] in "(（[:/" or (bool(opens) and opens[0][0] == 0)
        # every tax or period word is part of a qualifier ("inc. VAT", "per maand", "税込"), not a line's name
        covered = all(any(a <= s0 and e0 <= b for a, b, _ in qualifiers) for s0, e0, _ in notes)
        if (not notes and not lex.has("shipping", label) and not lex.has("fee", label)) or (qualified and covered):
            return "order_total"
    taxes = lex.spans("tax_or_discount", label)
    addon = lex.spans("paid_addon", label)
    if taxes and addon and addon[0][0] < taxes[0][0]:
        return "item"  # "Round up for the Arts Fund (tax-deductible donation)": named first as an extra
    shipping = lex.spans("shipping", label)
    if addon and shipping and addon[-1][1] >= shipping[0][1] and not lex.has("fee", label):
        return "item"  # "Shipping protection", "Delivery insurance": an insurance bought with the parcel
    if taxes:
        # "Convenience fees (base amount + GST)", "Service fee incl. VAT": a charge named first, its tax only
        # breaks it down
        charge = min(((sp[0][0], kind) for kind in ("shipping", "fee") if (sp := lex.spans(kind, label))), default=None)
        if charge is not None and charge[0] < taxes[0][0]:
            return charge[1]
    # order matters: "Subtotal" is not the total; "Delivery fee" is delivery; "Service fee" is a fee
    for kind in ("subtotal", "tax_or_discount", "shipping", "fee", "order_total"):
        if lex.has(kind, label):
            return kind
    return "item"


def label_key(label: str) -> str:
    """Lower case, without digits, marks and punctuation: "Summit 45L Pack (M/L) x1" ~ "summit l pack m l x"."""
    t = unicodedata.normalize("NFKD", label.lower())
    t = "".join(ch for ch in t if not unicodedata.combining(ch))
    return " ".join(re.findall(r"[^\W\d_]+", t))[:80]


def find_basket(page: PageSnapshot, ctx: CheckContext) -> Basket | None:
    """The order summary on the page: the container of price rows that has a total (the largest one)."""
    groups: dict[str, list[PriceRow]] = {}
    for r in page.prices:
        if r.struck or not r.container:
            continue
        groups.setdefault(r.container, []).append(r)
    # a summary is often split in two containers (lines / totals) under one parent: merge by prefix
    best = None
    def parent(c: str) -> str:
        return c.rsplit(" > ", 1)[0] if " > " in c else ""

    for container, rows in groups.items():
        # a summary split into boxes under one parent (lines in a list, totals in a table; at most two levels
        # down), not a page-wide wrapper
        family = [r for c, rs in groups.items() if c == container or (
            c.startswith(container + " > ") and c[len(container):].count(" > ") <= 2) or (
            parent(c) and parent(c) == parent(container) and parent(c) not in ("body", "html > body"))
            for r in rs]
        lines = tuple(Line(r, line_kind(ctx, r.label), label_key(r.label)) for r in family)
        if not any(ln.kind == "order_total" for ln in lines):
            continue
        if best is None or len(lines) > len(best.lines):
            best = Basket(container, lines)
    if best is None:
        # rows of one summary that sit in sibling containers: take every row when the page has one total only
        rows = [r for r in page.prices if not r.struck]
        lines = tuple(Line(r, line_kind(ctx, r.label), label_key(r.label)) for r in rows)
        if sum(1 for ln in lines if ln.kind == "order_total") == 1:
            best = Basket("", lines)
    if best is not None and not any(ln.kind == "item" for ln in best.lines):
        best = _with_items_elsewhere(page, ctx, best)
    return best


def _with_items_elsewhere(page: PageSnapshot, ctx: CheckContext, basket: Basket) -> Basket:
    """A cart page often lists its lines in a table and sums them in a separate box: take the lines whose
    amounts add up to the box's subtotal (or total), one container's worth."""
    sub = next((ln.row.amount for ln in basket.lines if ln.kind == "subtotal"), None)
    target = sub if sub is not None else (basket.total.row.amount if basket.total else None)
    if target is None:
        return basket
    mine = {id(ln.row) for ln in basket.lines}
    by_container: dict[str, list[PriceRow]] = {}
    for r in page.prices:
        if id(r) in mine or r.struck or r.amount <= 0 or not label_key(r.label):
            continue
        if line_kind(ctx, r.label) == "item":
            by_container.setdefault(r.container, []).append(r)
    # the lines and the charges of one box that add up to the total ("#lines": fare, seat, taxes; "Total" in
    # another table)
    if basket.total is not None:
        every: dict[str, list[PriceRow]] = {}
        for r in page.prices:
            if id(r) not in mine and not r.struck and r.amount > 0 and label_key(r.label):
                every.setdefault(r.container, []).append(r)
        for rows in every.values():
            kinds = [line_kind(ctx, r.label) for r in rows]
            if "item" in kinds and "order_total" not in kinds and "subtotal" not in kinds \
                    and abs(sum(r.amount for r in rows) - basket.total.row.amount) < 0.005:
                extra = tuple(Line(r, k, label_key(r.label)) for r, k in zip(rows, kinds))
                return Basket(basket.container, extra + basket.lines)
    for rows in by_container.values():
        exact = [r for r in rows if abs(r.amount - target) < 0.005]
        chosen = exact[:1] if len(rows) > 1 and exact and abs(sum(r.amount for r in rows) - target) >= 0.005 \
            else rows
        if abs(sum(r.amount for r in chosen) - target) < 0.005:
            extra = tuple(Line(r, "item", label_key(r.label)) for r in chosen)
            return Basket(basket.container, extra + basket.lines)
    # one line per row of a table (Shopify's cart drawer: each line its own container): the lines, one per
    # container, that add up to the total, the ones nearest the total when several sets do
    singles = [rows[0] for c, rows in by_container.items() if c not in ("", "body", "html > body")][:12]
    charges = sum(ln.row.amount for ln in basket.lines if ln.kind in ("fee", "shipping"))
    targets = {round(target, 2)} | ({round(basket.total.row.amount - charges, 2)} if basket.total is not None else set())
    best = None
    for mask in range(1, 1 << len(singles)):
        pick = [r for k, r in enumerate(singles) if mask >> k & 1]
        if any(abs(sum(r.amount for r in pick) - t) < 0.005 for t in targets):
            # the most lines, from containers named alike (rows of one table), nearest the total
            alike = len(os.path.commonprefix([r.container for r in pick])) if len(pick) > 1 else 0
            far = sum(_distance(r, basket.total.row if basket.total is not None else r) for r in pick)
            key = (-len(pick), -alike, far)
            if best is None or key < best[0]:
                best = (key, pick)
    if best is not None:
        extra = tuple(Line(r, "item", label_key(r.label)) for r in best[1])
        return Basket(basket.container, extra + basket.lines)
    return basket


def _distance(a: PriceRow, b: PriceRow) -> float:
    """How far apart two rows are on the page (centres of their boxes); 0 when a box is unknown."""
    ba, bb = a.ref.box, b.ref.box
    if ba is None or bb is None:
        return 0.0
    return ((ba.x + ba.width / 2 - bb.x - bb.width / 2) ** 2 + (ba.y + ba.height / 2 - bb.y - bb.height / 2) ** 2) ** 0.5


_NUMBER = re.compile(r"\d{1,3}(?:[.,'\u00a0\u202f ]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?")


def _amounts(text: str) -> set[float]:
    """The numbers in a text read as amounts, both ways of writing decimals ("9,90" and "1.299,00")."""
    out = set()
    for raw in _NUMBER.findall(text or ""):
        digits = re.sub(r"[\s'\u00a0\u202f]", "", raw)
        for dec in (",", "."):
            other = "." if dec == "," else ","
            t = digits.replace(other, "")
            head, sep, tail = t.rpartition(dec)
            if sep and len(tail) in (1, 2):
                t = head.replace(dec, "") + "." + tail
            else:
                t = t.replace(dec, "")
            try:
                out.add(round(float(t), 2))
            except ValueError:
                pass
    return out


def explained_by(ctx: CheckContext, acted_on: str, row: PriceRow, basket_before: tuple[str, ...] = ()) -> bool:
    """Does what the person acted on at a step explain a new basket line: the control they clicked, ticked or
    chose names it ("Add gift wrap" -> "Gift wrap") or shows its price ("Express (DHL) 9,90 €" -> "Versandkosten
    9,90 €")? A button that only moves on ("Continue to shipping") explains nothing."""
    if not acted_on:
        return False
    if row.amount > 0 and round(row.amount, 2) in _amounts(acted_on):
        return True
    if _navigation(ctx, acted_on):
        return False
    # Chinese and Japanese labels have no spaces: "加购演出取消险" explains "演出取消险 ×2"
    cjk = _CJK_RUN.search(row.label)
    if cjk and cjk.group(0)[:4] in acted_on:
        return True
    # a word the control and the new line share, unless it names a line already in the basket: "Tickets: 2"
    # changes the tickets line, it does not explain "Booking protection (2 tickets)"
    known = set().union(*(_words(b, 4) for b in basket_before)) if basket_before else set()
    mine, line = _words(acted_on, 4) - known, _words(row.label, 4) - known
    return bool(mine & line) or any(_compound(a, b) for a in mine for b in line)


def add_steps(ctx: CheckContext, steps) -> list:
    """The steps that put something in the basket: an "Add to cart" or "Buy now" click."""
    lex = ctx.lexicon
    return [s for s in steps if s.kind in ("click", "press") and s.acted_on
            and (lex.has("add_to_cart", s.acted_on) or lex.has("final_submit", s.acted_on))]


def shopping_steps(ctx: CheckContext, steps) -> list:
    """The steps whose page can show the person's basket: from the first add-to-cart on, when the walk adds
    something (a product page's "TOTAL 39,000원 (1개)" for the options chosen is no basket yet); every step of
    a walk that starts at a basket."""
    adds = add_steps(ctx, steps)
    return [s for s in steps if s.index >= adds[0].index] if adds else list(steps)


def chosen_lines(ctx: CheckContext, steps, lines: list, unexplained: bool = False) -> list:
    """The basket lines the person's actions in ``steps`` (journey steps up to the first basket) explain, or,
    with ``unexplained``, the others. Each add-to-cart or buy-now click explains the one line that fits it best
    (words shared with the control, the card it sits in and the page it was clicked on; its price), even if
    none fits (it added something); each box ticked or option chosen explains a line it names. With no
    add-to-cart step the basket was not filled by the person in this walk: every line counts as chosen."""
    claims = claim_lines(ctx, steps, lines)
    if claims is None:
        return [] if unexplained else list(lines)
    return [ln for ln in lines if (ln.key not in claims) == unexplained]


def claim_lines(ctx: CheckContext, steps, lines: list) -> dict | None:
    """{line key: what the person did that explains it (the add's words and the page it was clicked on)} for
    the first basket (see ``chosen_lines``); None when the walk added nothing itself."""
    lex = ctx.lexicon
    adds = add_steps(ctx, steps)
    if not adds:
        return None
    titles = {s.index: (s.snapshot.title if s.snapshot is not None else "") for s in steps}
    remaining = list(lines)
    claims: dict = {}
    for s in adds:  # first the adds: a product link clicked before names the product but adds nothing
        if not remaining:
            break
        seen_on = titles.get(max((i for i in titles if i < s.index), default=-1), "")
        said = f"{s.acted_on} {seen_on}"
        fits = [(len(_words(said, 3) & _words(ln.row.label, 3)) + (2 if round(ln.row.amount, 2) in _amounts(said)
                 else 0), -k) for k, ln in enumerate(remaining)]
        best = remaining[max(range(len(remaining)), key=lambda k: fits[k])]
        remaining.remove(best)
        claims[best.key] = said
    for s in steps:  # then a box ticked, an option chosen, an extra clicked that names its line
        if not remaining or not s.acted_on or s in adds:
            continue
        if s.kind not in ("check", "select") and not (s.kind == "click" and lex.has("paid_addon", s.acted_on)):
            continue
        best = next((ln for ln in remaining if explained_by(ctx, s.acted_on, ln.row)), None)
        if best is not None:
            remaining.remove(best)
            claims[best.key] = s.acted_on
    return claims


def _navigation(ctx: CheckContext, text: str) -> bool:
    """A control that only moves on ("Continue to shipping", "Weiter", "Zur Kasse"): its navigation words
    make up most of its name ("Next-day delivery £9.99" is an option, not a step)."""
    norm = " ".join(label_key(text).split())
    if not norm:
        return False
    covered = sum(end - start for cat in ("next_step", "checkout") for start, end, _ in ctx.lexicon.spans(cat, text))
    return covered >= 0.45 * len(norm)


def _compound(a: str, b: str) -> bool:
    """German or Dutch compounds naming the same thing: "Parkplatz" and "Tiefgaragenstellplatz" share their
    head word (a common ending of five letters or more, at least half the shorter word)."""
    n = 0
    while n < min(len(a), len(b)) and a[-1 - n] == b[-1 - n]:
        n += 1
    return n >= 5 and n * 2 >= min(len(a), len(b))


_CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]+")
#: joining words that make no two lines the same ("Tent and pegs" ~ "Stove and pot")
_JOINERS = frozenset("the and for with von und de la le les des del con per".split())


@functools.lru_cache(maxsize=1)
def _filler() -> frozenset:
    """Words that say how much or which variant, never what (the lexicon's ``quantity_word``, in every language:
    "qty", "Menge", "taille", "수량"), and the joining words."""
    from auditor.lexicon import load
    words = {label_key(t.strip("*")) for _, t in load().terms.get("quantity_word", ())}
    return frozenset(w for w in words if w and " " not in w) | _JOINERS


def _words(label: str, min_len: int) -> set[str]:
    """The label's words worth comparing, a plural "s" dropped ("tickets" ~ "ticket")."""
    return {w[:-1] if len(w) > 4 and w.endswith("s") and not w.endswith("ss") else w
            for w in label_key(label).split() if len(w) >= min_len and w not in _filler()}


def shares_words(a: str, b: str, min_len: int = 4) -> bool:
    """Do two labels share a word of ``min_len`` letters or more (the person's click and a basket line)?"""
    return bool(_words(a, min_len) & _words(b, min_len))


def same_item(a: str, b: str) -> bool:
    """Two labels name the same thing: half the words of the shorter one (three letters or more) recur in the
    other ("Summit 45L Trekking Pack · In stock" ~ "1 Summit 45L Trekking Pack · Qty 1")."""
    wa, wb = _words(a, 3), _words(b, 3)
    if not wa or not wb:
        return label_key(a) == label_key(b)
    return len(wa & wb) >= max(1, min(len(wa), len(wb)) / 2)
