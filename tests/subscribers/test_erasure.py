"""Erase: the person's data is gone from every table; a keyed hash keeps them suppressed."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import Engine, MetaData, select

from drip.settings import Settings
from subscribers import (
    Consent,
    Links,
    Purpose,
    SuppressionReason,
    Tokens,
    add_confirmed,
    erase,
    find,
    import_csv,
    subscribe,
    subscriber_for,
    suppress,
    viewer_for,
)
from subscribers.errors import InvalidToken
from subscribers.suppression import suppression_reason
from tests.subscribers.conftest import WEB_FORM, RecordingNotifier, Step


def _every_value(engine: Engine) -> str:
    """Every value in every table, as one string to search for traces."""
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.connect() as connection:
        return repr([connection.execute(select(table)).all() for table in metadata.sorted_tables])


def test_erase_leaves_no_trace_but_the_keyed_hash(
    step: Step, db_settings: Settings, engine: Engine, notifier: RecordingNotifier
) -> None:
    with step() as session:
        subscribe(
            session,
            db_settings,
            notifier,
            "Zelda.Q@Example.com",
            name="Zelda Quux",
            consent=WEB_FORM,
        )
        subscribe(session, db_settings, notifier, "bob@example.com", consent=Consent("paper"))
    assert "Zelda" in _every_value(engine)
    with step() as session:
        assert erase(session, db_settings, "zelda.q@example.com") is True
    everything = _every_value(engine).lower()
    for trace in ("zelda", "quux", WEB_FORM.ip or "", (WEB_FORM.user_agent or "")[:20].lower()):
        assert trace not in everything
    assert "bob@example.com" in everything  # only Zelda went
    with step() as session:
        assert find(session, "zelda.q@example.com") is None
        reason = suppression_reason(session, db_settings.secret(), "zelda.q@example.com")
        assert reason is SuppressionReason.ERASED


def test_links_of_an_erased_subscriber_are_refused(step: Step, db_settings: Settings) -> None:
    links = Links.from_settings(db_settings)
    tokens = Tokens.from_settings(db_settings)
    with step() as session:
        ann, _ = add_confirmed(session, db_settings, "ann@example.com", consent=WEB_FORM)
        issued = {
            Purpose.UNSUBSCRIBE: links.unsubscribe(ann),
            Purpose.PREFERENCES: links.preferences(ann),
            Purpose.CONFIRM: links.confirm(ann),
        }
        view = links.view(ann, "welcome")
    with step() as session:
        erase(session, db_settings, "ann@example.com")
    with step() as session:
        for purpose, url in issued.items():
            with pytest.raises(InvalidToken, match="no current subscriber"):
                subscriber_for(session, tokens, purpose, url.rsplit("/", 1)[1])
        with pytest.raises(InvalidToken):
            viewer_for(session, tokens, view.rsplit("/", 1)[1])


def test_no_import_brings_an_erased_address_back(step: Step, db_settings: Settings) -> None:
    with step() as session:
        add_confirmed(session, db_settings, "ann@example.com", consent=WEB_FORM)
        erase(session, db_settings, "ann@example.com")
    csv = io.BytesIO(b"email\nANN@example.com\n")
    with step() as session:
        report = import_csv(
            session, db_settings, csv, filename="old-list.csv", confirmed_source="old list"
        )
        assert (report.added, dict(report.rejected)) == (0, {"suppressed": 1})
        assert find(session, "ann@example.com") is None


def test_a_complaint_stays_a_complaint_after_an_erase(step: Step, db_settings: Settings) -> None:
    with step() as session:
        add_confirmed(session, db_settings, "ann@example.com", consent=WEB_FORM)
        suppress(session, db_settings, "ann@example.com", SuppressionReason.COMPLAINED)
    with step() as session:
        erase(session, db_settings, "ann@example.com")
    with step() as session:
        reason = suppression_reason(session, db_settings.secret(), "ann@example.com")
        assert reason is SuppressionReason.COMPLAINED


def test_erasing_an_unknown_address_still_suppresses_it(step: Step, db_settings: Settings) -> None:
    for _ in range(2):  # and erasing twice is harmless
        with step() as session:
            assert erase(session, db_settings, "never@example.com") is False
    with step() as session:
        reason = suppression_reason(session, db_settings.secret(), "never@example.com")
        assert reason is SuppressionReason.ERASED
