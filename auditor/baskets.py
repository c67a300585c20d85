"""Baskets and order summaries read from a snapshot's price rows (pure; used by the journey checks).

A basket is the group of price rows (rows sharing a container) that has a total: its lines are sorted into
items (what is bought), fees, delivery, tax or discounts, the subtotal and the total by the lexicon.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

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
    for container, rows in groups.items():
        family = [r for c, rs in groups.items() if c == container or c.startswith(container + " > ") for r in rs]
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
    for rows in by_container.values():
        exact = [r for r in rows if abs(r.amount - target) < 0.005]
        chosen = exact[:1] if len(rows) > 1 and exact and abs(sum(r.amount for r in rows) - target) >= 0.005 \
            else rows
        if abs(sum(r.amount for r in chosen) - target) < 0.005:
            extra = tuple(Line(r, "item", label_key(r.label)) for r in chosen)
            return Basket(basket.container, extra + basket.lines)
    return basket


def _words(label: str, min_len: int) -> set[str]:
    return {w for w in label_key(label).split() if len(w) >= min_len}


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
