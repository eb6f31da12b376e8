"""HTML articles: the article's own element, its headings, paragraphs, lists and FAQs.

The reader starts from the page's `<article>` (else `<main>`, else `<body>`), drops
page furniture (nav, aside, footer, script, style, forms, a page-level header, and
elements whose class or id names a share bar, a newsletter box, related posts ...) and
walks the rest in document order. Every dropped element reaches the report as chrome.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

import lxml.html
from lxml.html import HtmlElement

from course.blocks import Chrome, Heading, Items, Para, Question, RawBlock, table
from course.model import ListItem
from course.text import clean, list_item, words

_DROPPED_TAGS = words(
    "nav aside footer script style noscript template form iframe svg button select "
    "input textarea canvas video audio object embed img picture"
)
_CONTAINERS = words("div section article main header figure blockquote body center hgroup")
_BLOCK_TAGS = words("p h1 h2 h3 h4 h5 h6 ul ol li dl dt dd table pre details summary hr figcaption")
_CHROME_NAMES = words(
    "share sharing social related newsletter subscribe signup cookie cookies "
    "breadcrumb breadcrumbs comments comment advert advertisement ad ads sponsored "
    "sidebar widget popup modal promo toc"
)
_SUBTITLE_NAMES = words("subtitle subheading subhead dek standfirst lede deck")
_NAME_PARTS = re.compile(r"[\s_-]+")
_TITLE_SUFFIX = re.compile(r"\s+[|–—-]\s+[^|–—-]+$")


def read_html(source: str) -> list[RawBlock]:
    if not source.strip():
        return []
    document = lxml.html.document_fromstring(source)
    root = _content_root(document)
    blocks = list(_title_outside(document, root))
    blocks.extend(walk(root))
    return blocks


def read_fragment(source: str, first_line: int) -> list[RawBlock]:
    """Blocks of an HTML fragment (raw HTML inside Markdown), lines counted from `first_line`."""
    wrapper = lxml.html.fragment_fromstring(source, create_parent="div")
    return [_shift(block, first_line - 1) for block in walk(wrapper)]


def _content_root(document: HtmlElement) -> HtmlElement:
    articles = [a for a in document.iter("article") if not _in_furniture(a)]
    with_title = [a for a in articles if a.find(".//h1") is not None]
    if with_title or articles:
        return max(with_title or articles, key=lambda a: len(a.text_content()))
    main = document.find(".//main")
    if main is not None:
        return main
    body = document.find(".//body")
    return body if body is not None else document


def _title_outside(document: HtmlElement, root: HtmlElement) -> Iterator[RawBlock]:
    """The page's title when the content root holds no <h1>: an <h1> elsewhere that is not
    page furniture (a site logo), else the <title> without the site's name."""
    if root.find(".//h1") is not None:
        return
    h1 = next((h for h in document.iter("h1") if not _in_furniture(h)), None)
    if h1 is not None:
        yield Heading(inline_text(h1), 1, h1.sourceline or 0)
        return
    title = document.find(".//title")
    if title is not None and clean(title.text_content()):
        # "Article Title | Site Name": the site's name is chrome.
        yield Heading(_TITLE_SUFFIX.sub("", clean(title.text_content())), 1, title.sourceline or 0)


def walk(element: HtmlElement) -> Iterator[RawBlock]:
    """Blocks of a container, in document order; loose text between blocks is a paragraph."""
    run: list[str] = [element.text or ""]
    line = element.sourceline or 0
    for child in element:
        if not isinstance(child.tag, str):  # a comment or processing instruction
            run.append(child.tail or "")
            continue
        if _is_block(child):
            yield from _paragraph(run, line)
            run = []
            yield from _block(child)
            line = child.sourceline or line
        else:
            run.append(inline_text(child))
        run.append(child.tail or "")
    yield from _paragraph(run, line)


def _is_block(element: HtmlElement) -> bool:
    tag = element.tag.lower()
    return tag in _BLOCK_TAGS or tag in _CONTAINERS or _dropped_because(element) is not None


def _paragraph(run: list[str], line: int) -> Iterator[RawBlock]:
    text = clean(" ".join(run))
    if text:
        yield Para(text, line)


