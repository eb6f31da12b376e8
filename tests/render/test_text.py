"""The text twin's helpers: wrapping with hanging indents, the width rule, tidying."""

from __future__ import annotations

from render.text import MAX_TEXT_COLUMNS, tidy, too_wide, underline, wrap


def test_wrap_keeps_lines_within_the_width() -> None:
    text = "Magnesium participates in over 300 enzymatic reactions in the body. " * 5
    lines = wrap(text, 40).splitlines()
    assert len(lines) > 5
    assert all(len(line) <= 40 for line in lines)


def test_wrap_gives_a_bullet_and_a_hanging_indent() -> None:
    wrapped = wrap("one two three four five six seven", 16, indent="    ", first="  - ")
    assert wrapped.splitlines() == ["  - one two", "    three four", "    five six", "    seven"]


def test_wrap_never_breaks_a_url_or_a_hyphenated_word() -> None:
    url = "https://example.com/view/" + "x" * 80
    wrapped = wrap(f"Open {url} for the legs-up-the-wall pose", 30)
    assert url in wrapped.splitlines()
    assert "legs-up-the-wall" in wrapped


def test_only_text_beyond_78_columns_is_too_wide() -> None:
    assert not too_wide("x" * MAX_TEXT_COLUMNS)
    assert too_wide("x" * (MAX_TEXT_COLUMNS + 1))
    assert not too_wide("Unsubscribe: https://example.com/unsubscribe/" + "t" * 90)


def test_tidy_trims_and_collapses_blank_lines() -> None:
    assert tidy("\n\nHello  \n\n\n\nworld\t\n\n") == "Hello\n\nworld\n"


def test_underline_matches_the_heading() -> None:
    assert underline("Eating for magnesium") == "=" * 20
