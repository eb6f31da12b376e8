"""SMTP through smtplib: STARTTLS (`smtp://`, port 587) or implicit TLS (`smtps://`, 465).

One MIME message per recipient over one connection, reused across a run: `open()` at
the start of a run keeps the connection until `close()`; without it, each `send`
closes what it opened. A recipient the server refuses becomes `Rejected` (5xx) or
`Deferred` (4xx); a lost connection is a `TransientError` carrying the outcomes of the
messages already sent; a refused login is a `ConfigurationError` naming DRIP_SMTP_URL.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.utils import parseaddr
from functools import cache
from urllib.parse import unquote, urlsplit

from delivery.base import LocalBackend
from delivery.errors import ConfigurationError, DeliveryError, TransientError
from delivery.message import Accepted, Batch, Deferred, Outcome, PersonalEmail, Rejected
from delivery.mime import mime_message
from drip.settings import Settings

DEFAULT_TIMEOUT = 30.0  # seconds, for connecting and for each reply


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to connect, read from DRIP_SMTP_URL."""

    host: str
    port: int
    implicit_tls: bool
    username: str | None = None
    password: str | None = None

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError(
                "must look like smtp://user:pass@host:587 or smtps://user:pass@host:465"
            )
        implicit_tls = parts.scheme == "smtps"
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if implicit_tls else 587),  # .port refuses a bad one
            implicit_tls=implicit_tls,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


class SmtpBackend(LocalBackend):
    max_recipients = 100  # sent one by one: keep a batch (and a claim) short

    def __init__(
        self,
        settings: Settings,
        *,
        tls_context: ssl.SSLContext | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        if settings.smtp_url is None:
            raise ConfigurationError("DRIP_SMTP_URL is not set, but the backend is smtp")
        try:
            self.server = SmtpServer.from_url(settings.smtp_url.get_secret_value())
        except ValueError as error:
            raise ConfigurationError(f"DRIP_SMTP_URL: {error}") from None
        self.tls_context = tls_context or ssl.create_default_context()
        self.timeout = timeout
        self.unsubscribe_mailto = settings.unsubscribe_mailto
        self._connection: smtplib.SMTP | None = None
        self._kept_open = False

    def open(self) -> None:
        self._kept_open = True  # connect lazily: a tick with nothing due costs nothing

    def close(self) -> None:
        self._kept_open = False
        self._disconnect()

    def post(self, batch: Batch) -> list[Outcome]:
        try:
            self._drop_if_stale()
            return super().post(batch)
        finally:
            if not self._kept_open:
                self._disconnect()

    def deliver(self, email: PersonalEmail) -> Outcome:
        try:
            message = mime_message(email)
        except ValueError as error:
            return Rejected(email.delivery_id, str(error))
        connection = self._connected()
        sender = parseaddr(email.from_address)[1]
        try:
            connection.send_message(message, from_addr=sender, to_addrs=[email.to])
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = next(iter(error.recipients.values()))
            return _refused(email, code, reply)
        except smtplib.SMTPDataError as error:
            return _refused(email, error.smtp_code, error.smtp_error)
        except smtplib.SMTPSenderRefused as error:
            said = f"{error.smtp_code} {_text(error.smtp_error)}"
            if error.smtp_code >= 500:
                raise ConfigurationError(
                    f"DRIP_FROM: the SMTP server {self.server} refused the sender {sender} ({said})"
                ) from None
            raise TransientError(f"the SMTP server {self.server} said {said}") from None
        except smtplib.SMTPNotSupportedError as error:  # e.g. SMTPUTF8 needed, not offered
            return Rejected(email.delivery_id, f"the SMTP server cannot take it: {error}")
        except (smtplib.SMTPException, OSError) as error:
            self._disconnect()
            raise TransientError(f"the SMTP server {self.server} failed: {error}") from error
        return Accepted(email.delivery_id, message["Message-ID"])

    def _connected(self) -> smtplib.SMTP:
        if self._connection is None:
            self._connection = self._connect()
        return self._connection

    def _connect(self) -> smtplib.SMTP:
        try:
            return self._open_connection()
        except (smtplib.SMTPException, OSError) as error:
            raise _connection_error(self.server, error) from error

    def _open_connection(self) -> smtplib.SMTP:
        server = self.server
        connection: smtplib.SMTP | None = None
        try:
            if server.implicit_tls:
                connection = smtplib.SMTP_SSL(
                    server.host, server.port, _local_hostname(), timeout=self.timeout,
                    context=self.tls_context,
                )  # fmt: skip
            else:
                connection = smtplib.SMTP(
                    server.host, server.port, _local_hostname(), timeout=self.timeout
                )
                connection.starttls(context=self.tls_context)
            if server.username:
                connection.login(server.username, server.password or "")
        except BaseException:
            if connection is not None:
                connection.close()
            raise
        return connection

    def _drop_if_stale(self) -> None:
        """A connection kept between batches may have been closed by the server."""
        if self._connection is None:
            return
        try:
            alive = self._connection.noop()[0] == 250
        except (smtplib.SMTPException, OSError):
            alive = False
        if not alive:
            self._disconnect()

    def _disconnect(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.quit()
        except (smtplib.SMTPException, OSError):
            connection.close()


def _connection_error(server: SmtpServer, error: Exception) -> DeliveryError:
    """What a failure to connect or log in means for the run."""
    if isinstance(error, smtplib.SMTPAuthenticationError):
        said = f"{error.smtp_code} {_text(error.smtp_error)}"
        return ConfigurationError(
            f"DRIP_SMTP_URL: {server} refused the login of {server.username!r} ({said})"
        )
    if isinstance(error, smtplib.SMTPNotSupportedError):  # no STARTTLS, or no AUTH
        return ConfigurationError(f"DRIP_SMTP_URL: {server}: {error}")
    if isinstance(error, ssl.SSLCertVerificationError):
        return ConfigurationError(
            f"DRIP_SMTP_URL: the certificate of {server} is not valid: {error.verify_message}"
        )
    return TransientError(f"cannot reach the SMTP server {server}: {error}")


def _refused(email: PersonalEmail, code: int, reply: bytes | str) -> Outcome:
    said = f"SMTP {code} {_text(reply)}"
    if 400 <= code < 500:  # "try again later" (greylisting, a full mailbox)
        return Deferred(email.delivery_id, said)
    return Rejected(email.delivery_id, said)


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else reply


@cache
def _local_hostname() -> str:
    # smtplib calls getfqdn() on every connection, which can wait on DNS; once is enough.
    return socket.getfqdn()
