"""From a reader's flat block stream to an `Article`: chrome, title, subtitle, sections, FAQs.

The rules here hold for every format, so an article reads the same whether it was
scraped as text, written in Markdown or saved as HTML:
- site chrome goes: glyph-only lines, single-line buttons ("Read More →", "Share"), and
  a teaser block ("Hot Articles", "Related Posts") with everything after it;
- the first level-1 heading is the title; a sentence-less line right under it is the
  subtitle;
- every further heading starts a section; what precedes the first one is an untitled
  introduction (a section with an empty heading), so nothing is lost;
- in a section headed like an FAQ, question lines pair with the paragraphs after them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from course.blocks import Chrome, Heading, Items, Para, Question, RawBlock
from course.errors import error_at
from course.model import (
    QA,
    Article,
    Block,
    ItemList,
    Paragraph,
    Removed,
    Section,
    SourceFormat,
)
from course.text import (
    HEADING_MAX_WORDS,
    TEASER_HEADING,
    ends_a_sentence,
    has_letters,
    is_contents_heading,
    is_faq_heading,
    is_question,
    is_ui_phrase,
)


def assemble(blocks: list[RawBlock], *, slug: str, source: Path, format: SourceFormat) -> Article:
    content, removed = _drop_chrome(blocks)
    title, content = _title(content, removed)
    if title is None:
        raise error_at(source, None, "no title: the article must start with its title")
    subtitle, content = _subtitle(content)
    sections = _drop_contents(_sections(content, slug), removed)
    if not any(section.heading for section in sections):
        raise error_at(
            source,
            None,
            "no headings found; drip splits an article into sections at its headings "
            f"(in plain text: short lines of at most {HEADING_MAX_WORDS} words "
            "without closing punctuation)",
        )
    return Article(
        slug=slug,
        title=title,
        subtitle=subtitle,
        sections=tuple(sections),
        source=source,
        format=format,
        removed=tuple(removed),
    )


def _drop_chrome(blocks: list[RawBlock]) -> tuple[list[RawBlock], list[Removed]]:
    kept: list[RawBlock] = []
    removed: list[Removed] = []
    for position, block in enumerate(blocks):
        if isinstance(block, Chrome):
            removed.append(Removed(block.text, block.line, block.reason))
            continue
        text = _text_of(block)
        if isinstance(block, Heading | Para) and TEASER_HEADING.match(text):
            removed.extend(_teaser_block(blocks[position:], text))
            break
        if isinstance(block, Heading | Para | Question) and not has_letters(text):
            removed.append(Removed(text, block.line, "a glyph without words (a button or icon)"))
        elif isinstance(block, Heading | Para) and is_ui_phrase(text):
            removed.append(Removed(text, block.line, "a page button or link"))
        else:
            kept.append(block)
    return kept, removed


def _teaser_block(blocks: list[RawBlock], heading: str) -> list[Removed]:
    reason = f"the site's {heading!r} teaser block, which ends the page"
    return [Removed(_text_of(block), block.line, reason) for block in blocks]


def _text_of(block: RawBlock) -> str:
    if isinstance(block, Items):
        return " ".join(
            f"{item.lead}: {item.text}" if item.lead else item.text for item in block.items
        )
    return block.text


def _title(blocks: list[RawBlock], removed: list[Removed]) -> tuple[str | None, list[RawBlock]]:
    """The first level-1 heading; anything above it (a byline, a breadcrumb) is chrome."""
    for position, block in enumerate(blocks):
        if isinstance(block, Heading) and block.level == 1:
            for before in blocks[:position]:
                removed.append(Removed(_text_of(before), before.line, "above the title"))
            return block.text, blocks[position + 1 :]
    if blocks and isinstance(blocks[0], Heading):  # no level-1 heading: the first one
        return blocks[0].text, blocks[1:]
    return None, blocks


def _subtitle(blocks: list[RawBlock]) -> tuple[str | None, list[RawBlock]]:
    if not blocks:
        return None, blocks
    first, after = blocks[0], blocks[1:]
    if isinstance(first, Para) and (first.subtitle or not _is_sentence(first.text)):
        return first.text, after
    # A heading with nothing under it, straight after the title, is a dek, not a section.
    next_heading = after[0] if after and isinstance(after[0], Heading) else None
    if isinstance(first, Heading) and next_heading and next_heading.level <= first.level:
        return first.text, after
    return None, blocks


def _is_sentence(text: str) -> bool:
    return ends_a_sentence(text) or is_question(text)


@dataclass
class _Draft:
    heading: str
    line: int
    faq: bool
    blocks: list[RawBlock] = field(default_factory=list)


def _sections(blocks: list[RawBlock], slug: str) -> list[Section]:
    drafts: list[_Draft] = []
    current = _Draft(heading="", line=blocks[0].line if blocks else 0, faq=False)
    for block in blocks:
        if current.faq and isinstance(block, Heading) and _answers(current.blocks, block):
            current.blocks.append(Para(block.text, block.line))
        elif isinstance(block, Heading) and not (current.faq and is_question(block.text)):
            if current.heading or current.blocks:
                drafts.append(current)
            current = _Draft(block.text, block.line, faq=is_faq_heading(block.text))
        else:
            current.blocks.append(block)
    if current.heading or current.blocks:
        drafts.append(current)
    return [
        Section(
            heading=draft.heading,
            blocks=_content(draft.blocks, faq=draft.faq),
            article=slug,
            index=index,
            line=draft.line,
        )
        for index, draft in enumerate(drafts)
    ]


def _drop_contents(sections: list[Section], removed: list[Removed]) -> list[Section]:
    """A table of contents (a list of the article's own headings) is page furniture."""
    headings = {section.heading.casefold() for section in sections}
    kept: list[Section] = []
    for section in sections:
        if _is_contents(section, headings):
            reason = "a table of contents"
            removed.append(Removed(section.heading, section.line, reason))
            removed.extend(Removed(entry, section.line, reason) for entry in _entries(section))
        else:
            kept.append(replace(section, index=len(kept)))
    return kept


def _is_contents(section: Section, headings: set[str]) -> bool:
    if not is_contents_heading(section.heading) or not section.blocks:
        return False
    if not all(isinstance(block, ItemList) for block in section.blocks):
        return False
    entries = _entries(section)
    return 2 * sum(entry.casefold() in headings for entry in entries) >= len(entries)


def _entries(section: Section) -> list[str]:
    return [
        item.text if item.lead is None else f"{item.lead}: {item.text}"
        for block in section.blocks
        if isinstance(block, ItemList)
        for item in block.items
    ]


def _answers(section: list[RawBlock], heading: Heading) -> bool:
    """A short line right under an FAQ question ("Yes, daily") is its answer, not a heading."""
    if not section or is_question(heading.text):
        return False
    last = section[-1]
    return isinstance(last, Question) or (
        isinstance(last, Heading | Para) and is_question(last.text)
    )


def _content(raw: list[RawBlock], *, faq: bool) -> tuple[Block, ...]:
    """Model blocks of one section; in an FAQ, a question takes the paragraphs after it."""
    out: list[Block] = []
    question: str | None = None
    answer: list[Paragraph] = []

    def close_question() -> None:
        nonlocal question
        if question is not None:
            out.append(QA(question=question, answer=tuple(answer)))
            question = None
            answer.clear()

    for block in raw:
        if isinstance(block, Question) or (
            faq and isinstance(block, Heading | Para) and is_question(block.text)
        ):
            close_question()
            question = block.text
        elif isinstance(block, Para) and question is not None:
            answer.append(Paragraph(block.text))
        elif isinstance(block, Para):
            out.append(Paragraph(block.text))
        elif isinstance(block, Items):
            close_question()
            out.append(ItemList(items=block.items, ordered=block.ordered))
    close_question()
    return tuple(out)
