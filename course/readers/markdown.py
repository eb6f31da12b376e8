"""Markdown articles (CommonMark with tables), read through markdown-it-py's syntax tree.

A YAML front matter block may give the `title` and `subtitle`; otherwise the first
`# heading` is the title. Images, HTML comments and rows of navigation links are chrome;
raw HTML blocks go through the HTML reader, so a `<nav>` pasted into Markdown goes too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import yaml
from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

from course.blocks import Chrome, Heading, Items, Para, RawBlock, table
from course.model import ListItem
from course.readers.html import read_fragment
from course.text import clean, has_letters, list_item

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?P<body>.*?\n)---[ \t]*(?:\n|\Z)", re.DOTALL)
_PARSER = MarkdownIt("commonmark").enable("table")


def read_markdown(source: str) -> list[RawBlock]:
    source, blocks = _front_matter(source)
    tree = SyntaxTreeNode(_PARSER.parse(source))
    for node in tree.children:
        blocks.extend(_block(node))
    return blocks


def _front_matter(source: str) -> tuple[str, list[RawBlock]]:
    """Title and subtitle from a front matter block; its lines stay, blank, for numbering."""
    match = _FRONT_MATTER.match(source)
    if not match:
        return source, []
    try:
        meta = yaml.safe_load(match["body"])
    except yaml.YAMLError:
        meta = None
    blocks: list[RawBlock] = []
    if isinstance(meta, dict):
        if isinstance(meta.get("title"), str) and clean(meta["title"]):
            blocks.append(Heading(clean(meta["title"]), 1, 2))
        for key in ("subtitle", "description"):
            if isinstance(meta.get(key), str) and clean(meta[key]):
                blocks.append(Para(clean(meta[key]), 2, subtitle=True))
                break
    blank = "\n" * match.group(0).count("\n")
    return blank + source[match.end() :], blocks


def _line(node: SyntaxTreeNode) -> int:
    return node.map[0] + 1 if node.map else 0


def _block(node: SyntaxTreeNode) -> Iterator[RawBlock]:
    kind = node.type
    if kind == "heading":
        yield Heading(_inline(node), int(node.tag[1]), _line(node))
    elif kind == "paragraph":
        yield _paragraph(node)
    elif kind in ("bullet_list", "ordered_list"):
        items = tuple(_items(node))
        if items:
            yield Items(items, ordered=kind == "ordered_list", line=_line(node))
    elif kind in ("fence", "code_block"):
        text = clean(node.content)
        if text:
            yield Para(text, _line(node))
    elif kind == "html_block":
        yield from read_fragment(node.content, _line(node))
    elif kind == "table":
        yield from _table(node)
    else:  # blockquote and any other container
        for child in node.children:
            yield from _block(child)


def _paragraph(node: SyntaxTreeNode) -> RawBlock:
    inline = node.children[0] if node.children else None
    text = _inline(node)
    line = _line(node)
    if inline is None or not text:
        return Chrome(_alt_text(node) or "(image)", line, "an image without text")
    parts = [child for child in inline.children if child.type != "softbreak"]
    links = [child for child in parts if child.type == "link"]
    others = [child for child in parts if child.type != "link"]
    separators_only = all(c.type == "text" and not has_letters(c.content) for c in others)
    if len(links) >= 2 and separators_only:
        return Chrome(text, line, "a row of navigation links")
    italic = len(parts) == 1 and parts[0].type == "em"  # *A dek under the title*
    return Para(text, line, subtitle=italic)


def _alt_text(node: SyntaxTreeNode) -> str:
    return " ".join(child.content for child in node.walk() if child.type == "image")


def _inline(node: SyntaxTreeNode) -> str:
    return clean(" ".join(_texts(node)))


def _texts(node: SyntaxTreeNode) -> Iterator[str]:
    if node.type in ("text", "code_inline"):
        yield node.content
    elif node.type in ("softbreak", "hardbreak"):
        yield " "
    elif node.type not in ("image", "html_inline"):
        for child in node.children:
            yield from _texts(child)


def _items(list_node: SyntaxTreeNode) -> Iterator[ListItem]:
    """Items of a list, nested lists flattened after their parent item."""
    for item in list_node.children:
        own = [
            child for child in item.children if child.type not in ("bullet_list", "ordered_list")
        ]
        text = clean(" ".join(_inline(child) for child in own))
        if text:
            yield _item(own, text)
        for nested in item.children:
            if nested.type in ("bullet_list", "ordered_list"):
                yield from _items(nested)


def _item(own: list[SyntaxTreeNode], text: str) -> ListItem:
    """`**Lead:** text` gives the item a lead-in; so does a plain `Lead: text`."""
    first = own[0] if own and own[0].type == "paragraph" else None
    inline = first.children[0].children if first and first.children else []
    parts = [child for child in inline if not (child.type == "text" and not child.content.strip())]
    if parts and parts[0].type == "strong":
        lead = _inline(parts[0])
        rest = text[len(lead) :] if text.startswith(lead) else ""
        if lead and clean(rest.lstrip(" :–—")):
            return list_item(rest, lead)
    return list_item(text)


def _table(node: SyntaxTreeNode) -> Iterator[RawBlock]:
    rows: list[list[str]] = []
    header: list[str] | None = None
    for part in node.children:
        for row in part.children:
            cells = [_inline(cell) for cell in row.children]
            if part.type == "thead":
                header = cells
            else:
                rows.append(cells)
    yield from table(header, rows, _line(node))
