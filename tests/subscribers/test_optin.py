"""Double opt-in: subscribe, confirm, and the attested add, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from drip.settings import Settings
from subscribers import (
    Consent,
    OptIn,
    Status,
    SuppressionReason,
    add_confirmed,
    confirm,
    erase,
    find,
    get,
    subscribe,
    suppress,
    unsubscribe,
)
from subscribers.errors import (
    BadHour,
    ExpiredToken,
    InvalidAddress,
    InvalidField,
    InvalidToken,
    Suppressed,
    UnknownTimezone,
)
from subscribers.models import Subscriber
from subscribers.notifier import Confirmation
from subscribers.optin import CONFIRMATION_COOLDOWN
from subscribers.tokens import CONFIRM_LIFETIME
from tests.subscribers.conftest import MONDAY_9_UTC, WEB_FORM, RecordingNotifier, Step

LATER = MONDAY_9_UTC + timedelta(hours=3)


def _subscribe(
    step: Step, settings: Settings, notifier: RecordingNotifier, email: str, **kw: object
) -> str:
    with step() as session:
        return subscribe(session, settings, notifier, email, consent=WEB_FORM, **kw)  # type: ignore[arg-type]


def _snapshot(subscriber: Subscriber) -> dict[str, object]:
    return {column.key: getattr(subscriber, column.key) for column in Subscriber.__table__.columns}


def _confirm(step: Step, settings: Settings, token: str) -> Subscriber:
    with step() as session:
        return confirm(session, settings, token)


@time_machine.travel(MONDAY_9_UTC, tick=False)
def test_subscribing_makes_a_pending_subscriber_and_sends_the_confirmation(
    step: Step, db_settings: Settings, notifier: RecordingNotifier
) -> None:
    address = _subscribe(
        step,
        db_settings,
        notifier,
        " Ann@Example.com",
        name="Ann\nLee",
        timezone="asia/kolkata",
        send_hour=7,
    )
    assert address == "Ann@example.com"
    with step() as session:
        ann = get(session, "ann@example.com")
        assert (ann.status, ann.name, ann.timezone, ann.send_hour) == (
            Status.PENDING,
            "Ann Lee",
            "Asia/Kolkata",
            7,
        )
        assert ann.next_due_at is None  # nothing is sent before the click
        assert (ann.opt_in, ann.consent_source, ann.consent_form) == (
            OptIn.DOUBLE,
            "web form",
            "/subscribe",
        )
        assert ann.consent_text == WEB_FORM.text
        assert (ann.consent_ip, ann.consent_user_agent) == (WEB_FORM.ip, WEB_FORM.user_agent)
        assert ann.subscribed_at == ann.confirmation_sent_at == MONDAY_9_UTC
        assert ann.confirmed_at is None
    [sent] = notifier.confirmations
    assert (sent.email, sent.name) == ("Ann@example.com", "Ann Lee")
    assert sent.confirm_url.startswith("https://course.example.org/confirm/")


def test_defaults_fill_in_a_missing_zone_and_hour(
    step: Step, db_settings: Settings, notifier: RecordingNotifier
) -> None:
    settings = db_settings.model_copy(update={"timezone": "Europe/Berlin", "send_hour": 6})
    _subscribe(step, settings, notifier, "ann@example.com")
    with step() as session:
        ann = get(session, "ann@example.com")
        assert (ann.timezone, ann.send_hour, ann.name) == ("Europe/Berlin", 6, "")


def test_confirming_starts_the_course_at_once(
    step: Step, db_settings: Settings, notifier: RecordingNotifier
) -> None:
    with time_machine.travel(MONDAY_9_UTC, tick=False):
        _subscribe(step, db_settings, notifier, "ann@example.com")
    with time_machine.travel(LATER, tick=False):
        ann = _confirm(step, db_settings, notifier.token())
    assert ann.status is Status.ACTIVE
    assert ann.confirmed_at == LATER
    assert ann.next_due_at == LATER  # the welcome is due at the confirmation instant
    with step() as session:
        stored = get(session, "ann@example.com")
        assert (stored.status, stored.next_due_at, stored.lessons_sent) == (Status.ACTIVE, LATER, 0)


def test_a_second_click_changes_nothing(
    step: Step, db_settings: Settings, notifier: RecordingNotifier
) -> None:
    with time_machine.travel(MONDAY_9_UTC, tick=False):
        _subscribe(step, db_settings, notifier, "ann@example.com")
        _confirm(step, db_settings, notifier.token())
    with time_machine.travel(LATER, tick=False):
        again = _confirm(step, db_settings, notifier.token())
    assert (again.status, again.confirmed_at, again.next_due_at) == (
        Status.ACTIVE,
        MONDAY_9_UTC,
        MONDAY_9_UTC,
    )


def test_an_expired_confirmation_link_is_refused(
    step: Step, db_settings: Settings, notifier: RecordingNotifier
) -> None:
    with time_machine.travel(MONDAY_9_UTC, tick=False):
        _subscribe(step, db_settings, notifier, "ann@example.com")
    with (
        time_machine.travel(MONDAY_9_UTC + CONFIRM_LIFETIME + timedelta(minutes=1), tick=False),
        pytest.raises(ExpiredToken),
    ):
        _confirm(step, db_settings, notifier.token())
    with step() as session:
        assert get(session, "ann@example.com").status is Status.PENDING


@pytest.mark.parametrize("token", ["", "garbage", "eyJhIjoxfQ.abc.def"])
def test_a_forged_confirmation_link_is_refused(
    step: Step, db_settings: Settings, token: str
) -> None:
    with pytest.raises(InvalidToken):
        _confirm(step, db_settings, token)


def test_a_pending_subscriber_gets_at_most_one_confirmation_per_cooldown(
    step: Step, db_settings: Settings, notifier: RecordingNotifier
) -> None:
    with time_machine.travel(MONDAY_9_UTC, tick=False):
        _subscribe(step, db_settings, notifier, "ann@example.com")
    with time_machine.travel(
        MONDAY_9_UTC + CONFIRMATION_COOLDOWN - timedelta(seconds=1), tick=False
    ):
        _subscribe(step, db_settings, notifier, "ANN@example.com", name="Ann", send_hour=9)
    assert len(notifier.confirmations) == 1
    with step() as session:  # the latest details are kept, all the same
        ann = get(session, "ann@example.com")
        assert (ann.name, ann.send_hour, ann.confirmation_sent_at) == ("Ann", 9, MONDAY_9_UTC)
    with time_machine.travel(MONDAY_9_UTC + CONFIRMATION_COOLDOWN, tick=False):
        _subscribe(step, db_settings, notifier, "ann@example.com")
        assert len(notifier.confirmations) == 2
        # both links work: the person may click either
        assert _confirm(step, db_settings, notifier.token(0)).status is Status.ACTIVE


def test_subscribing_while_active_changes_nothing_and_reveals_nothing(
    step: Step, db_settings: Settings, notifier: RecordingNotifier
) -> None:
    first = _subscribe(step, db_settings, notifier, "ann@example.com", name="Ann", send_hour=7)
    pending_again = _subscribe(
        step, db_settings, notifier, "ann@example.com", name="Ann", send_hour=7
    )
    _confirm(step, db_settings, notifier.token())
    with step() as session:
        before = _snapshot(get(session, "ann@example.com"))
    sent = len(notifier.confirmations)
    with time_machine.travel(MONDAY_9_UTC + timedelta(days=30), tick=False):
        while_active = _subscribe(
            step, db_settings, notifier, "ann@example.com", name="Mallory", send_hour=3
        )
    assert first == pending_again == while_active  # the caller learns nothing
    assert len(notifier.confirmations) == sent
    with step() as session:
        after = _snapshot(get(session, "ann@example.com"))
    assert after == before


def test_coming_back_after_unsubscribing_takes_a_new_opt_in_and_starts_over(
    step: Step,
    db_settings: Settings,
    notifier: RecordingNotifier,
    time_machine: time_machine.TimeMachineFixture,
) -> None:
    time_machine.move_to(MONDAY_9_UTC, tick=False)
    _subscribe(step, db_settings, notifier, "ann@example.com")
    _confirm(step, db_settings, notifier.token())
    with step() as session:
        ann = get(session, "ann@example.com")
        ann.lessons_sent, ann.last_sent_at = 3, MONDAY_9_UTC  # as the scheduler records it
        unsubscribe(session, db_settings, ann)
    old_token = notifier.token()
    with pytest.raises(InvalidToken, match="no longer valid"):
        _confirm(step, db_settings, old_token)  # an old confirmation does not bring them back

    time_machine.move_to(LATER, tick=False)
    _subscribe(step, db_settings, notifier, "ann@example.com", send_hour=6)
    with step() as session:
        ann = get(session, "ann@example.com")
        assert (ann.status, ann.lessons_sent, ann.last_sent_at, ann.send_hour) == (
            Status.PENDING,
            0,
            None,
            6,
        )
        assert ann.subscribed_at == LATER
    assert len(notifier.confirmations) == 2
    _confirm(step, db_settings, notifier.token())
    with step() as session:
        assert get(session, "ann@example.com").status is Status.ACTIVE
        # the confirmed new opt-in lifted the suppression: an attested add is not refused
        _, created = add_confirmed(session, db_settings, "ann@example.com", consent=Consent("x"))
        assert created is False


def test_after_a_complaint_not_even_a_confirmation_is_sent(
    step: Step, db_settings: Settings, notifier: RecordingNotifier
) -> None:
    _subscribe(step, db_settings, notifier, "ann@example.com")
    with step() as session:
        suppress(session, db_settings, "ann@example.com", SuppressionReason.COMPLAINED)
    again = _subscribe(step, db_settings, notifier, "ann@example.com")
    assert again == "ann@example.com"
    assert len(notifier.confirmations) == 1
    with step() as session:
        assert get(session, "ann@example.com").status is Status.COMPLAINED
        erase(session, db_settings, "ann@example.com")
    _subscribe(step, db_settings, notifier, "ann@example.com")  # erased: the hash remembers
    assert len(notifier.confirmations) == 1
    with step() as session:
        assert find(session, "ann@example.com") is None


def test_an_erased_person_may_opt_in_again_and_old_links_stay_dead(
    step: Step, db_settings: Settings, notifier: RecordingNotifier
) -> None:
    _subscribe(step, db_settings, notifier, "ann@example.com")
    old_token = notifier.token()
    with step() as session:
        erase(session, db_settings, "ann@example.com")
    with pytest.raises(InvalidToken, match="no current subscriber"):
        _confirm(step, db_settings, old_token)
    _subscribe(step, db_settings, notifier, "ann@example.com")
    with pytest.raises(InvalidToken):
        _confirm(step, db_settings, old_token)  # the new subscriber has a new key
    assert _confirm(step, db_settings, notifier.token()).status is Status.ACTIVE


def test_a_second_sign_up_meets_the_first_row_without_an_error(
    step: Step, db_settings: Settings, notifier: RecordingNotifier
) -> None:
    with step() as session:
        subscribe(session, db_settings, notifier, "ann@example.com", consent=WEB_FORM)
        subscribe(session, db_settings, notifier, "Ann@example.com", consent=WEB_FORM)
    with step() as session:
        assert session.scalar(select(func.count()).select_from(Subscriber)) == 1
    assert len(notifier.confirmations) == 1


class _HoldingNotifier(RecordingNotifier):
    """Holds the first sender's transaction open after its email, until released."""

    def __init__(self) -> None:
        super().__init__()
        self.sent = threading.Event()
        self.release = threading.Event()

    def send_confirmation(self, confirmation: Confirmation) -> None:
        super().send_confirmation(confirmation)
        self.sent.set()
        self.release.wait(timeout=30)


