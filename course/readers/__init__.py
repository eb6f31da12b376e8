"""Reading one article file, whatever its format, into an `Article`.

The format comes from the file's extension (or the spec's `format:`); the bytes must be
UTF-8 (a BOM is fine), or the encoding the spec names, or for HTML the charset the page
declares. Anything else is an error naming the file, never a silent guess.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from pathlib import Path

from course.blocks import RawBlock
from course.errors import error_at
from course.model import Article, SourceFormat
from course.readers.html import read_html
from course.readers.markdown import read_markdown
from course.readers.text import read_text
from course.structure import assemble

FORMATS: dict[str, SourceFormat] = {
    ".txt": "text",
    ".text": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
}
READERS: dict[SourceFormat, Callable[[str], list[RawBlock]]] = {
    "text": read_text,
    "markdown": read_markdown,
    "html": read_html,
}
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


def format_of(path: Path) -> SourceFormat:
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        known = ", ".join(FORMATS)
        raise error_at(
            path,
            None,
            f"unknown article format {path.suffix or '(no extension)'!r}: "
            f"drip reads {known} (or name it in the spec: format: text|markdown|html)",
        ) from None


def read_article(
    path: Path,
    *,
    slug: str,
    format: SourceFormat | None = None,
    encoding: str | None = None,
) -> Article:
    """The structured article at `path`, site chrome removed; CourseError if unusable."""
    chosen = format or format_of(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise error_at(path, None, "no such article file") from None
    except OSError as error:
        raise error_at(path, None, f"cannot read the article: {error.strerror}") from None
    text = decode(data, path, encoding, html=chosen == "html")
    return assemble(READERS[chosen](text), slug=slug, source=path, format=chosen)


def decode(data: bytes, path: Path, encoding: str | None = None, *, html: bool = False) -> str:
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return _decode_as(data, codec, path)
    if encoding is not None:
        return _decode_as(data, encoding, path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        declared = _META_CHARSET.search(data[:4096]) if html else None
        if declared:
            return _decode_as(data, declared.group(1).decode("ascii"), path)
        raise error_at(
            path,
            _line_at(data, error.start),
            f"not UTF-8 text (byte 0x{data[error.start]:02x}); save it as UTF-8 "
            "or name its encoding in the spec (encoding: windows-1252)",
        ) from None
    if "\x00" in text:
        raise error_at(path, _line_at(data, data.index(b"\x00")), "a binary file, not an article")
    return text


def _decode_as(data: bytes, encoding: str, path: Path) -> str:
    try:
        return data.decode(encoding)
    except LookupError:
        raise error_at(path, None, f"unknown encoding {encoding!r}") from None
    except UnicodeDecodeError as error:
        raise error_at(
            path,
            _line_at(data, error.start),
            f"not valid {encoding} text (byte 0x{data[error.start]:02x})",
        ) from None


def _line_at(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1
