"""The dashboard's funnel per lesson as SVG geometry (sizes are attributes, not styles,
so the chart keeps the content security policy that forbids inline styles)."""

from __future__ import annotations

from dataclasses import dataclass

STAGES = ("sent", "delivered", "opened", "clicked", "unsubscribed")
LABEL_WIDTH = 190
VALUE_WIDTH = 56
BAR_HEIGHT = 9
BAR_GAP = 3
GROUP_GAP = 16


@dataclass(frozen=True)
class FunnelRow:
    """One lesson's counts, as the scheduler's ledger and events report them."""

    label: str
    sent: int = 0
    delivered: int = 0
    opened: int = 0
    clicked: int = 0
    unsubscribed: int = 0

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


@dataclass(frozen=True)
class Group:
    label: str
    y: int  # the baseline of the label
    bars: tuple[Bar, ...]


@dataclass(frozen=True)
class Funnel:
    width: int
    height: int
    groups: tuple[Group, ...]
    bar_height: int = BAR_HEIGHT


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
            )
            for position, stage in enumerate(STAGES)
        )
        groups.append(Group(row.label, top + group_height // 2 + 4, bars))
    height = max(0, len(rows) * (group_height + GROUP_GAP) - GROUP_GAP)
    return Funnel(width, height, tuple(groups))