def test_racing_sign_ups_make_one_subscriber_and_one_email(
    step: Step, db_settings: Settings
) -> None:
    notifier = _HoldingNotifier()
    errors: list[BaseException] = []

    def sign_up() -> None:
        try:
            with step() as session:
                subscribe(session, db_settings, notifier, "ann@example.com", consent=WEB_FORM)
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    first = threading.Thread(target=sign_up)
    first.start()
    assert notifier.sent.wait(timeout=30)  # the first holds its uncommitted row
    second = threading.Thread(target=sign_up)
    second.start()
    second.join(timeout=0.5)  # the second now waits on the first's row (or lock)
    notifier.release.set()
    first.join(timeout=30)
    second.join(timeout=30)
    assert errors == []
    with step() as session:
        assert session.scalar(select(func.count()).select_from(Subscriber)) == 1
    assert len(notifier.confirmations) == 1


@pytest.mark.parametrize(
    ("kwargs", "error", "says"),
    [
        ({"email": "not-an-address"}, InvalidAddress, "invalid email address 'not-an-address'"),
        ({"timezone": "Mars/Olympus"}, UnknownTimezone, "unknown time zone 'Mars/Olympus'"),
        ({"timezone": "localtime"}, UnknownTimezone, "unknown time zone"),
        ({"send_hour": 24}, BadHour, "bad hour 24"),
        ({"name": "x" * 201}, InvalidField, "name is longer than 200"),
        ({"consent": Consent(source=" ")}, InvalidField, "consent source is required"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(
    step: Step,
    db_settings: Settings,
    notifier: RecordingNotifier,
    kwargs: dict[str, object],
    error: type[Exception],
    says: str,
) -> None:
    arguments: dict[str, object] = {"email": "ann@example.com", "consent": WEB_FORM, **kwargs}
    email = arguments.pop("email")
    with pytest.raises(error, match=says), step() as session:
        subscribe(session, db_settings, notifier, email, **arguments)  # type: ignore[arg-type]
    with step() as session:
        assert session.scalar(select(func.count()).select_from(Subscriber)) == 0
    assert notifier.confirmations == []


def test_a_long_user_agent_is_clipped_not_refused(
    step: Step, db_settings: Settings, notifier: RecordingNotifier
) -> None:
    consent = Consent(source="web form", user_agent="Mozilla/5.0 " + "x" * 900)
    with step() as session:
        subscribe(session, db_settings, notifier, "ann@example.com", consent=consent)
    with step() as session:
        assert len(get(session, "ann@example.com").consent_user_agent or "") == 500


@time_machine.travel(MONDAY_9_UTC, tick=False)
def test_an_attested_add_starts_the_course_at_once(step: Step, db_settings: Settings) -> None:
    with step() as session:
        ann, created = add_confirmed(
            session, db_settings, "ann@example.com", name="Ann", consent=Consent("webinar sheet")
        )
        assert created
    with step() as session:
        ann = get(session, "ann@example.com")
        assert (ann.status, ann.opt_in, ann.consent_source) == (
            Status.ACTIVE,
            OptIn.ATTESTED,
            "webinar sheet",
        )
        assert ann.confirmed_at == ann.next_due_at == MONDAY_9_UTC
        assert ann.confirmation_sent_at is None


def test_an_attested_add_leaves_an_existing_subscriber_alone(
    step: Step, db_settings: Settings, notifier: RecordingNotifier
) -> None:
    _subscribe(step, db_settings, notifier, "ann@example.com")
    with step() as session:
        ann, created = add_confirmed(
            session, db_settings, "ANN@example.com", consent=Consent("sheet")
        )
        assert (created, ann.status, ann.consent_source) == (False, Status.PENDING, "web form")


@pytest.mark.parametrize("reason", [SuppressionReason.UNSUBSCRIBED, SuppressionReason.BOUNCED])
def test_an_admin_cannot_resubscribe_a_suppressed_address(
    step: Step, db_settings: Settings, reason: SuppressionReason
) -> None:
    with step() as session:
        add_confirmed(session, db_settings, "ann@example.com", consent=Consent("sheet"))
        suppress(session, db_settings, "ann@example.com", reason)
    with (
        pytest.raises(Suppressed, match=rf"ann@example.com is suppressed \({reason.value}\)"),
        step() as session,
    ):
        add_confirmed(session, db_settings, "ann@example.com", consent=Consent("sheet"))
