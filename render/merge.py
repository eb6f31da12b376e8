"""Merge fields: what a template sees as `reader.<field>`, and the per-subscriber values.

Stage 1 renders a template once per lesson with a sentinel key where each merge field
goes; stage 2 replaces the keys with one subscriber's values, by literal substitution
(`drip.substitution.substitute`, what SendGrid does with `substitutions`). The keys
differ by context, because the values must be escaped differently in each:

- `%%drip.name%%`: the subject and the text body, raw values (the subject is no HTML);
- `%%drip.name.html%%`: HTML text, with `&`, `<` and `>` escaped;
- `%%drip.name.attr%%`: HTML attribute values (href="..."), with quotes escaped too.

The escapes are exactly what lxml writes when premailer serialises a per-subscriber
render, so the two stages give the same bytes as rendering each email in full.
Only [a-z_.~%0-9] appear in keys: they survive Jinja's escaping, premailer and lxml's
URL escaping of href untouched.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from jinja2 import StrictUndefined
from markupsafe import escape

from render.errors import RenderError

Context = Literal["text", "html", "attr"]

#: What an empty name prints when the template gives no fallback of its own.
DEFAULT_NAME_FALLBACK = "there"

KEY_PATTERN = re.compile(r"%%drip\.([a-z_]+(?:~[0-9a-f]{8})?)(?:\.(html|attr))?%%")
KEY_SPLIT = re.compile(r"(%%drip\.[a-z_]+(?:~[0-9a-f]{8})?(?:\.(?:html|attr))?%%)")


@dataclass(frozen=True)
class Reader:
    """One subscriber as an email sees them: plain values, links already signed."""

    email: str
    name: str = ""
    unsubscribe_url: str = ""
    preferences_url: str = ""
    view_url: str = ""
    confirm_url: str = ""  # only the confirmation email uses it


class MergeFieldError(RenderError):
    """A template tests or compares a merge field, which only has a value per subscriber."""


@dataclass(frozen=True)
class FieldUse:
    """A merge field as a template prints it: the field, and its fallback if it may be empty."""

    field: str
    fallback: str | None = None

    @property
    def id(self) -> str:
        if self.fallback is None:
            return self.field
        digest = hashlib.sha256(self.fallback.encode("utf-8")).hexdigest()[:8]
        return f"{self.field}~{digest}"

    def key(self, context: Context) -> str:
        return key_for(self.id, context)

    def value(self, reader: Reader) -> str:
        """This field's value for `reader`: cleaned, or the fallback when it is empty."""
        raw = clean(str(getattr(reader, self.field)))
        if raw:
            return raw
        if self.fallback is not None:
            return self.fallback
        if self.field == "name":
            return DEFAULT_NAME_FALLBACK
        raise RenderError(f"reader {reader.email!r} has no {self.field}, which this email needs")


# Characters no email may carry: controls (besides whitespace), lone surrogates and
# non-characters; lxml drops them from HTML, so a name holding one would differ between
# the two stages, and a line break in a name would break the Subject header.
_UNFIT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def clean(value: str) -> str:
    """A merge value fit for any context: on one line, without invisible control junk."""
    return " ".join(_UNFIT.sub("", value).split())


def key_for(field_id: str, context: Context) -> str:
    return f"%%drip.{field_id}%%" if context == "text" else f"%%drip.{field_id}.{context}%%"


def escape_html_text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_html_attribute(value: str) -> str:
    return escape_html_text(value).replace('"', "&quot;")


ESCAPES: dict[Context, Callable[[str], str]] = {
    "text": lambda value: value,
    "html": escape_html_text,
    "attr": escape_html_attribute,
}


def keys_in(*bodies: str) -> set[tuple[str, Context]]:
    """Every (field id, context) whose key appears in `bodies`."""
    found: set[tuple[str, Context]] = set()
    for body in bodies:
        for match in KEY_PATTERN.finditer(body):
            context: Context = "html" if match.group(2) == "html" else "text"
            if match.group(2) == "attr":
                context = "attr"
            found.add((match.group(1), context))
    return found


def substitutions_for(
    uses: Mapping[str, FieldUse], keys: Iterable[tuple[str, Context]], reader: Reader
) -> dict[str, str]:
    """The substitutions that personalise a prepared email for `reader`."""
    values: dict[str, str] = {}
    subs: dict[str, str] = {}
    for field_id, context in keys:
        if field_id not in values:
            values[field_id] = uses[field_id].value(reader)
        subs[key_for(field_id, context)] = ESCAPES[context](values[field_id])
    return subs


class MergeValue:
    """`reader.<field>` inside a template: prints a key (stage 1) or a value (a full render).

    Truth tests and comparisons raise, because at stage 1 there is no value to test:
    `{% if reader.name %}` would take the same branch for every subscriber.
    """

    __slots__ = ("_html", "_make", "_text", "use")

    def __init__(self, use: FieldUse, make: ValueMaker) -> None:
        self.use = use
        self._make = make
        self._text, self._html = make(use)

    def __str__(self) -> str:
        return self._text

    def __html__(self) -> str:
        return self._html

    def with_fallback(self, default: str) -> MergeValue:
        return MergeValue(FieldUse(self.use.field, str(default)), self._make)

    def _refuse(self, what: str) -> MergeFieldError:
        field = f"reader.{self.use.field}"
        return MergeFieldError(
            f"{field} cannot be {what}: it is filled in per subscriber after rendering; "
            f'print it as it is, or give a default with {field} | fallback("...")'
        )

    def __bool__(self) -> bool:
        raise self._refuse("tested")

    def __eq__(self, other: object) -> bool:
        raise self._refuse("compared")

    def __hash__(self) -> int:
        return id(self)


# Turns a field use into what it prints: (in text and concatenations, in HTML output).
ValueMaker = Callable[[FieldUse], tuple[str, str]]


def sentinel_maker(context: Context) -> ValueMaker:
    """Stage 1: keys. In HTML even `str()` gives the HTML key, so a concatenation such
    as `"Hi " ~ reader.name` is escaped at stage 2 just as Jinja escapes it in full."""
    key: Context = "text" if context == "text" else "html"
    return lambda use: (use.key(key), use.key(key))


def value_maker(reader: Reader) -> ValueMaker:
    """A full render: the reader's values, escaped by Jinja like any other variable."""

    def make(use: FieldUse) -> tuple[str, str]:
        value = use.value(reader)
        return value, str(escape(value))

    return make


class ReaderFields:
    """The `reader` variable of a template: one attribute per merge field the kind allows.

    `on_use` hears of every access, so the renderer can tell where each field is used.
    """

    def __init__(
        self, kind: str, fields: Iterable[str], make: ValueMaker, on_use: Callable[[str], None]
    ) -> None:
        self._kind = kind
        self._fields = tuple(fields)
        self._make = make
        self._on_use = on_use

    def __getattr__(self, name: str) -> MergeValue | StrictUndefined:
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in self._fields:
            return StrictUndefined(
                hint=f"reader.{name} is not a merge field of {self._kind} emails "
                f"(they have: {', '.join('reader.' + f for f in self._fields)})"
            )
        self._on_use(name)
        return MergeValue(FieldUse(name), self._make)

    def __repr__(self) -> str:
        return f"reader ({', '.join(self._fields)})"


def fallback(value: object, default: str) -> object:
    """The `fallback` filter: `reader.name | fallback("friend")`; on other values, `or`."""
    if isinstance(value, MergeValue):
        return value.with_fallback(default)
    return value or default
