"""Plain text as scraped from a blog: one block per line, blank lines between.

What such a scrape looks like: a close glyph ("×") left by a pop-up, the title line, a
subtitle, headings as short lines without closing punctuation, bullets as "•" lines,
numbered points ("1. Lead: text") separated by blank lines, an FAQ of question lines
and answers, and the site's teaser block at the end. Lines that only hold glyphs are
chrome; the teaser block is cut by `course.structure`, which all formats share.
"""

from __future__ import annotations

import re

from course.blocks import Chrome, Heading, Items, Para, Question, RawBlock
from course.model import ListItem
from course.text import clean, has_letters, list_item, looks_like_heading

_BULLET = re.compile(r"^[•◦▪▫‣●○■□·–—*-]\s+(?P<text>\S.*)$")
_NUMBERED = re.compile(r"^(?P<number>\d{1,2})[.)]\s+(?P<text>\S.*)$")
_QA_PREFIX = re.compile(r"^(?P<kind>[QA])\s*[:.]\s+(?P<text>\S.*)$")
_Pending = tuple[ListItem, bool, int]  # a list item, whether it is numbered, its line


def read_text(source: str) -> list[RawBlock]:
    blocks: list[RawBlock] = []
    pending: list[_Pending] = []  # list items waiting to be grouped
    previous_blank = True
    for number, raw in enumerate(source.splitlines(), start=1):
        line = clean(raw)
        if not line:
            previous_blank = True
            continue
        item = _list_item(line)
        if item is not None:
            pending.append((*item, number))
        elif _continues(line, previous_blank, blocks, pending):
            _join_continuation(line, blocks, pending)
        else:
            blocks.extend(_flush(pending))
            blocks.append(_classify(line, number, has_title=_has_title(blocks)))
        previous_blank = False
    blocks.extend(_flush(pending))
    return blocks


def _list_item(line: str) -> tuple[ListItem, bool] | None:
    """The item and whether it is numbered, or None when the line is not a list item."""
    if match := _BULLET.match(line):
        return list_item(match["text"]), False
    if match := _NUMBERED.match(line):
        return list_item(match["text"]), True
    return None


def _classify(line: str, number: int, *, has_title: bool) -> RawBlock:
    if not has_letters(line):
        return Chrome(line, number, "a glyph without words (a button or icon)")
    if not has_title:
        return Heading(line, 1, number)
    if match := _QA_PREFIX.match(line):
        if match["kind"] == "Q":
            return Question(match["text"], number)
        return Para(match["text"], number)
    if looks_like_heading(line):
        return Heading(line, 2, number)
    return Para(line, number)


def _has_title(blocks: list[RawBlock]) -> bool:
    return any(not isinstance(block, Chrome) for block in blocks)


def _continues(
    line: str, previous_blank: bool, blocks: list[RawBlock], pending: list[_Pending]
) -> bool:
    """A hard-wrapped line: it starts in lower case right under a paragraph or an item."""
    if previous_blank or not line[0].islower():
        return False
    return bool(pending) or (bool(blocks) and isinstance(blocks[-1], Para | Heading))


def _join_continuation(line: str, blocks: list[RawBlock], pending: list[_Pending]) -> None:
    if pending:
        item, ordered, number = pending[-1]
        pending[-1] = (ListItem(f"{item.text} {line}", item.lead), ordered, number)
        return
    last = blocks[-1]
    if isinstance(last, Heading) and last.level == 1:  # a title wrapped onto two lines
        blocks[-1] = Heading(f"{last.text} {line}", 1, last.line)
    elif isinstance(last, Para | Heading):  # a "heading" that was a paragraph's first line
        blocks[-1] = Para(f"{last.text} {line}", last.line)


def _flush(pending: list[_Pending]) -> list[RawBlock]:
    """Group waiting items into lists: a run of bullets, or a run of numbered points."""
    lists: list[RawBlock] = []
    run: list[_Pending] = []
    for entry in pending:
        if run and run[-1][1] != entry[1]:
            lists.append(_items(run))
            run = []
        run.append(entry)
    if run:
        lists.append(_items(run))
    pending.clear()
    return lists


def _items(run: list[_Pending]) -> Items:
    return Items(tuple(item for item, _, _ in run), ordered=run[0][1], line=run[0][2])
