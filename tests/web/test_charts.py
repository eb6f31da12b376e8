"""The funnel chart's geometry and labels."""

from __future__ import annotations

from admin.web.charts import LABEL_WIDTH, STAGES, VALUE_WIDTH, FunnelRow, funnel, share


def test_bars_scale_to_the_largest_count() -> None:
    chart = funnel(
        [FunnelRow("Welcome", sent=100, delivered=98, opened=50, clicked=10, unsubscribed=2)],
        width=760,
    )
    bars = chart.groups[0].bars
    assert [bar.stage for bar in bars] == list(STAGES)
    room = 760 - LABEL_WIDTH - VALUE_WIDTH
    assert bars[0].width == room
    assert bars[2].width == round(room / 2)
    assert bars[4].width == round(room * 0.02)
    assert all(bar.x == LABEL_WIDTH for bar in bars)


def test_groups_stack_without_overlapping_and_empty_charts_have_no_height() -> None:
    chart = funnel([FunnelRow("one", sent=1), FunnelRow("two", sent=0)])
    first, second = chart.groups
    assert second.bars[0].y > first.bars[-1].y + chart.bar_height
    assert second.top > first.bars[-1].y + chart.bar_height
    assert all(bar.width >= 1 for bar in second.bars)  # a zero still shows as a hairline
    assert funnel([]).height == 0


def test_each_stage_after_sent_is_labelled_with_its_share_of_the_emails_sent() -> None:
    row = FunnelRow("Welcome", sent=23, delivered=23, opened=16, clicked=4, unsubscribed=0)
    texts = [bar.text for bar in funnel([row]).groups[0].bars]
    assert texts == ["23", "23 · 100%", "16 · 70%", "4 · 17%", "0"]
    assert share(1, 0) == ""


def test_long_lesson_titles_are_shortened_and_captions_kept() -> None:
    title = "Glycinate, malate, threonate: which magnesium to take and when"
    [group] = funnel([FunnelRow(title, sent=1, caption="Lesson 3")]).groups
    assert group.label.endswith("…")
    assert len(group.label) <= 34
    assert group.caption == "Lesson 3"
