"""The funnel chart's geometry."""

from __future__ import annotations

from admin.web.charts import LABEL_WIDTH, STAGES, FunnelRow, funnel


def test_bars_scale_to_the_largest_count() -> None:
    chart = funnel(
        [FunnelRow("Welcome", sent=100, delivered=98, opened=50, clicked=10, unsubscribed=2)],
        width=760,
    )
    bars = chart.groups[0].bars
    assert [bar.stage for bar in bars] == list(STAGES)
    room = 760 - LABEL_WIDTH - 56
    assert bars[0].width == room
    assert bars[2].width == round(room / 2)
    assert bars[4].width == round(room * 0.02)
    assert all(bar.x == LABEL_WIDTH for bar in bars)


def test_groups_stack_without_overlapping_and_empty_charts_have_no_height() -> None:
    chart = funnel([FunnelRow("one", sent=1), FunnelRow("two", sent=0)])
    first, second = chart.groups
    assert second.bars[0].y > first.bars[-1].y + chart.bar_height
    assert all(bar.width >= 1 for bar in second.bars)  # a zero still shows as a hairline
    assert funnel([]).height == 0
