"""Address normalisation: valid addresses normalise stably and compare without case;
anything else is refused with a message, never with a crash."""

from __future__ import annotations

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import example, given
from hypothesis import strategies as st

from subscribers.addresses import Address, address_hash, normalise
from subscribers.errors import InvalidAddress


@pytest.mark.parametrize(
    ("raw", "email", "key"),
    [
        ("  Ann.Lee@Example.COM \n", "Ann.Lee@example.com", "ann.lee@example.com"),
        ("ann@BÜCHER.de", "ann@bücher.de", "ann@bücher.de"),
        ("ann@xn--bcher-kva.de", "ann@bücher.de", "ann@bücher.de"),
        ("josé@example.com", "josé@example.com", "josé@example.com"),
    ],
)
def test_addresses_are_normalised(raw: str, email: str, key: str) -> None:
    address = normalise(raw)
    assert (address.email, address.key) == (email, key)


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("", "no email address given"),
        ("   ", "no email address given"),
        ("ann", "must have an @-sign"),
        ("ann@", "There must be something after the @-sign"),
        ("Ann <ann@example.com>", "invalid email address 'Ann <ann@example.com>'"),
        ("ann@example..com", "invalid email address"),
        ("ann@localhost", "invalid email address"),
    ],
)
def test_bad_addresses_are_refused_with_a_reason(raw: str, says: str) -> None:
    with pytest.raises(InvalidAddress, match=says):
        normalise(raw)


def test_no_dns_lookup_is_made() -> None:
    # A syntactically fine domain that does not exist must still be accepted offline.
    assert normalise("ann@no-such-domain-for-drip-tests.example").key.endswith(".example")


@given(st.emails())
def test_normalising_is_idempotent(raw: str) -> None:
    once = normalise(raw)
    assert normalise(once.email) == once


@given(st.emails())
@example("Ann.Lee@Example.com")
def test_case_never_makes_a_different_subscriber(raw: str) -> None:
    variants = {normalise(raw).key, normalise(raw.upper()).key, normalise(raw.lower()).key}
    assert len(variants) == 1


@given(st.text(max_size=80))
@example("ann@@example.com")
@example("\x00@example.com")
def test_any_text_is_either_an_address_or_refused(raw: str) -> None:
    outcome: Address | str
    try:
        outcome = normalise(raw)
    except InvalidAddress as error:
        outcome = str(error)
    if isinstance(outcome, str):
        assert outcome  # a message for the user, not a traceback
    else:
        assert "@" in outcome.email
        assert outcome.key == outcome.email.lower()


@given(st.emails(), st.text(min_size=1, max_size=20), st.text(min_size=1, max_size=20))
def test_the_suppression_hash_is_keyed(raw: str, secret: str, other_secret: str) -> None:
    key = normalise(raw).key
    digest = address_hash(secret, key)
    assert digest == address_hash(secret, key)
    assert len(digest) == 64
    assert key not in digest
    if other_secret != secret:
        assert address_hash(other_secret, key) != digest


def _by_email_validator(text: str) -> str | None:
    """What email-validator alone makes of `text`: its normalised form, or None."""
    try:
        return validate_email(text.strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        return None


plain_looking = st.from_regex(
    r"[a-zA-Z0-9_!#$%&'*+\-/=?^`{|}~.]{1,80}@[a-zA-Z0-9.-]{1,200}", fullmatch=True
)
common = st.builds(
    "{}@{}.{}".format,
    st.from_regex(r"[a-zA-Z0-9._+-]{1,70}", fullmatch=True),
    st.from_regex(r"[a-zA-Z0-9-]{1,70}(\.[a-zA-Z0-9-]{1,70}){0,3}", fullmatch=True),
    st.sampled_from(["com", "ORG", "de", "xn--p1ai", "co.uk", "invalid", "local", "test", "c"]),
)


@given(st.one_of(st.emails(), plain_looking, common))
@example("Postmaster@example.com")
@example("ann@xn--bcher-kva.de")
@example("a" * 242 + "@example.com")  # 254 characters: the longest allowed
@example("a" * 243 + "@example.com")
@example(".ann@example.com")
@example("ann.@example.com")
@example("a..b@example.com")
@example("a@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 63 + "." + "e" * 57 + ".com")
def test_the_quick_way_agrees_with_email_validator(text: str) -> None:
    expected = _by_email_validator(text)
    if expected is None:
        with pytest.raises(InvalidAddress):
            normalise(text)
    else:
        assert normalise(text).email == expected
