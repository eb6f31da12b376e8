"""A subscriber's own choices once in: pause, resume, delivery time, restart, leave.

Each function takes the session and the subscriber (found by `lookup.get` from an
address, or `lookup.subscriber_for` from a link's token), changes the row inside the
caller's transaction, and returns the subscriber. Repeating a step is harmless (a
second unsubscribe, pause or resume changes nothing); a step that makes no sense for
the status (pausing someone who left) raises `InvalidTransition`.

`next_due_at` follows every change, so the scheduler, which claims on status and
`next_due_at`, sees the change from its next claim on: an unsubscribe or a pause
committed now stops the next send.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from drip.columns import utc_now
from drip.settings import Settings
from subscribers.errors import InvalidTransition
from subscribers.lookup import subscriber_for
from subscribers.models import ENDED, Status, Subscriber, SuppressionReason
from subscribers.notifier import Goodbye, Notifier
from subscribers.schedule import known_timezone, next_due, valid_hour
from subscribers.suppression import end_mail, record
from subscribers.tokens import Purpose, Tokens


def _refuse(subscriber: Subscriber, step: str, needs: str) -> InvalidTransition:
    return InvalidTransition(
        f"{subscriber.email} is {subscriber.status.value}; {step} needs {needs}"
    )


def _reschedule(subscriber: Subscriber, now: datetime) -> None:
    subscriber.next_due_at = next_due(
        subscriber.lessons_sent,
        subscriber.last_sent_at,
        subscriber.timezone,
        subscriber.send_hour,
        now,
    )


def pause(session: Session, subscriber: Subscriber, *, now: datetime | None = None) -> Subscriber:
    """Stop the course until `resume`; nothing more is sent meanwhile."""
    if subscriber.status is Status.PAUSED:
        return subscriber
    if subscriber.status is not Status.ACTIVE:
        raise _refuse(subscriber, "pausing", "an active subscriber")
    subscriber.status = Status.PAUSED
    subscriber.paused_at = now or utc_now()
    subscriber.next_due_at = None
    return subscriber


def resume(session: Session, subscriber: Subscriber, *, now: datetime | None = None) -> Subscriber:
    """Carry on where they paused: the next lesson is due by the usual rules, at once
    if that moment has passed."""
    if subscriber.status is Status.ACTIVE:
        return subscriber
    if subscriber.status is not Status.PAUSED:
        raise _refuse(subscriber, "resuming", "a paused subscriber")
    subscriber.status = Status.ACTIVE
    subscriber.paused_at = None
    _reschedule(subscriber, now or utc_now())
    return subscriber


def change_schedule(
    session: Session,
    subscriber: Subscriber,
    *,
    timezone: str | None = None,
    send_hour: int | None = None,
    now: datetime | None = None,
) -> Subscriber:
    """A new time zone and/or send hour; an active subscriber's next lesson moves with it."""
    if timezone is not None:
        subscriber.timezone = known_timezone(timezone)
    if send_hour is not None:
        subscriber.send_hour = valid_hour(send_hour)
    if subscriber.status is Status.ACTIVE:
        _reschedule(subscriber, now or utc_now())
    return subscriber


def restart(session: Session, subscriber: Subscriber, *, now: datetime | None = None) -> Subscriber:
    """Start the course over from the welcome (due at once, unless they are paused: then
    on resume). A completed subscriber becomes active again."""
    if subscriber.status is Status.PENDING or subscriber.status in ENDED:
        raise _refuse(subscriber, "restarting", "a confirmed subscriber still on the list")
    subscriber.lessons_sent = 0
    subscriber.last_sent_at = None
    if subscriber.status is not Status.PAUSED:
        subscriber.status = Status.ACTIVE
        _reschedule(subscriber, now or utc_now())
    return subscriber


def lesson_sent(
    session: Session, subscriber: Subscriber, *, sent_at: datetime, lessons_in_course: int
) -> Subscriber:
    """Record that the subscriber's next lesson went out at `sent_at` (what the scheduler
    calls after a send): the following one is due by the planner's rule, and after the
    last lesson of the course they are `completed`."""
    if subscriber.status is not Status.ACTIVE:
        raise _refuse(subscriber, "sending a lesson", "an active subscriber")
    subscriber.lessons_sent += 1
    subscriber.last_sent_at = sent_at
    if subscriber.lessons_sent >= lessons_in_course:
        subscriber.status = Status.COMPLETED
        subscriber.next_due_at = None
    else:
        _reschedule(subscriber, sent_at)
    return subscriber


def unsubscribe(
    session: Session,
    settings: Settings,
    subscriber: Subscriber,
    *,
    notifier: Notifier | None = None,
    now: datetime | None = None,
) -> Subscriber:
    """Leave for good: no more mail, the address on the suppression list. Coming back
    takes a new opt-in. With a `notifier`, one goodbye email says it worked (only the
    first time). Idempotent."""
    now = now or utc_now()
    record(session, settings.secret(), subscriber.email_key, SuppressionReason.UNSUBSCRIBED, now)
    if subscriber.status in ENDED:
        return subscriber
    end_mail(subscriber, Status.UNSUBSCRIBED, now)
    if notifier is not None:
        notifier.send_goodbye(Goodbye(email=subscriber.email, name=subscriber.name))
    return subscriber


def unsubscribe_with_token(
    session: Session,
    settings: Settings,
    token: str,
    *,
    notifier: Notifier | None = None,
    now: datetime | None = None,
) -> Subscriber:
    """The POST of an unsubscribe link (RFC 8058 one-click included): `InvalidToken` for a
    bad link or one of an erased subscriber (whose address is suppressed anyway)."""
    tokens = Tokens.from_settings(settings)
    subscriber = subscriber_for(session, tokens, Purpose.UNSUBSCRIBE, token)
    return unsubscribe(session, settings, subscriber, notifier=notifier, now=now)
