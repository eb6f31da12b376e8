"""Generated articles, written out in each format, read back to the same structure."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from course.blocks import RawBlock
from course.model import ItemList, ListItem, Paragraph, SourceFormat
from course.readers.html import read_html
from course.readers.markdown import read_markdown
from course.readers.text import read_text
from course.structure import assemble

WORDS = ["sleep", "water", "iron", "calm", "daily", "muscle", "breath", "greens", "nuts", "rest"]
word = st.sampled_from(WORDS)
sentence = st.lists(word, min_size=4, max_size=14).map(lambda ws: " ".join(ws).capitalize() + ".")
paragraph = st.lists(sentence, min_size=1, max_size=3).map(" ".join)
heading = st.lists(word, min_size=1, max_size=6).map(
    lambda ws: " ".join(w.capitalize() for w in ws)
)
item = st.tuples(st.one_of(st.none(), heading), sentence)


@dataclass(frozen=True)
class Part:
    heading: str
    paragraphs: tuple[str, ...]
    items: tuple[tuple[str | None, str], ...]


part = st.builds(
    Part,
    heading=heading,
    paragraphs=st.lists(paragraph, min_size=1, max_size=3).map(tuple),
    items=st.lists(item, max_size=4).map(tuple),
)
article_parts = st.lists(part, min_size=1, max_size=5, unique_by=lambda p: p.heading.casefold())


def _as_text(title: str, parts: list[Part]) -> str:
    lines = ["×", title]
    for p in parts:
        lines += [p.heading, *p.paragraphs]
        lines += [f"  • {lead}: {text}" if lead else f"  • {text}" for lead, text in p.items]
    lines += ["Related Posts", "Some Teaser", "Read More →"]
    return "\n\n".join(lines) + "\n"


def _as_markdown(title: str, parts: list[Part]) -> str:
    out = [f"[Home](/) · [Blog](/blog)\n\n# {title}\n"]
    for p in parts:
        out.append(f"## {p.heading}\n")
        out += [f"{text}\n" for text in p.paragraphs]
        if p.items:
            lines = [f"- **{lead}:** {text}" if lead else f"- {text}" for lead, text in p.items]
            out.append("\n".join(lines) + "\n")
    out.append("## You May Also Like\n\n- [Other](/other)\n")
    return "\n".join(out)


def _as_html(title: str, parts: list[Part]) -> str:
    out = [f"<html><body><nav><a href='/'>Home</a></nav><article><h1>{html.escape(title)}</h1>"]
    for p in parts:
        out.append(f"<h2>{html.escape(p.heading)}</h2>")
        out += [f"<p>{html.escape(text)}</p>" for text in p.paragraphs]
        if p.items:
            lis = "".join(
                f"<li><strong>{lead}:</strong> {text}</li>" if lead else f"<li>{text}</li>"
                for lead, text in p.items
            )
            out.append(f"<ul>{lis}</ul>")
    out.append("</article><footer>© Blog</footer></body></html>")
    return "\n".join(out)


def _expected(p: Part) -> tuple[object, ...]:
    blocks: list[object] = [Paragraph(text) for text in p.paragraphs]
    if p.items:
        blocks.append(ItemList(tuple(ListItem(text, lead) for lead, text in p.items)))
    return tuple(blocks)


@settings(max_examples=40, deadline=None)
@given(title=heading, parts=article_parts)
def test_every_format_reads_back_what_was_written(title: str, parts: list[Part]) -> None:
    formats: tuple[tuple[Callable[[str], list[RawBlock]], str, SourceFormat], ...] = (
        (read_text, _as_text(title, parts), "text"),
        (read_markdown, _as_markdown(title, parts), "markdown"),
        (read_html, _as_html(title, parts), "html"),
    )
    for reader, source, fmt in formats:
        article = assemble(reader(source), slug="g", source=Path("g"), format=fmt)
        assert article.title == title, fmt
        assert [s.heading for s in article.sections] == [p.heading for p in parts], fmt
        assert [s.blocks for s in article.sections] == [_expected(p) for p in parts], fmt