def _block(element: HtmlElement) -> Iterator[RawBlock]:
    tag = element.tag.lower()
    line = element.sourceline or 0
    reason = _dropped_because(element)
    if reason is not None:
        text = clean(element.text_content())
        if text:
            yield Chrome(text, line, reason)
    elif is_subtitle(element):
        yield Para(inline_text(element), line, subtitle=True)
    elif re.fullmatch(r"h[1-6]", tag):
        yield Heading(inline_text(element), int(tag[1]), line)
    elif tag in ("p", "pre", "figcaption"):
        yield from _paragraph([inline_text(element)], line)
    elif tag in ("ul", "ol"):
        yield from _list(element)
    elif tag in ("dt", "summary"):
        yield Question(inline_text(element), line)
    elif tag == "table":
        yield from _table(element)
    elif tag != "hr":
        yield from walk(element)  # containers, <li> or <dd> astray, <dl>, <details>


def _dropped_because(element: HtmlElement) -> str | None:
    tag = element.tag.lower()
    if tag in _DROPPED_TAGS:
        return f"page furniture (<{tag}>)"
    if tag == "header" and not any(a.tag == "article" for a in element.iterancestors()):
        return "page furniture (the page's <header>)"
    if _is_chrome(element):
        return f"page furniture (marked {_names(element)!r})"
    return None


def _in_furniture(element: HtmlElement) -> bool:
    """Inside something dropped: a teaser card's <article> in an <aside>, a logo's <h1>."""
    return any(_dropped_because(node) is not None for node in (element, *element.iterancestors()))


def _names(element: HtmlElement) -> str:
    return f"{element.get('class', '')} {element.get('id', '')}".strip()


def _is_chrome(element: HtmlElement) -> bool:
    parts = {part.lower() for part in _NAME_PARTS.split(_names(element)) if part}
    return bool(parts & _CHROME_NAMES)


def is_subtitle(element: HtmlElement) -> bool:
    parts = {part.lower() for part in _NAME_PARTS.split(_names(element)) if part}
    return bool(parts & _SUBTITLE_NAMES)


def inline_text(element: HtmlElement) -> str:
    """The visible text of an element: dropped parts, images and nested lists left out."""
    return clean(" ".join(_texts(element, skip_lists=False)))


def _texts(element: HtmlElement, *, skip_lists: bool) -> Iterator[str]:
    yield element.text or ""
    for child in element:
        if isinstance(child.tag, str) and not _skipped(child, skip_lists):
            yield from _texts(child, skip_lists=skip_lists)
        yield child.tail or ""


def _skipped(element: HtmlElement, skip_lists: bool) -> bool:
    tag = element.tag.lower()
    return (skip_lists and tag in ("ul", "ol")) or _dropped_because(element) is not None


def _list(element: HtmlElement) -> Iterator[RawBlock]:
    items = tuple(_items(element))
    if items:
        yield Items(items, ordered=element.tag.lower() == "ol", line=element.sourceline or 0)


def _items(element: HtmlElement) -> Iterator[ListItem]:
    """Items of a list, nested lists flattened after their parent item."""
    for li in element.iterchildren("li"):
        text = clean(" ".join(_texts(li, skip_lists=True)))
        if text:
            yield _item(li, text)
        for nested in li.iterchildren("ul", "ol"):
            yield from _items(nested)


def _item(li: HtmlElement, text: str) -> ListItem:
    """A bold first word group (<strong>Lead:</strong> text) is the item's lead-in."""
    holder = li
    while not clean(holder.text or "") and len(holder) and holder[0].tag in ("p", "span"):
        holder = holder[0]
    if clean(holder.text or "") or not len(holder) or holder[0].tag not in ("strong", "b"):
        return list_item(text)
    lead = inline_text(holder[0])
    rest = text[len(lead) :] if text.startswith(lead) else ""
    return list_item(rest, lead) if lead and clean(rest.lstrip(" :–—")) else list_item(text)


def _table(element: HtmlElement) -> Iterator[RawBlock]:
    rows = [
        [inline_text(cell) for cell in row.iterchildren("td", "th")] for row in element.iter("tr")
    ]
    header = rows[0] if element.find(".//th") is not None and rows else None
    yield from table(header, rows[1:] if header else rows, element.sourceline or 0)


def _shift(block: RawBlock, offset: int) -> RawBlock:
    return replace(block, line=block.line + offset)
