"""The dashboard's funnel per lesson as SVG geometry (sizes are attributes, not styles,
so the chart keeps the content security policy that forbids inline styles).

Each lesson is a group of five horizontal bars (sent, delivered, opened, clicked,
unsubscribed) on one scale, so lessons compare at a glance; each bar is labelled with
its count and, after "sent", its share of the emails sent (the open rate, the click
rate...), which is what people read a funnel for.
"""

from __future__ import annotations

from dataclasses import dataclass

STAGES = ("sent", "delivered", "opened", "clicked", "unsubscribed")
LABEL_WIDTH = 250
VALUE_WIDTH = 84
BAR_HEIGHT = 10
BAR_GAP = 3
GROUP_GAP = 22
TITLE_CHARS = 34


@dataclass(frozen=True)
class FunnelRow:
    """One lesson's counts, as the scheduler's ledger and events report them."""

    label: str
    sent: int = 0
    delivered: int = 0
    opened: int = 0
    clicked: int = 0
    unsubscribed: int = 0
    caption: str = ""  # a second line under the label ("Lesson 2")

    def count(self, stage: str) -> int:
        value: int = getattr(self, stage)
        return value


@dataclass(frozen=True)
class Bar:
    stage: str
    x: int
    y: int
    width: int
    value: int
    text: str  # the label beside the bar: "16 · 70%"


@dataclass(frozen=True)
class Group:
    label: str
    y: int  # the baseline of the label
    bars: tuple[Bar, ...]
    caption: str = ""
    top: int = 0  # where the group starts (a divider is drawn above all but the first)


@dataclass(frozen=True)
class Funnel:
    width: int
    height: int
    groups: tuple[Group, ...]
    bar_height: int = BAR_HEIGHT


def share(value: int, of: int) -> str:
    """`value` as a whole percentage of `of` ("70%"), "" when there is nothing to share."""
    if of <= 0:
        return ""
    return f"{round(100 * value / of)}%"


def _text(stage: str, value: int, sent: int) -> str:
    rate = share(value, sent) if stage != "sent" and value else ""
    return f"{value} · {rate}" if rate else str(value)


def _title(label: str) -> str:
    return label if len(label) <= TITLE_CHARS else label[: TITLE_CHARS - 1].rstrip() + "…"


def funnel(rows: list[FunnelRow], width: int = 760) -> Funnel:
    """Horizontal bars per lesson and stage, scaled so the largest count fills the row."""
    largest = max((row.count(stage) for row in rows for stage in STAGES), default=0) or 1
    room = width - LABEL_WIDTH - VALUE_WIDTH
    group_height = len(STAGES) * (BAR_HEIGHT + BAR_GAP) - BAR_GAP
    groups = []
    for index, row in enumerate(rows):
        top = index * (group_height + GROUP_GAP)
        bars = tuple(
            Bar(
                stage=stage,
                x=LABEL_WIDTH,
                y=top + position * (BAR_HEIGHT + BAR_GAP),
                width=max(1, round(room * row.count(stage) / largest)),
                value=row.count(stage),
                text=_text(stage, row.count(stage), row.sent),
            )
            for position, stage in enumerate(STAGES)
        )
        middle = top + group_height // 2 + 4
        baseline = middle - 8 if row.caption else middle
        groups.append(Group(_title(row.label), baseline, bars, row.caption, top))
    height = max(0, len(rows) * (group_height + GROUP_GAP) - GROUP_GAP)
    return Funnel(width, height, tuple(groups))
