"""Small rules about text shared by every reader: cleaning, headings, lead-ins, chrome phrases."""

from __future__ import annotations

import re
import unicodedata

from course.model import ListItem

# Invisible characters that scraping leaves behind (an emoji's variation selector without
# its emoji, zero-width spaces, a BOM mid-file, soft hyphens); they are never content.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u2060\ufeff\u00ad"), None)
_STRAY_AT_START = "\ufe0f\ufe0e\u200d"
_SPACES = re.compile(r"\s+")

HEADING_MAX_WORDS = 12
QUESTION_MAX_WORDS = 30
LEAD_MAX_WORDS = 6
# Closing punctuation: a line ending in one of these is a sentence, not a heading.
_CLOSING = tuple(".!:;,…")


def words(text: str) -> frozenset[str]:
    """A set of words written as one string, for word lists that read best as prose."""
    return frozenset(text.split())


_MINOR_WORDS = words(
    "a an the and or but nor for of on in to at by with from as is are vs via into "
    "per up your you it its this that"
)
_LEAD = re.compile(r"^(?P<lead>[^:.!?]{1,60}?)\s*:\s+(?P<text>\S.*)$")
_CONTENTS_HEADING = re.compile(
    r"^(?:table of contents|contents|in this (?:article|post|guide))$", re.IGNORECASE
)
_FAQ_HEADING = re.compile(r"\b(faqs?|frequently asked questions|questions)\b", re.IGNORECASE)

# Teaser blocks a blog appends after the article ("Hot Articles", "Related Posts" ...):
# everything from such a heading to the end of the page is site chrome.
TEASER_HEADING = re.compile(
    r"^(?:(?:hot|related|popular|recent|trending|latest|recommended|similar|more|top)"
    r"\s+(?:articles|posts|stories|reads|reading)"
    r"|you (?:may|might) also (?:like|enjoy)|read next|also read|keep reading)$",
    re.IGNORECASE,
)
# Single-line page furniture: buttons and links that are never an article's words.
_UI_PHRASES = frozenset(
    {
        "read more",
        "continue reading",
        "share",
        "share this",
        "share this article",
        "tweet",
        "pin it",
        "print",
        "advertisement",
        "sponsored",
        "skip to content",
        "menu",
        "close",
        "back to top",
        "scroll to top",
        "subscribe",
    }
)


def clean(text: str) -> str:
    """One line of visible text: NFC, invisible characters dropped, whitespace collapsed.

    Typographic characters (curly quotes, dashes, ellipses, arrows) are kept as written.
    """
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE)
    text = _SPACES.sub(" ", text).strip()
    return text.lstrip(_STRAY_AT_START).strip()


def has_letters(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def ends_a_sentence(text: str) -> bool:
    bare = text.rstrip("\"'”’)]»")
    return bare.endswith(_CLOSING)


def is_question(text: str) -> bool:
    return text.rstrip("\"'”’)]»").endswith("?") and len(text.split()) <= QUESTION_MAX_WORDS


def is_title_case(text: str) -> bool:
    """Most significant words capitalised, as in "What Is Vitamin D?"."""
    words = [w for w in re.findall(r"[^\W\d_][\w’'-]*", text) if w.lower() not in _MINOR_WORDS]
    if not words:
        return False
    capitalised = sum(1 for word in words if word[0].isupper())
    return capitalised / len(words) >= 0.6


def looks_like_heading(text: str) -> bool:
    """A short line without closing punctuation, starting with a capital or a digit.

    A question counts only in title case: "What Is Vitamin D?" heads a section, while
    "Can zinc help?" is a sentence (an FAQ question, or a rhetorical one).
    """
    if not text or len(text.split()) > HEADING_MAX_WORDS:
        return False
    if not (text[0].isupper() or text[0].isdigit()):
        return False
    if is_question(text):
        return is_title_case(text)
    return not ends_a_sentence(text)


def is_contents_heading(heading: str) -> bool:
    return bool(_CONTENTS_HEADING.match(heading))


def is_faq_heading(heading: str) -> bool:
    return bool(_FAQ_HEADING.search(heading))


def is_ui_phrase(text: str) -> bool:
    bare = re.sub(r"[^\w\s]", "", text).strip().lower()
    return bare in _UI_PHRASES


def list_item(text: str, lead: str | None = None) -> ListItem:
    """A list item, its lead-in taken from "Lead: text" when the source gave none."""
    if lead is not None:
        lead = lead.strip().rstrip(":").strip()
        return ListItem(text=text.lstrip(" :–—").strip(), lead=lead or None)
    match = _LEAD.match(text)
    if match and _is_lead(match["lead"]):
        return ListItem(text=match["text"], lead=match["lead"])
    return ListItem(text=text)


def _is_lead(candidate: str) -> bool:
    return len(candidate.split()) <= LEAD_MAX_WORDS and candidate[:1].isupper()
