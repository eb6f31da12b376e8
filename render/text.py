"""The plain-text twin's helpers: wrapping under 78 columns, with hanging indents.

The text body is written from the lesson's structure by the `.txt` templates; these
filters keep it readable in any mail client (RFC 5322 recommends lines under 78).
"""

from __future__ import annotations

import re
import textwrap

#: The width text templates wrap to by default; the check allows up to MAX_TEXT_COLUMNS.
WRAP_WIDTH = 72
MAX_TEXT_COLUMNS = 78

URL = re.compile(r"(?:https?://|mailto:)\S+|%%drip\.[a-z_]+_url(?:~[0-9a-f]{8})?%%")


def wrap(text: object, width: int = WRAP_WIDTH, indent: str = "", first: str | None = None) -> str:
    """Wrap `text` to `width` columns; `first` starts the first line (a bullet), `indent`
    the others. Long words (URLs) are never broken, so links stay clickable."""
    return textwrap.fill(
        " ".join(str(text).split()),
        width=width,
        initial_indent=indent if first is None else first,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )


def underline(text: object, char: str = "=") -> str:
    """A Markdown-style underline as long as `text`: for headings in the text twin."""
    return char * len(str(text))


def too_wide(line: str) -> bool:
    """Lines longer than MAX_TEXT_COLUMNS, not counting URLs (which must stay whole)."""
    return len(URL.sub("", line).rstrip()) > MAX_TEXT_COLUMNS and len(line) > MAX_TEXT_COLUMNS


def tidy(text: str) -> str:
    """Trailing spaces off, at most one blank line in a row, one newline at the end."""
    lines = [line.rstrip() for line in text.strip("\n").splitlines()]
    tidied = re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
    return tidied.strip("\n") + "\n"
