"""The lifecycle's emails leave only after the caller's transaction commits, rendered by
render and sent through the backend; a failure is logged and kept, never raised."""

from __future__ import annotations

import io
import logging
import re
from email import message_from_string
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from course.model import Course
from delivery import EmailBackend
from delivery.errors import TransientError
from delivery.memory import MemoryBackend
from delivery.message import Batch, Outcome, Rejected
from drip.db import transaction
from drip.settings import Settings
from render import Renderer, Sender, load_templates
from scheduler.mail_ids import TransactionalMail, read_delivery_id
from scheduler.transactional import TransactionalMailer
from subscribers import Status, Subscriber, confirm, find, import_csv, subscribe, unsubscribe
from tests.scheduler.ledger_rows import CONSENT, MONDAY_7_UTC

CONFIRM_LINK = re.compile(r"https://course\.example\.org/confirm/(\S+)")


@pytest.fixture
def renderer(bundled_course: Course, db_settings: Settings) -> Renderer:
    return Renderer(bundled_course, Sender.from_settings(db_settings))


@pytest.fixture
def memory() -> MemoryBackend:
    return MemoryBackend()


def _mailer(
    session: Session, db_settings: Settings, renderer: Renderer, backend: EmailBackend
) -> TransactionalMailer:
    return TransactionalMailer(session, db_settings, renderer, backend=lambda: backend)


def test_the_confirmation_leaves_when_the_sign_up_commits(
    sessions: sessionmaker[Session],
    db_settings: Settings,
    renderer: Renderer,
    memory: MemoryBackend,
) -> None:
    with transaction(sessions) as session:
        mailer = _mailer(session, db_settings, renderer, memory)
        subscribe(session, db_settings, mailer, "ann@example.com", name="Ann", consent=CONSENT)
        session.flush()
        assert memory.outbox == []  # not while the sign-up could still roll back
    [email] = memory.outbox
    assert (email.to, email.to_name) == ("ann@example.com", "Ann")
    assert email.subject == renderer.prepare("confirmation").subject
    assert read_delivery_id(email.delivery_id) == TransactionalMail("confirmation")
    token = CONFIRM_LINK.search(email.text)
    assert token is not None
    with transaction(sessions) as session:
        assert confirm(session, db_settings, token.group(1)).status is Status.ACTIVE
    assert mailer.problems == []


def test_nothing_is_sent_when_the_transaction_rolls_back(
    sessions: sessionmaker[Session],
    db_settings: Settings,
    renderer: Renderer,
    memory: MemoryBackend,
) -> None:

    def sign_up_then_fail() -> None:
        with transaction(sessions) as session:
            mailer = _mailer(session, db_settings, renderer, memory)
            subscribe(session, db_settings, mailer, "ann@example.com", consent=CONSENT)
            raise RuntimeError("the page failed after the sign-up")

    with pytest.raises(RuntimeError, match="the page failed"):
        sign_up_then_fail()
    assert memory.outbox == []
    with sessions() as session:
        assert find(session, "ann@example.com") is None
    # The same session's next transaction sends only what it asks for itself.
    with sessions() as session:
        mailer = _mailer(session, db_settings, renderer, memory)
        with session.begin():
            subscribe(session, db_settings, mailer, "ann@example.com", consent=CONSENT)
        session.begin()
        subscribe(session, db_settings, mailer, "bob@example.com", consent=CONSENT)
        session.rollback()
        with session.begin():
            pass
    assert [email.to for email in memory.outbox] == ["ann@example.com"]


def test_the_goodbye_leaves_after_the_unsubscribe_commits(
    sessions: sessionmaker[Session],
    db_settings: Settings,
    renderer: Renderer,
    memory: MemoryBackend,
) -> None:
    with transaction(sessions) as session:
        subscribe(
            session,
            db_settings,
            _mailer(session, db_settings, renderer, memory),
            "ann@example.com",
            consent=CONSENT,
        )
    memory.outbox.clear()
    for _ in range(2):  # a second unsubscribe says goodbye no more
        with transaction(sessions) as session:
            ann = find(session, "ann@example.com")
            assert ann is not None
            unsubscribe(
                session, db_settings, ann, notifier=_mailer(session, db_settings, renderer, memory)
            )
    [goodbye] = memory.outbox
    assert goodbye.subject == renderer.prepare("unsubscribed").subject
    assert read_delivery_id(goodbye.delivery_id) == TransactionalMail("unsubscribed")


