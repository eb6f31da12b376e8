"""The SMTP backend against a real aiosmtpd server on 127.0.0.1, with STARTTLS or
implicit TLS, a certificate made for the test, and AUTH."""

from __future__ import annotations

import email
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from delivery.errors import ConfigurationError, TransientError
from delivery.message import Accepted, Deferred, Rejected
from delivery.retry import send_with_retries
from delivery.smtp import SmtpBackend, SmtpServer
from drip.settings import load_settings
from tests.support.mail import make_batch, make_recipient
from tests.support.tls import CertificateAuthority, make_authority

USER, PASSWORD = "drip", "s3cret/with:odd@chars"


@dataclass
class Mailbox:
    """The server's side: what arrived, over which connections; refusals on demand."""

    received: list[tuple[str, list[str], bytes, Any]] = field(default_factory=list)
    hang_up_on: int = 0  # close the connection instead of taking message number N

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address.startswith("unknown"):
            return "550 5.1.1 No such user here"
        if address.startswith("busy"):
            return "450 4.2.1 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if len(self.received) + 1 == self.hang_up_on:
            self.hang_up_on = 0
            server.transport.close()
            return "421 going away"
        if b"spam, spam" in envelope.content:
            return "554 5.7.1 Message refused as spam"
        self.received.append(
            (envelope.mail_from, envelope.rcpt_tos, envelope.content, session.peer)
        )
        return "250 Message accepted"

    def messages(self) -> list[EmailMessage]:
        return [email.message_from_bytes(raw, policy=default) for _, _, raw, _ in self.received]

    def connections(self) -> int:
        return len({peer for *_, peer in self.received})


def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    good = isinstance(data, LoginPassword) and (data.login, data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=good, handled=False)  # handled=False: aiosmtpd answers 535


class EphemeralController(Controller):
    """aiosmtpd's controller, on port 0: it learns the port before its self-test."""

    def _trigger_server(self) -> None:
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@dataclass
class SmtpServerUnderTest:
    mailbox: Mailbox
    url: str
    client_tls: ssl.SSLContext

    def backend(self, url: str | None = None, **settings: Any) -> SmtpBackend:
        loaded = load_settings(smtp_url=url or self.url, **settings)
        return SmtpBackend(loaded, tls_context=self.client_tls, timeout=5)


@pytest.fixture(scope="session")
def authority() -> CertificateAuthority:
    return make_authority()


@contextmanager
def serve(mailbox: Mailbox, **options: Any) -> Iterator[EphemeralController]:
    controller = EphemeralController(
        mailbox, hostname="127.0.0.1", port=0, server_hostname="mail.test", **options
    )
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()


@pytest.fixture(params=["starttls", "implicit-tls"])
def smtp_server(
    request: pytest.FixtureRequest, authority: CertificateAuthority, tmp_path: Path
) -> Iterator[SmtpServerUnderTest]:
    mailbox = Mailbox()
    tls = authority.server_context(tmp_path)
    auth = {"authenticator": authenticate}
    if request.param == "starttls":
        options = {"tls_context": tls, "require_starttls": True, "auth_required": True, **auth}
        scheme = "smtp"
    else:
        # aiosmtpd counts only STARTTLS as TLS for auth_require_tls; over implicit TLS
        # it offers AUTH only when that is off (the password is still checked).
        options = {"ssl_context": tls, "auth_require_tls": False, **auth}
        scheme = "smtps"
    with serve(mailbox, **options) as controller:
        url = f"{scheme}://{USER}:{quote(PASSWORD, safe='')}@127.0.0.1:{controller.port}"
        yield SmtpServerUnderTest(mailbox, url, authority.client_context())


def test_each_reader_gets_a_personal_mime_email(smtp_server: SmtpServerUnderTest) -> None:
    outcomes = smtp_server.backend().send(make_batch(2))
    messages = smtp_server.mailbox.messages()
    assert [type(o) for o in outcomes] == [Accepted, Accepted]
    assert [o.provider_message_id for o in outcomes] == [m["Message-ID"] for m in messages]
    sender, recipients, _, _ = smtp_server.mailbox.received[1]
    assert (sender, recipients) == ("course@example.com", ["reader1@example.com"])
    message = messages[1]
    assert message["To"] == "Reader 1 <reader1@example.com>"
    assert message["From"] == "Magnesium Course <course@example.com>"
    assert message["Subject"] == "Day 1 for Reader 1"
    assert message["List-Unsubscribe"] == "<https://drip.example/unsubscribe/token-1>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.get_content_type() == "multipart/alternative"
    text, html = message.iter_parts()
    assert text.get_content_type() == "text/plain"
    assert "Unsubscribe: https://drip.example/unsubscribe/token-1" in text.get_content()
    assert html.get_content_type() == "text/html"
    assert "<p>Hello Reader 1,</p>" in html.get_content()


