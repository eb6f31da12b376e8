"""Link tokens: each works for its own purpose only, a tampered one never works, a
confirmation link expires and the others do not; links are absolute under the base URL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from hypothesis import assume, example, given
from hypothesis import strategies as st
from itsdangerous import URLSafeSerializer

from subscribers.errors import ExpiredToken, InvalidToken
from subscribers.links import Links
from subscribers.tokens import CONFIRM_LIFETIME, Claim, Purpose, Tokens

SECRET = "tokens-test-secret"
SIGNED_AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
keys = st.text(
    alphabet=st.characters(min_codepoint=33, max_codepoint=0x2FFF), min_size=1, max_size=24
)
slugs = st.from_regex(r"[a-z0-9][a-z0-9-]{0,30}", fullmatch=True)
purposes = st.sampled_from(list(Purpose))


def _sign(tokens: Tokens, purpose: Purpose, key: str) -> str:
    return tokens.sign(purpose, key, "best-forms" if purpose is Purpose.VIEW else None)


@given(purpose=purposes, key=keys, lesson=slugs)
def test_a_token_verifies_for_its_purpose(purpose: Purpose, key: str, lesson: str) -> None:
    tokens = Tokens(SECRET)
    if purpose is Purpose.VIEW:
        assert tokens.verify(purpose, tokens.sign(purpose, key, lesson)) == Claim(key, lesson)
    else:
        assert tokens.verify(purpose, tokens.sign(purpose, key)) == Claim(key)


@given(signed_for=purposes, used_for=purposes, key=keys)
def test_a_token_is_refused_for_another_purpose(
    signed_for: Purpose, used_for: Purpose, key: str
) -> None:
    assume(signed_for is not used_for)
    tokens = Tokens(SECRET)
    with pytest.raises(InvalidToken):
        tokens.verify(used_for, _sign(tokens, signed_for, key))


@given(purpose=purposes, key=keys, data=st.data())
def test_a_tampered_token_is_refused(purpose: Purpose, key: str, data: st.DataObject) -> None:
    tokens = Tokens(SECRET)
    token = _sign(tokens, purpose, key)
    position = data.draw(st.integers(0, len(token) - 1), label="position")
    replacement = data.draw(
        st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."),
        label="replacement",
    )
    assume(token[position] != replacement)
    tampered = token[:position] + replacement + token[position + 1 :]
    # Base64's last character can carry unused bits: a change there may decode to the
    # very same bytes, which is no forgery. Anything else must be refused.
    try:
        claim = tokens.verify(purpose, tampered)
    except InvalidToken:
        return
    assert claim == tokens.verify(purpose, token)


@given(purpose=purposes, key=keys, junk=st.text(max_size=60))
def test_junk_and_truncated_tokens_are_refused(purpose: Purpose, key: str, junk: str) -> None:
    tokens = Tokens(SECRET)
    token = _sign(tokens, purpose, key)
    for candidate in (junk, token[: len(token) // 2], token + "x", ""):
        with pytest.raises(InvalidToken):
            tokens.verify(purpose, candidate)


@given(purpose=purposes, key=keys)
def test_a_token_signed_with_another_secret_is_refused(purpose: Purpose, key: str) -> None:
    with pytest.raises(InvalidToken):
        Tokens(SECRET).verify(purpose, _sign(Tokens("another-secret"), purpose, key))


def test_a_confirmation_link_expires_after_its_lifetime() -> None:
    tokens = Tokens(SECRET)
    with time_machine.travel(SIGNED_AT, tick=False):
        token = tokens.sign(Purpose.CONFIRM, "k1")
    with time_machine.travel(SIGNED_AT + CONFIRM_LIFETIME - timedelta(minutes=1), tick=False):
        assert tokens.verify(Purpose.CONFIRM, token) == Claim("k1")
    with (
        time_machine.travel(SIGNED_AT + CONFIRM_LIFETIME + timedelta(seconds=2), tick=False),
        pytest.raises(ExpiredToken, match="confirm link has expired"),
    ):
        tokens.verify(Purpose.CONFIRM, token)


@given(
    key=keys,
    age=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3 * 365)),
)
@example(key="k", age=CONFIRM_LIFETIME)
@example(key="k", age=CONFIRM_LIFETIME + timedelta(seconds=1))
def test_a_confirmation_link_works_for_its_lifetime_and_never_after(
    key: str, age: timedelta
) -> None:
    # itsdangerous counts whole seconds: the last second of the lifetime may go either way
    assume(not CONFIRM_LIFETIME < age < CONFIRM_LIFETIME + timedelta(seconds=1))
    tokens = Tokens(SECRET)
    with time_machine.travel(SIGNED_AT, tick=False):
        token = tokens.sign(Purpose.CONFIRM, key)
    with time_machine.travel(SIGNED_AT + age, tick=False):
        if age <= CONFIRM_LIFETIME:
            assert tokens.verify(Purpose.CONFIRM, token) == Claim(key)
        else:
            with pytest.raises(ExpiredToken):
                tokens.verify(Purpose.CONFIRM, token)


@pytest.mark.parametrize("purpose", [Purpose.UNSUBSCRIBE, Purpose.PREFERENCES, Purpose.VIEW])
def test_links_in_sent_emails_keep_working_for_years(purpose: Purpose) -> None:
    tokens = Tokens(SECRET)
    with time_machine.travel(SIGNED_AT, tick=False):
        token = _sign(tokens, purpose, "k1")
    with time_machine.travel(SIGNED_AT + timedelta(days=3 * 365), tick=False):
        assert tokens.verify(purpose, token).key == "k1"


def test_a_well_signed_payload_of_the_wrong_shape_is_refused() -> None:
    forged = URLSafeSerializer(SECRET, salt="drip.subscribers.unsubscribe").dumps({"id": 1})
    with pytest.raises(InvalidToken):
        Tokens(SECRET).verify(Purpose.UNSUBSCRIBE, forged)


def test_only_view_tokens_name_a_lesson() -> None:
    tokens = Tokens(SECRET)
    with pytest.raises(ValueError, match="view token"):
        tokens.sign(Purpose.VIEW, "k1")
    with pytest.raises(ValueError, match="view token"):
        tokens.sign(Purpose.UNSUBSCRIBE, "k1", "welcome")


class _Keyed:
    key = "k-ann"


def test_links_are_absolute_urls_under_the_base_url() -> None:
    links = Links("https://course.example.org/", Tokens(SECRET))
    for purpose, url in [
        (Purpose.CONFIRM, links.confirm(_Keyed())),
        (Purpose.UNSUBSCRIBE, links.unsubscribe(_Keyed())),
        (Purpose.PREFERENCES, links.preferences(_Keyed())),
    ]:
        prefix = f"https://course.example.org/{purpose.value}/"
        assert url.startswith(prefix)
        assert links.tokens.verify(purpose, url.removeprefix(prefix)) == Claim("k-ann")
    view = links.view(_Keyed(), "best-forms").removeprefix("https://course.example.org/view/")
    assert links.tokens.verify(Purpose.VIEW, view) == Claim("k-ann", "best-forms")


@given(key=keys, lesson=slugs)
def test_fast_signing_makes_tokens_itsdangerous_verifies(key: str, lesson: str) -> None:
    # Sends sign three links per subscriber without itsdangerous' per-call costs; the
    # tokens must stay in its format, so any verifier (and old links) keep working.
    tokens = Tokens(SECRET)
    for purpose, payload in ((Purpose.UNSUBSCRIBE, [key]), (Purpose.VIEW, [key, lesson])):
        token = tokens.sign(purpose, *payload)
        reference = URLSafeSerializer(SECRET, salt=f"drip.subscribers.{purpose.value}")
        assert reference.loads(token) == payload
        if not reference.dumps(payload).startswith("."):  # itsdangerous did not compress
            assert token == reference.dumps(payload)