class _Down(MemoryBackend):
    def post(self, batch: Batch) -> list[Outcome]:
        raise TransientError("SendGrid answered 503")


class _Refusing(MemoryBackend):
    def post(self, batch: Batch) -> list[Outcome]:
        return [Rejected(r.delivery_id, "550 no such mailbox") for r in batch.recipients]


@pytest.mark.parametrize(
    ("backend", "problem"),
    [
        (_Down(), "confirmation email not sent to 1: SendGrid answered 503"),
        (_Refusing(), "confirmation email not sent: 550 no such mailbox"),
    ],
)
def test_a_failed_send_is_logged_and_kept_never_raised(
    sessions: sessionmaker[Session],
    db_settings: Settings,
    renderer: Renderer,
    backend: MemoryBackend,
    problem: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, "drip.transactional"), transaction(sessions) as session:
        mailer = _mailer(session, db_settings, renderer, backend)
        subscribe(session, db_settings, mailer, "ann@example.com", consent=CONSENT)
    assert mailer.problems == [problem]
    assert "not sent" in caplog.text
    assert "ann@example.com" not in caplog.text  # no address in the log
    with sessions() as session:
        ann = find(session, "ann@example.com")
        assert ann is not None
        assert ann.status is Status.PENDING  # the sign-up is kept


def test_a_template_that_cannot_render_is_logged_not_raised(
    sessions: sessionmaker[Session],
    db_settings: Settings,
    bundled_course: Course,
    memory: MemoryBackend,
) -> None:
    broken = load_templates() | {"confirmation.html": "{% if %}"}
    renderer = Renderer(bundled_course, Sender.from_settings(db_settings), broken)
    with transaction(sessions) as session:
        mailer = _mailer(session, db_settings, renderer, memory)
        subscribe(session, db_settings, mailer, "ann@example.com", consent=CONSENT)
    assert memory.outbox == []
    [problem] = mailer.problems
    assert problem.startswith("confirmation email not sent to 1:")


def test_an_import_s_confirmations_go_in_batches(
    sessions: sessionmaker[Session],
    db_settings: Settings,
    renderer: Renderer,
    memory: MemoryBackend,
) -> None:
    rows = "".join(f"reader{n}@example.com\n" for n in range(2100))
    with transaction(sessions) as session:
        mailer = _mailer(session, db_settings, renderer, memory)
        report = import_csv(
            session,
            db_settings,
            io.BytesIO(f"email\n{rows}".encode()),
            filename="leads.csv",
            notifier=mailer,
            now=MONDAY_7_UTC,
        )
        assert memory.batches == []
    assert report.confirmations_sent == 2100
    assert [len(batch.recipients) for batch in memory.batches] == [1000, 1000, 100]
    assert len({email.delivery_id for email in memory.outbox}) == 2100
    links = {CONFIRM_LINK.search(email.text).group(1) for email in memory.outbox}  # type: ignore[union-attr]
    assert len(links) == 2100  # each their own


def test_through_the_outbox_backend_with_an_international_address(
    sessions: sessionmaker[Session], db_settings: Settings, renderer: Renderer
) -> None:
    with transaction(sessions) as session:
        mailer = TransactionalMailer(session, db_settings, renderer)  # the configured backend
        subscribe(session, db_settings, mailer, "zoë@example.com", name="Zoë", consent=CONSENT)
    assert mailer.problems == []
    [path] = Path(db_settings.outbox_dir).glob("*.eml")
    message: EmailMessage = message_from_string(path.read_text(encoding="utf-8"), policy=default)
    assert message["To"].addresses[0].addr_spec == "zoë@example.com"
    assert message["From"] == db_settings.from_address
    text = message.get_body(preferencelist=("plain",))
    assert text is not None
    assert CONFIRM_LINK.search(text.get_content())
    with sessions() as session:
        assert session.scalar(select(Subscriber.status)) is Status.PENDING
