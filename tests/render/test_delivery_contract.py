"""The contract with delivery: stage-1 bodies plus per-recipient substitutions, sent
through a real backend, reach each reader exactly as `personalise` renders them."""

from __future__ import annotations

from delivery.memory import MemoryBackend
from delivery.message import Accepted, Batch, Recipient
from delivery.sendgrid import SendGridBackend
from drip.settings import Settings, load_settings
from render import PreparedEmail, Reader, Renderer, sample_reader
from render.samples import tricky_readers
from tests.support.sendgrid_standin import SendGridStandIn

from .conftest import LESSONS


def _batch(prepared: PreparedEmail, readers: list[Reader], settings: Settings) -> Batch:
    recipients = tuple(
        Recipient(
            email=reader.email,
            name=reader.name,
            delivery_id=f"delivery-{number}",
            substitutions=prepared.substitutions(reader),
            unsubscribe_url=reader.unsubscribe_url,
        )
        for number, reader in enumerate(readers)
    )
    return Batch(
        from_address=settings.from_address,
        subject=prepared.subject,
        html=prepared.html,
        text=prepared.text,
        recipients=recipients,
        category=prepared.lesson_slug or prepared.kind,
    )


def _readers(renderer: Renderer) -> list[Reader]:
    return [*tricky_readers(renderer.sender), sample_reader(renderer.sender)]


def test_sendgrid_delivers_what_personalise_renders(
    renderer: Renderer, settings: Settings, sendgrid_standin: SendGridStandIn
) -> None:
    prepared = renderer.prepare_lesson(LESSONS[1])
    readers = _readers(renderer)
    backend = SendGridBackend(load_settings(**sendgrid_standin.settings_overrides()), timeout=5)
    outcomes = backend.send(_batch(prepared, readers, settings))
    assert all(isinstance(outcome, Accepted) for outcome in outcomes)
    for reader in readers:
        sent, expected = sendgrid_standin.email_to(reader.email), prepared.personalise(reader)
        assert (sent.subject, sent.html, sent.text) == (
            expected.subject,
            expected.html,
            expected.text,
        )


def test_a_local_backend_writes_what_personalise_renders(
    renderer: Renderer, settings: Settings
) -> None:
    prepared = renderer.prepare("confirmation")
    readers = _readers(renderer)
    backend = MemoryBackend()
    backend.send(_batch(prepared, readers, settings))
    for reader, written in zip(readers, backend.outbox, strict=True):
        expected = prepared.personalise(reader)
        assert (written.subject, written.html, written.text) == (
            expected.subject,
            expected.html,
            expected.text,
        )
