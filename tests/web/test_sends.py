"""The sends page: the dry run, its confirmation and the report; test sends; retrying
failures. Every send goes through the scheduler into the outbox and its ledger."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import time_machine
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select

from admin.web.app import create_app
from admin.web.ratelimit import Limits
from admin.web.users import add_user
from drip.settings import Settings
from render.versions import save_version
from scheduler.models import Delivery, DeliveryStatus
from subscribers import Consent, Subscriber, add_confirmed
from tests.support.sendgrid_standin import SendGridStandIn
from tests.web.conftest import PASSWORD, csrf_of, log_in, outbox, text_of

# Monday 2 March 2026, 09:00 UTC: the subscribers below are confirmed then, so their
# welcome is due at once. The clock ticks on from there (logins and cookies need it).
MONDAY_9_UTC = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PLAN = re.compile(r'name="plan" value="([^"]*)"')


@pytest.fixture(autouse=True)
def monday() -> Iterator[None]:
    with time_machine.travel(MONDAY_9_UTC, tick=True):
        yield


def add(app: FastAPI, *emails: str) -> None:
    with app.state.web.transaction() as session:
        for email in emails:
            add_confirmed(
                session, app.state.web.settings, email, consent=Consent(source="sends tests")
            )


def deliveries(app: FastAPI) -> list[Delivery]:
    with app.state.web.sessions() as session:
        return list(session.scalars(select(Delivery).order_by(Delivery.id)))


def subscriber(app: FastAPI, email: str) -> Subscriber:
    with app.state.web.sessions() as session:
        found = session.scalar(select(Subscriber).where(Subscriber.email == email))
        assert found is not None
        return found


def dry_run(client: TestClient) -> tuple[str, str, str]:
    """The sends page: its HTML, the plan its confirmation carries and a CSRF token."""
    page = client.get("/admin/sends")
    assert page.status_code == 200
    match = PLAN.search(page.text)
    return page.text, match.group(1) if match else "", csrf_of(page.text)


def confirm(client: TestClient, plan: str, token: str) -> object:
    return client.post("/admin/sends/run", data={"plan": plan, "csrf_token": token})


# --- the dry run and the triggered send -------------------------------------------------


def test_the_dry_run_shows_who_gets_which_lesson_and_writes_nothing(
    admin: TestClient, app: FastAPI, settings: Settings
) -> None:
    add(app, "ann@example.com", "bob@example.com")
    before = subscriber(app, "ann@example.com")

    page, plan, _ = dry_run(admin)

    assert plan == "welcome=2"
    assert "Send 2 emails now" in page
    assert "ann@example.com" in page
    assert "bob@example.com" in page
    assert deliveries(app) == []
    assert outbox(settings) == []
    after = subscriber(app, "ann@example.com")
    assert (after.lessons_sent, after.next_due_at) == (0, before.next_due_at)


def test_a_confirmed_send_goes_out_and_shows_its_report(
    admin: TestClient, app: FastAPI, settings: Settings
) -> None:
    add(app, "ann@example.com", "bob@example.com")
    _, plan, token = dry_run(admin)

    response = admin.post("/admin/sends/run", data={"plan": plan, "csrf_token": token})

    assert response.status_code == 303
    assert sorted(message["To"] for message in outbox(settings)) == [
        "ann@example.com",
        "bob@example.com",
    ]
    rows = deliveries(app)
    assert [(row.lesson, row.status) for row in rows] == [("welcome", "sent")] * 2
    assert subscriber(app, "ann@example.com").lessons_sent == 1
    report = admin.get(response.headers["location"]).text
    assert "Send finished" in report
    assert re.search(r"Sent</span>\s*<span class=\"stat-value\">2<", report)
    assert "Nothing is due right now" in report  # the new dry run: all sent
    assert "Send finished" not in admin.get("/admin/sends").text  # shown once


def test_a_stale_confirmation_is_refused_with_the_new_dry_run(
    admin: TestClient, app: FastAPI, settings: Settings
) -> None:
    add(app, "ann@example.com")
    _, plan, token = dry_run(admin)
    add(app, "bob@example.com")  # due now too, but the admin was shown one email

    response = admin.post("/admin/sends/run", data={"plan": plan, "csrf_token": token})

    assert response.status_code == 409
    assert "What is due changed since your dry run, so nothing was sent." in response.text
    assert "You confirmed 1 email (1 × Lesson 1)" in response.text
    assert PLAN.search(response.text).group(1) == "welcome=2"  # type: ignore[union-attr]
    assert "Send 2 emails now" in response.text
    assert deliveries(app) == []
    assert outbox(settings) == []


def test_a_second_confirmation_of_the_same_dry_run_sends_nothing_more(
    admin: TestClient, app: FastAPI, settings: Settings
) -> None:
    add(app, "ann@example.com")
    _, plan, token = dry_run(admin)
    assert confirm(admin, plan, token).status_code == 303  # type: ignore[attr-defined]

    again = admin.post("/admin/sends/run", data={"plan": plan, "csrf_token": token})

    assert again.status_code == 409
    assert len(outbox(settings)) == 1


def test_confirming_nothing_due_sends_nothing(admin: TestClient, settings: Settings) -> None:
    _, plan, token = dry_run(admin)
    assert plan == ""  # no confirmation form when nothing is due

    response = admin.post(
        "/admin/sends/run", data={"plan": "", "csrf_token": token}, follow_redirects=True
    )

    assert "Nothing is due, so nothing was sent." in response.text
    assert outbox(settings) == []


def test_a_send_without_the_csrf_token_is_refused(
    admin: TestClient, app: FastAPI, settings: Settings
) -> None:
    add(app, "ann@example.com")
    _, plan, _ = dry_run(admin)

    response = admin.post("/admin/sends/run", data={"plan": plan})

    assert response.status_code == 403
    assert deliveries(app) == []
    assert outbox(settings) == []


def test_sends_are_for_admins(marketer: TestClient, app: FastAPI, settings: Settings) -> None:
    add(app, "ann@example.com")
    token = csrf_of(marketer.get("/admin").text)

    assert marketer.get("/admin/sends").status_code == 403
    for action in ("run", "retry-failed", "test"):
        form = {"plan": "welcome=1", "lesson": "welcome", "to": "m@example.com"}
        response = marketer.post(f"/admin/sends/{action}", data={**form, "csrf_token": token})
        assert response.status_code == 403, action
    assert deliveries(app) == []
    assert outbox(settings) == []


@pytest.fixture
def refused_app(settings: Settings, sendgrid_standin: SendGridStandIn) -> Iterator[FastAPI]:
    """The app sending through the SendGrid stand-in with a key it refuses (401)."""
    overrides = sendgrid_standin.settings_overrides()
    overrides["sendgrid_api_key"] = SecretStr("SG.revoked")
    app = create_app(settings.model_copy(update=overrides), limits=Limits())
    yield app
    app.state.web.engine.dispose()


def test_a_bad_sendgrid_key_stops_the_send_naming_the_setting(
    refused_app: FastAPI, sendgrid_standin: SendGridStandIn
) -> None:
    app = refused_app
    with app.state.web.transaction() as session:
        add_user(session, "ada", "admin", PASSWORD)
    admin = TestClient(app, follow_redirects=False)
    log_in(admin, "ada")
    add(app, "ann@example.com")
    _, plan, token = dry_run(admin)

    response = admin.post(
        "/admin/sends/run", data={"plan": plan, "csrf_token": token}, follow_redirects=True
    )

    assert "Sending stopped before anything was sent: SENDGRID_API_KEY" in response.text
    assert [row.status for row in deliveries(app)] == [DeliveryStatus.QUEUED.value]
    assert sendgrid_standin.emails == []
    assert "Send 1 email now" in response.text  # still due


def test_broken_templates_show_their_problems_instead_of_a_send_button(
    admin: TestClient, app: FastAPI
) -> None:
    add(app, "ann@example.com")
    with app.state.web.transaction() as session:
        save_version(session, "welcome.html", "{% if %}", "someone")

    page, plan, _ = dry_run(admin)

    assert "Nothing can be sent: the templates in force have problems." in page
    assert "welcome.html" in page
    assert plan == ""


# --- test sends -----------------------------------------------------------------------


def test_a_test_send_goes_to_any_address_outside_the_ledger(
    admin: TestClient, app: FastAPI, settings: Settings
) -> None:
    token = csrf_of(admin.get("/admin/sends").text)
    response = admin.post(
        "/admin/sends/test",
        data={"lesson": "diet", "to": "Me@Example.com", "csrf_token": token},
        follow_redirects=True,
    )

    assert "Sent a test of" in response.text
    [sent] = outbox(settings)
    assert sent["To"].addresses[0].addr_spec == "Me@example.com"
    assert sent["Subject"].startswith("[Test] ")
    assert deliveries(app) == []


def test_a_test_send_can_be_personalised_as_a_subscriber(
    admin: TestClient, app: FastAPI, settings: Settings
) -> None:
    with app.state.web.transaction() as session:
        add_confirmed(
            session, settings, "ann@example.com", consent=Consent(source="t"), name="Ann Lee"
        )
    token = csrf_of(admin.get("/admin/sends").text)
    admin.post(
        "/admin/sends/test",
        data={
            "lesson": "2",
            "to": "me@example.com",
            "subscriber": "ann@example.com",
            "csrf_token": token,
        },
    )

    [sent] = outbox(settings)
    assert "Ann" in text_of(sent)
    assert subscriber(app, "ann@example.com").lessons_sent == 0


@pytest.mark.parametrize(
    ("form", "said"),
    [
        ({"lesson": "diet", "to": "nobody"}, "Not sent:"),
        ({"lesson": "no-such-lesson", "to": "me@example.com"}, "no lesson"),
        ({"lesson": "diet", "to": "me@example.com", "subscriber": "x@example.com"}, "no subscr"),
    ],
)
def test_a_bad_test_send_is_refused_and_sends_nothing(
    admin: TestClient, settings: Settings, form: dict[str, str], said: str
) -> None:
    token = csrf_of(admin.get("/admin/sends").text)
    response = admin.post(
        "/admin/sends/test", data={**form, "csrf_token": token}, follow_redirects=True
    )
    assert "flash-error" in response.text
    assert said in response.text
    assert outbox(settings) == []


# --- retrying failures ---------------------------------------------------------------


def test_retrying_failures_queues_them_and_the_dry_run_shows_them(
    admin: TestClient, app: FastAPI
) -> None:
    add(app, "ann@example.com")
    with app.state.web.transaction() as session:
        ann = session.scalar(select(Subscriber))
        assert ann is not None
        ann.next_due_at = None  # held by its failed welcome
        session.add(
            Delivery(
                subscriber_id=ann.id,
                course=app.state.web.course().slug,
                lesson="welcome",
                position=1,
                status=DeliveryStatus.FAILED.value,
                attempts=1,
                due_at=MONDAY_9_UTC,
                error="550 mailbox full",
            )
        )
    _, plan, token = dry_run(admin)
    assert plan == ""

    response = admin.post(
        "/admin/sends/retry-failed", data={"csrf_token": token}, follow_redirects=True
    )

    assert "Queued 1 failed delivery again" in response.text
    assert PLAN.search(response.text).group(1) == "welcome=1"  # type: ignore[union-attr]
    assert [row.status for row in deliveries(app)] == [DeliveryStatus.QUEUED.value]
