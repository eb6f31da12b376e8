"""The flat stream of blocks every reader produces, before sections are formed.

Each reader (text, Markdown, HTML) knows its own syntax but nothing of titles,
sections or FAQs: it emits headings, paragraphs, lists, explicit questions and the
chrome it dropped, each with its source line. `course.structure` turns the stream
into an `Article`, so the three formats share one set of rules.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from course.model import ListItem


@dataclass(frozen=True)
class Heading:
    text: str
    level: int  # 1 is the article's title; 2 and deeper start sections
    line: int


@dataclass(frozen=True)
class Para:
    text: str
    line: int
    subtitle: bool = False  # the source marks it as a subtitle (an italic dek, class="subtitle")


@dataclass(frozen=True)
class Items:
    items: tuple[ListItem, ...]
    ordered: bool
    line: int


@dataclass(frozen=True)
class Question:
    """A question the markup names as one (<dt>, <summary>, a "Q:" line)."""

    text: str
    line: int


@dataclass(frozen=True)
class Chrome:
    """Something a reader dropped as site chrome; it reaches the report, not the course."""

    text: str
    line: int
    reason: str


RawBlock = Heading | Para | Items | Question | Chrome


def table(
    header: Sequence[str] | None, rows: Sequence[Sequence[str]], line: int
) -> Iterator[RawBlock]:
    """A table as a paragraph naming its columns and a list of rows led by their first cell."""
    if header and any(header):
        yield Para(" · ".join(cell for cell in header if cell), line)
    items = tuple(_row(cells) for cells in rows if any(cells))
    if items:
        yield Items(items, ordered=False, line=line)


def _row(cells: Sequence[str]) -> ListItem:
    filled = [cell for cell in cells if cell]
    if len(filled) == 1:
        return ListItem(text=filled[0])
    return ListItem(text=" · ".join(filled[1:]), lead=filled[0])
