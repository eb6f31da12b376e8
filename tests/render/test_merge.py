"""Merge fields: keys per context, escaping, fallbacks, and what a reader must carry."""

from __future__ import annotations

import pytest

from render.errors import RenderError
from render.merge import (
    DEFAULT_NAME_FALLBACK,
    FieldUse,
    MergeFieldError,
    MergeValue,
    Reader,
    escape_html_attribute,
    escape_html_text,
    keys_in,
    sentinel_maker,
    substitutions_for,
)


def test_each_context_has_its_own_key() -> None:
    use = FieldUse("name")
    keys = {use.key("text"), use.key("html"), use.key("attr")}
    assert keys == {"%%drip.name%%", "%%drip.name.html%%", "%%drip.name.attr%%"}


def test_a_fallback_gets_a_key_of_its_own() -> None:
    assert FieldUse("name", "friend").id != FieldUse("name", "there").id
    assert FieldUse("name", "friend").id.startswith("name~")


def test_html_escapes_match_what_lxml_writes() -> None:
    assert escape_html_text("a & <b> \"c\" 'd'") == "a &amp; &lt;b&gt; \"c\" 'd'"
    assert escape_html_attribute('x?a=1&b="2"') == "x?a=1&amp;b=&quot;2&quot;"


def test_a_name_is_cleaned_of_line_breaks_so_it_cannot_break_a_header() -> None:
    reader = Reader("a@example.com", name="  Ana\r\nBcc: evil@example.com ")
    assert FieldUse("name").value(reader) == "Ana Bcc: evil@example.com"


def test_an_empty_name_takes_the_fallback() -> None:
    nameless = Reader("a@example.com", name="  ")
    assert FieldUse("name").value(nameless) == DEFAULT_NAME_FALLBACK
    assert FieldUse("name", "friend").value(nameless) == "friend"
    assert FieldUse("name", "friend").value(Reader("a@example.com", name="Ana")) == "Ana"


def test_a_missing_link_is_an_error_naming_the_reader_and_field() -> None:
    with pytest.raises(RenderError, match=r"'a@example.com' has no confirm_url"):
        FieldUse("confirm_url").value(Reader("a@example.com"))


def test_substitutions_cover_exactly_the_keys_given() -> None:
    uses = {"name": FieldUse("name"), "view_url": FieldUse("view_url")}
    reader = Reader("a@example.com", name="Ana <3", view_url="https://x.test/v?a=1&b=2")
    subs = substitutions_for(
        uses, {("name", "text"), ("name", "html"), ("view_url", "attr")}, reader
    )
    assert subs == {
        "%%drip.name%%": "Ana <3",
        "%%drip.name.html%%": "Ana &lt;3",
        "%%drip.view_url.attr%%": "https://x.test/v?a=1&amp;b=2",
    }


def test_keys_in_finds_each_key_with_its_context() -> None:
    body = "Hi %%drip.name.html%%, <a href='%%drip.view_url.attr%%'> %%drip.email%%"
    assert keys_in(body) == {("name", "html"), ("view_url", "attr"), ("email", "text")}


@pytest.mark.parametrize("operation", [bool, lambda v: v == "Ana"], ids=["test", "compare"])
def test_a_merge_field_refuses_tests_and_comparisons(operation: object) -> None:
    value = MergeValue(FieldUse("name"), sentinel_maker("html"))
    with pytest.raises(MergeFieldError, match="filled in per subscriber"):
        operation(value)  # type: ignore[operator]


def test_in_html_even_a_concatenation_gets_the_escaped_key() -> None:
    value = MergeValue(FieldUse("name"), sentinel_maker("html"))
    assert str(value) == value.__html__() == "%%drip.name.html%%"