def test_one_connection_serves_a_whole_run(smtp_server: SmtpServerUnderTest) -> None:
    with smtp_server.backend() as backend:
        backend.send(make_batch(2))
        backend.send(make_batch(0, make_recipient(5)))
    assert len(smtp_server.mailbox.received) == 3
    assert smtp_server.mailbox.connections() == 1


def test_without_open_each_send_closes_its_connection(smtp_server: SmtpServerUnderTest) -> None:
    backend = smtp_server.backend()
    backend.send(make_batch(1))
    backend.send(make_batch(1))
    assert smtp_server.mailbox.connections() == 2


def test_refusals_are_per_recipient(smtp_server: SmtpServerUnderTest) -> None:
    batch = make_batch(
        0,
        make_recipient(0, email="unknown@example.com"),
        make_recipient(1, email="busy@example.com"),
        make_recipient(2, substitutions={"%name%": "spam, spam"}),
        make_recipient(3),
    )
    outcomes = smtp_server.backend().send(batch)
    assert outcomes[:3] == [
        Rejected("d0", "SMTP 550 5.1.1 No such user here"),
        Deferred("d1", "SMTP 450 4.2.1 Mailbox busy, try again later"),
        Rejected("d2", "SMTP 554 5.7.1 Message refused as spam"),
    ]
    assert isinstance(outcomes[3], Accepted)
    assert smtp_server.mailbox.connections() == 1


def test_a_lost_connection_keeps_what_was_sent_and_the_retry_sends_the_rest(
    smtp_server: SmtpServerUnderTest,
) -> None:
    smtp_server.mailbox.hang_up_on = 3
    with pytest.raises(TransientError) as caught:
        smtp_server.backend().send(make_batch(5))
    assert [(type(o), o.delivery_id) for o in caught.value.settled] == [
        (Accepted, "d0"),
        (Accepted, "d1"),
    ]

    smtp_server.mailbox.hang_up_on = 4  # and once more, under the retry helper
    with smtp_server.backend() as backend:
        outcomes = send_with_retries(backend, make_batch(5, custom_args={}), sleep=lambda _: None)
    assert [type(o) for o in outcomes] == [Accepted] * 5
    sent = [rcpt for _, (rcpt,), _, _ in smtp_server.mailbox.received]
    assert sent[2:] == [f"reader{i}@example.com" for i in range(5)]  # each once


def test_a_wrong_password_names_the_setting(smtp_server: SmtpServerUnderTest) -> None:
    url = smtp_server.url.replace(f"{USER}:", f"{USER}:wrong", 1)
    with pytest.raises(
        ConfigurationError,
        match=r"^DRIP_SMTP_URL: 127\.0\.0\.1:\d+ refused the login of 'drip' \(535",
    ):
        smtp_server.backend(url).send(make_batch(1))
    assert smtp_server.mailbox.received == []


def test_an_untrusted_certificate_is_refused(smtp_server: SmtpServerUnderTest) -> None:
    settings = load_settings(smtp_url=smtp_server.url)
    backend = SmtpBackend(settings, timeout=5)  # the system's CAs do not know our test CA
    with pytest.raises(
        ConfigurationError, match=r"^DRIP_SMTP_URL: the certificate of .* is not valid"
    ):
        backend.send(make_batch(1))


def test_a_server_without_starttls_is_refused(authority: CertificateAuthority) -> None:
    with serve(Mailbox()) as controller:
        settings = load_settings(smtp_url=f"smtp://127.0.0.1:{controller.port}")
        backend = SmtpBackend(settings, tls_context=authority.client_context(), timeout=5)
        with pytest.raises(ConfigurationError, match="STARTTLS extension not supported"):
            backend.send(make_batch(1))


def test_nobody_listening_is_transient() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    backend = SmtpBackend(load_settings(smtp_url=f"smtp://127.0.0.1:{port}"), timeout=2)
    with pytest.raises(TransientError, match=r"cannot reach the SMTP server 127\.0\.0\.1:\d+"):
        backend.send(make_batch(1))


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example.com", SmtpServer("mail.example.com", 587, False)),
        ("smtps://mail.example.com", SmtpServer("mail.example.com", 465, True)),
        (
            "smtp://u%40x:p%3Aw@mail.example.com:2525",
            SmtpServer("mail.example.com", 2525, False, "u@x", "p:w"),
        ),
    ],
)
def test_the_url_says_where_and_how(url: str, expected: SmtpServer) -> None:
    assert SmtpServer.from_url(url) == expected


def test_a_missing_or_bad_url_names_the_setting() -> None:
    with pytest.raises(ConfigurationError, match=r"^DRIP_SMTP_URL is not set"):
        SmtpBackend(load_settings(backend="smtp"))
    with pytest.raises(ConfigurationError, match=r"^DRIP_SMTP_URL: Port could not be cast"):
        SmtpBackend(load_settings(smtp_url="smtp://mail.example.com:port"))
