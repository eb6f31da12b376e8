"""A SendGrid stand-in: `POST /v3/mail/send` served on 127.0.0.1, as strict as SendGrid.

SendGrid itself cannot run here, so tests (and benchmarks) point DRIP_SENDGRID_HOST at
this server and drive the real `sendgrid` client against it. It accepts a request the
way SendGrid does:

- `Authorization: Bearer <key>` or 401;
- the body validated against SendGrid's own published schema
  (`components.requestBodies.PostMailSend` of `sendgrid/tsg_mail_v3.json`, jsonschema
  draft 2020-12) and the documented limits the schema lacks (1,000 recipients, each
  address once, 10,000 bytes of substitutions per personalization and of custom_args,
  30 MB, text/plain before text/html, reserved headers, names SendGrid would mangle),
  or 400 in SendGrid's format `{"errors": [{"message", "field", "help"}]}`;
- 202 with `X-Message-Id`, or 200 in sandbox mode (nothing is "delivered").

Each accepted recipient's email is expanded from the substitutions, lazily (on reading
`emails`), so a test asserts what each subscriber would read and a benchmark of
100,000 recipients pays nothing for it. Faults on demand: `fail_next(Fault...)` or
`fail_request(number, Fault...)`: 429 with the rate-limit headers, 500, 502, a slow
answer, a dropped connection, a 400 of your choosing.

In a test, use the `sendgrid_standin` fixture (registered in tests/conftest.py):

    def test_x(sendgrid_standin: SendGridStandIn) -> None:
        settings = load_settings(**sendgrid_standin.settings_overrides())
        SendGridBackend(settings).send(batch)
        assert sendgrid_standin.email_to("ann@example.com").subject == "Day 1"

In a benchmark, serve it from another process, so its work does not share the
sender's interpreter lock, and read its counters over HTTP:

    with standin_process() as standin:               # keeps no bodies
        ... DRIP_SENDGRID_HOST=standin.url, SENDGRID_API_KEY=standin.api_key ...
        print(standin.stats()["requests"])

or from a shell: `python -m tests.support.sendgrid_standin --port 0` prints its URL.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter, deque
from collections.abc import Hashable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from email.utils import unquote
from functools import cache, partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from delivery.sendgrid import RESERVED_HEADERS  # SendGrid's list; a fact, not our logic

SCHEMA = Path(__file__).parent / "sendgrid" / "tsg_mail_v3.json"
REPO_ROOT = Path(__file__).resolve().parents[2]
SEND_PATH = "/v3/mail/send"
STATS_PATH = "/__standin__/stats"
DEFAULT_API_KEY = "SG.stand-in.test-key"
HELP = "https://www.twilio.com/docs/sendgrid/api-reference/mail-send/errors"

MAX_RECIPIENTS = 1000
MAX_SUBSTITUTIONS_BYTES = 10_000
MAX_CUSTOM_ARGS_BYTES = 10_000
MAX_REQUEST_BYTES = 30_000_000
MAX_SEND_AT_AHEAD = 72 * 3600
RATE_LIMIT = 600
_ADDRESS = re.compile(
    r"[^\s@<>()\[\],;:\\\"]+@(?:[^\s@<>()\[\],;:\\\".]+\.)+[^\s@<>()\[\],;:\\\".]+"
)

Problem = dict[str, Any]  # one entry of SendGrid's "errors" array


# --- what SendGrid checks ------------------------------------------------------------


def problems_with(body: Any) -> list[Problem]:
    """Everything SendGrid would refuse in a mail-send body; [] when it would accept it."""
    if not isinstance(body, dict):
        return [_problem("The request body must be a JSON object.", None)]
    return _schema_problems(body) + _limit_problems(body)


def _problem(message: str, field: str | None) -> Problem:
    section = field.split(".")[0] if field else "request"
    return {"message": message, "field": field, "help": f"{HELP}#{section}"}


def _is_address(value: object) -> bool:
    return not isinstance(value, str) or _ADDRESS.fullmatch(value) is not None


@cache
def _validators() -> tuple[Draft202012Validator, Draft202012Validator]:
    """The whole request's validator and one personalization's, compiled once."""
    document = json.loads(SCHEMA.read_text(encoding="utf-8"))
    components = document["components"]
    body = components["requestBodies"]["PostMailSend"]["content"]["application/json"]
    request = copy.deepcopy(body["schema"])
    # The file's quirk: it types the top-level custom_args as a string; SendGrid and its
    # clients send an object of strings.
    request["properties"]["custom_args"] = {
        "type": "object",
        "additionalProperties": {"type": "string"},
    }
    personalization = request["properties"]["personalizations"]["items"]
    formats = FormatChecker(formats=())
    formats.checks("email")(_is_address)
    # `components` beside each schema, so its "#/components/..." references resolve.
    whole = Draft202012Validator({**request, "components": components}, format_checker=formats)
    each = Draft202012Validator(
        {**personalization, "components": components}, format_checker=formats
    )
    return whole, each


_valid_shapes: set[Hashable] = set()


def _schema_problems(body: dict[str, Any]) -> list[Problem]:
    whole, each = _validators()
    personalizations = body.get("personalizations")
    if not isinstance(personalizations, list):
        return [_schema_problem(error) for error in whole.iter_errors(body)]
    problems = [_schema_problem(e) for e in whole.iter_errors({**body, "personalizations": []})]
    for index, personalization in enumerate(personalizations):
        # The schema's verdict on a personalization depends only on its shape (keys,
        # types, counts, which strings are empty or not addresses), and a batch repeats
        # one shape a thousand times: validate each shape once, so 1,000 recipients
        # cost milliseconds. An invalid one is validated for real, for its messages.
        shape = _shape(personalization)
        if shape in _valid_shapes:
            continue
        where = f"personalizations.{index}"
        errors = [_schema_problem(e, where) for e in each.iter_errors(personalization)]
        if not errors and len(_valid_shapes) < 10_000:
            _valid_shapes.add(shape)
        problems += errors
    return problems


_NOT_ADDRESSES = {True: ("s", True, False), False: ("s", False, False)}


def _shape(value: Any) -> Hashable:
    if isinstance(value, str):  # no "@", no address: most strings skip the regex
        if "@" not in value:
            return _NOT_ADDRESSES[bool(value)]
        return ("s", bool(value), _is_address(value))
    if isinstance(value, dict):
        return ("o", tuple([(key, _shape(item)) for key, item in value.items()]))
    if isinstance(value, list):
        return ("a", tuple([_shape(item) for item in value]))
    if isinstance(value, float):
        return ("f", value.is_integer())
    return (type(value).__name__,)  # bool, int, None


def _schema_problem(error: Any, prefix: str = "") -> Problem:
    path = ".".join(str(part) for part in error.absolute_path)
    field = ".".join(part for part in (prefix, path) if part) or None
    return _problem(str(error.message), field)


def _json_size(value: object) -> int:
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())


def _over(mapping: dict[str, Any], limit: int) -> bool:
    """`_json_size(mapping) > limit`, encoding only when it might be: a character takes
    at most 6 bytes of JSON (\\u001f), an entry 6 more (quotes, colon, comma), so a
    mapping of strings under that bound is under the limit (a thousand personalizations
    a request, each checked twice: the encodings were most of a request's handling)."""
    if all(type(value) is str for value in mapping.values()):
        characters = sum(len(key) + len(value) for key, value in mapping.items())
        if 6 * (characters + len(mapping)) + 2 <= limit:
            return False
    return _json_size(mapping) > limit


def _limit_problems(body: dict[str, Any]) -> list[Problem]:
    personalizations = body.get("personalizations")
    if not isinstance(personalizations, list) or not personalizations:
        message = "The personalizations field is required and must have at least one item."
        return [_problem(message, "personalizations")]
    top_args = body.get("custom_args") if isinstance(body.get("custom_args"), dict) else {}
    problems = _content_problems(body) + _header_problems(body.get("headers"), "headers")
    problems += _custom_args_problems(top_args, {}, "custom_args")
    seen: set[str] = set()
    recipients = 0
    for index, personalization in enumerate(personalizations):
        if isinstance(personalization, dict):
            where = f"personalizations.{index}"
            problems += _personalization_problems(personalization, top_args, where, seen)
            recipients += _recipient_count(personalization)
    if not _has_subject(body, personalizations):
        message = (
            "The subject is required. You can get around this requirement if you "
            "use a template with a subject defined or if every personalization has "
            "a subject defined."
        )
        problems.append(_problem(message, "subject"))
    if recipients > MAX_RECIPIENTS:
        message = f"The number of recipients in a request is limited to {MAX_RECIPIENTS}."
        problems.append(_problem(message, "personalizations"))
    return problems


def _has_subject(body: dict[str, Any], personalizations: list[Any]) -> bool:
    if body.get("subject") or body.get("template_id"):
        return True
    return all(isinstance(p, dict) and p.get("subject") for p in personalizations)


def _recipient_count(personalization: dict[str, Any]) -> int:
    return sum(len(personalization.get(kind) or []) for kind in ("to", "cc", "bcc"))


def _personalization_problems(
    personalization: dict[str, Any], top_args: dict[str, Any], where: str, seen: set[str]
) -> list[Problem]:
    problems: list[Problem] = []
    if not personalization.get("to"):
        message = (
            "The to array is required for all personalization objects, and must "
            "have at least one email object with a valid email address."
        )
        problems.append(_problem(message, f"{where}.to"))
    problems += _address_problems(personalization, where, seen)
    substitutions = personalization.get("substitutions")
    if isinstance(substitutions, dict) and _over(substitutions, MAX_SUBSTITUTIONS_BYTES):
        message = (
            f"Substitutions may not exceed {MAX_SUBSTITUTIONS_BYTES} bytes per "
            f"personalization object."
        )
        problems.append(_problem(message, f"{where}.substitutions"))
    args = personalization.get("custom_args")
    if isinstance(args, dict):
        problems += _custom_args_problems(top_args, args, f"{where}.custom_args")
    problems += _header_problems(personalization.get("headers"), f"{where}.headers")
    problems += _send_at_problems(personalization.get("send_at"), f"{where}.send_at")
    return problems


def _address_problems(personalization: dict[str, Any], where: str, seen: set[str]) -> list[Problem]:
    problems: list[Problem] = []
    for kind in ("to", "cc", "bcc"):
        for position, address in enumerate(personalization.get(kind) or []):
            if not isinstance(address, dict):
                continue
            email = str(address.get("email", "")).casefold()
            if email in seen:
                message = (
                    f"Each email address in the personalization block should be unique "
                    f"between to, cc, and bcc. We found the first duplicate instance of "
                    f"[{address.get('email')}] in the {where}.{kind} field."
                )
                problems.append(_problem(message, f"{where}.{kind}"))
            seen.add(email)
            name = address.get("name")
            if isinstance(name, str) and _mangled_name(name):
                # Real SendGrid accepts it and then silently drops the email
                # (sendgrid-python#291): refusing it here makes the test fail loudly.
                message = (
                    "A comma or semicolon in an unquoted name makes SendGrid drop the "
                    "email; quote the name."
                )
                problems.append(_problem(message, f"{where}.{kind}.{position}.name"))
    return problems


def _mangled_name(name: str) -> bool:
    quoted = len(name) >= 2 and name.startswith('"') and name.endswith('"')
    return not quoted and ("," in name or ";" in name)


def _custom_args_problems(
    top_args: Mapping[str, Any], args: Mapping[str, Any], where: str
) -> list[Problem]:
    if any(not isinstance(value, str) for value in args.values()):
        return [_problem("Custom arguments must be strings.", where)]  # else "Bad Request"
    if _over({**top_args, **args}, MAX_CUSTOM_ARGS_BYTES):
        message = f"The custom arguments may not exceed {MAX_CUSTOM_ARGS_BYTES} bytes."
        return [_problem(message, where)]
    return []


def _header_problems(headers: Any, where: str) -> list[Problem]:
    if not isinstance(headers, dict):
        return []
    problems = []
    for name, value in headers.items():
        if name.lower() in RESERVED_HEADERS:
            message = f"The header {name} is reserved and cannot be set in headers."
            problems.append(_problem(message, f"{where}.{name}"))
        elif not isinstance(value, str) or "\n" in value or "\r" in value:
            message = "Header values must be strings without line breaks."
            problems.append(_problem(message, f"{where}.{name}"))
    return problems


def _send_at_problems(send_at: Any, where: str) -> list[Problem]:
    if isinstance(send_at, int) and send_at > time.time() + MAX_SEND_AT_AHEAD:
        return [_problem("send_at cannot be more than 72 hours in the future.", where)]
    return []


def _content_problems(body: dict[str, Any]) -> list[Problem]:
    content = body.get("content")
    if not isinstance(content, list):
        if body.get("template_id"):
            return []
        message = (
            "Unless a valid template_id is provided, the content parameter is "
            "required. There must be at least one defined content block."
        )
        return [_problem(message, "content")]
    kinds = [part.get("type") for part in content if isinstance(part, dict)]
    expected = [kind for kind in ("text/plain", "text/html") if kind in kinds]
    if kinds[: len(expected)] != expected:
        message = (
            "If present, text/plain and text/html may only be provided in order of "
            "text/plain, then text/html, and must be the first content blocks."
        )
        return [_problem(message, "content")]
    return []


# --- what a reader would see ---------------------------------------------------------


@dataclass(frozen=True)
class SentEmail:
    """One recipient's email as SendGrid would deliver it, substitutions applied."""

    request: int  # the number of the request that carried it (1 for the first)
    message_id: str  # the request's X-Message-Id
    from_email: str
    to: str
    to_name: str  # as a reader sees it: the quoting SendGrid needs is undone
    subject: str
    html: str
    text: str
    headers: Mapping[str, str]
    custom_args: Mapping[str, str]
    categories: tuple[str, ...]


@dataclass(frozen=True)
class AcceptedRequest:
    number: int
    message_id: str
    body: bytes  # the raw JSON (b"" when the stand-in keeps no bodies)
    recipients: int
    sandbox: bool

    def json(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed

    def emails(self) -> list[SentEmail]:
        return [] if self.sandbox else list(_expand(self.number, self.message_id, self.json()))


def _expand(number: int, message_id: str, body: dict[str, Any]) -> Iterator[SentEmail]:
    content = {part["type"]: part["value"] for part in body.get("content", [])}
    for personalization in body["personalizations"]:
        subs = personalization.get("substitutions", {})
        headers = {**body.get("headers", {}), **personalization.get("headers", {})}
        args = {**body.get("custom_args", {}), **personalization.get("custom_args", {})}
        subject = personalization.get("subject", body.get("subject", ""))
        for kind in ("to", "cc", "bcc"):
            for address in personalization.get(kind, []):
                yield SentEmail(
                    request=number,
                    message_id=message_id,
                    from_email=body["from"]["email"],
                    to=address["email"],
                    to_name=_as_read(address.get("name", "")),
                    subject=_substitute(subject, subs),
                    html=_substitute(content.get("text/html", ""), subs),
                    text=_substitute(content.get("text/plain", ""), subs),
                    headers=headers,
                    custom_args=args,
                    categories=tuple(body.get("categories", ())),
                )


def _as_read(name: str) -> str:
    if len(name) >= 2 and name.startswith('"') and name.endswith('"'):
        return unquote(name)
    return name


def _substitute(text: str, substitutions: Mapping[str, str]) -> str:
    """SendGrid's substitution: each key replaced literally, in one pass, longest first."""
    if not substitutions:
        return text
    keys = sorted(substitutions, key=len, reverse=True)
    pattern = re.compile("|".join(re.escape(key) for key in keys))
    return pattern.sub(lambda match: substitutions[match.group(0)], text)


# --- faults ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    """How to misbehave for one request."""

    status: int | None = None  # answer this status instead of handling the request
    delay: float = 0.0  # handle the request, but answer only after this many seconds
    drop: bool = False  # read the request, then close the connection without an answer
    errors: tuple[Problem, ...] = ()  # the body of an error status
    reset_in: int = 2  # a 429's X-RateLimit-Reset, in seconds from now

    @classmethod
    def rate_limited(cls, reset_in: int = 2) -> Fault:
        return cls(status=429, reset_in=reset_in, errors=(_problem("too many requests", None),))

    @classmethod
    def server_error(cls, status: int = 500) -> Fault:
        return cls(status=status, errors=(_problem("internal error", None),))

    @classmethod
    def bad_gateway(cls) -> Fault:
        return cls(status=502)  # from the load balancer: no JSON body

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        return cls(delay=seconds)

    @classmethod
    def dropped(cls) -> Fault:
        return cls(drop=True)

    @classmethod
    def bad_request(cls, message: str, field: str | None = None) -> Fault:
        return cls(status=400, errors=(_problem(message, field),))


# --- the server -----------------------------------------------------------------------


@dataclass
class _Answer:
    status: int
    problems: list[Problem] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)


class SendGridStandIn:
    """The stand-in; `start()`/`stop()` or use it as a context manager."""

    def __init__(
        self, api_key: str = DEFAULT_API_KEY, *, keep_bodies: bool = True, port: int = 0
    ) -> None:
        self.api_key = api_key
        self.keep_bodies = keep_bodies
        self.requests = 0  # every request received, answered or not
        self.statuses: Counter[int | str] = Counter()  # by status; "dropped" too
        self.recipients = 0  # recipients accepted (202), sandbox excluded
        # Time spent on requests, from reading the body to the answer computed (faults'
        # delays excluded): what the stand-in adds to a sender's wall clock.
        self.handling_seconds = 0.0
        self.accepted: list[AcceptedRequest] = []  # requests answered 202 or 200
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._next_faults: deque[Fault] = deque()
        self._faults_by_number: dict[int, Fault] = {}
        self._server = _Server(self, port)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def settings_overrides(self) -> dict[str, Any]:
        """Keyword arguments for `load_settings` that send through this stand-in."""
        return {"backend": "sendgrid", "sendgrid_api_key": self.api_key, "sendgrid_host": self.url}

    def start(self) -> SendGridStandIn:
        # A short poll interval: stopping waits for it, in every test's teardown.
        serve = partial(self._server.serve_forever, poll_interval=0.02)
        self._thread = threading.Thread(target=serve, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes slow answers
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> SendGridStandIn:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def fail_next(self, *faults: Fault) -> None:
        """Misbehave for the next requests, one fault each, in order."""
        with self._lock:
            self._next_faults.extend(faults)

    def fail_request(self, number: int, fault: Fault) -> None:
        """Misbehave for the request numbered `number` (the first request is 1)."""
        with self._lock:
            self._faults_by_number[number] = fault

    @property
    def emails(self) -> list[SentEmail]:
        """Every email delivered so far, in order (expanded now, from the kept bodies)."""
        with self._lock:
            accepted = list(self.accepted)
        return [email for request in accepted for email in request.emails()]

    def email_to(self, address: str) -> SentEmail:
        """The last email delivered to `address`."""
        found = [email for email in self.emails if email.to == address]
        if not found:
            raise LookupError(f"no email was delivered to {address}")
        return found[-1]

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": self.requests,
                "statuses": {str(status): count for status, count in self.statuses.items()},
                "recipients": self.recipients,
                "accepted_requests": len(self.accepted),
                "handling_seconds": self.handling_seconds,
            }

    # The handler calls these, from the server's threads.

    def _take_fault(self) -> tuple[int, Fault]:
        with self._lock:
            self.requests += 1
            number = self.requests
            fault = self._faults_by_number.pop(number, None)
            if fault is None and self._next_faults:
                fault = self._next_faults.popleft()
        return number, fault or Fault()

    def _count(self, status: int | str, started: float | None = None) -> None:
        with self._lock:
            self.statuses[status] += 1
            if started is not None:
                self.handling_seconds += time.perf_counter() - started

    def _answer(
        self, number: int, fault: Fault, handler: BaseHTTPRequestHandler, body: bytes
    ) -> _Answer:
        if handler.headers.get("Authorization") != f"Bearer {self.api_key}":
            message = "The provided authorization grant is invalid, expired, or revoked"
            return _Answer(401, [_problem(message, None)])
        if fault.status is not None:
            return _Answer(fault.status, list(fault.errors), self._fault_headers(fault))
        if not handler.headers.get("Content-Type", "").startswith("application/json"):
            return _Answer(415, [_problem("Content-Type should be application/json.", None)])
        try:
            data = json.loads(body)
        except ValueError:
            return _Answer(400, [_problem("Bad Request", None)])
        problems = problems_with(data)
        if problems:
            return _Answer(400, problems)
        return self._accept(number, body, data)

    def _accept(self, number: int, body: bytes, data: dict[str, Any]) -> _Answer:
        sandbox = data.get("mail_settings", {}).get("sandbox_mode", {}).get("enable") is True
        recipients = sum(_recipient_count(p) for p in data["personalizations"])
        message_id = secrets.token_urlsafe(16)[:22]
        request = AcceptedRequest(
            number, message_id, body if self.keep_bodies else b"", recipients, sandbox
        )
        with self._lock:
            self.accepted.append(request)
            self.recipients += 0 if sandbox else recipients
        return _Answer(200 if sandbox else 202, headers={"X-Message-Id": message_id})

    def _fault_headers(self, fault: Fault) -> dict[str, str]:
        if fault.status != 429:
            return {}
        return {
            "X-RateLimit-Limit": str(RATE_LIMIT),
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": str(int(time.time()) + fault.reset_in),
        }


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, standin: SendGridStandIn, port: int) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.standin = standin

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out and left is part of the game (slow answers).
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read the counters instead."""

    def do_GET(self) -> None:
        if self.path == STATS_PATH:
            self._respond(200, json.dumps(self.server.standin.stats()).encode(), {})
        else:
            self._respond(404, _errors([_problem("not found", None)]), {})

    def do_POST(self) -> None:
        standin = self.server.standin
        started = time.perf_counter()
        number, fault = standin._take_fault()
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_REQUEST_BYTES:
            _drain(self.rfile, length)
            standin._count(413)
            message = f"The request must be under {MAX_REQUEST_BYTES} bytes."
            self._respond(413, _errors([_problem(message, None)]), {"Connection": "close"})
            return
        body = self.rfile.read(length)
        if fault.drop:
            standin._count("dropped")
            self.connection.shutdown(socket.SHUT_RDWR)  # the client sees no answer at all
            return
        answer = (
            standin._answer(number, fault, self, body)
            if self.path == SEND_PATH
            else _Answer(404, [_problem("not found", None)])
        )
        standin._count(answer.status, started)
        if fault.delay:
            standin._stopping.wait(fault.delay)
        payload = _errors(answer.problems) if answer.problems or answer.status >= 400 else b""
        self._respond(answer.status, payload, answer.headers)

    def _respond(self, status: int, payload: bytes, headers: Mapping[str, str]) -> None:
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if payload:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            pass  # the client gave up waiting (a slow answer past its timeout)


def _drain(stream: Any, length: int) -> None:
    while length > 0:
        chunk = stream.read(min(length, 1 << 20))
        if not chunk:
            return
        length -= len(chunk)


def _errors(problems: list[Problem]) -> bytes:
    return json.dumps({"errors": problems}).encode() if problems else b""


# --- ways to run it -------------------------------------------------------------------


@pytest.fixture
def sendgrid_standin() -> Iterator[SendGridStandIn]:
    """A SendGrid stand-in on 127.0.0.1 (ephemeral port), stopped after the test."""
    with SendGridStandIn() as standin:
        yield standin


@dataclass(frozen=True)
class RemoteStandIn:
    """A stand-in served by another process (see `standin_process`)."""

    url: str
    api_key: str

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(self.url + STATS_PATH, timeout=10) as response:
            stats: dict[str, Any] = json.load(response)
        return stats

    def settings_overrides(self) -> dict[str, Any]:
        return {"backend": "sendgrid", "sendgrid_api_key": self.api_key, "sendgrid_host": self.url}


@contextmanager
def standin_process(api_key: str = DEFAULT_API_KEY) -> Iterator[RemoteStandIn]:
    """Serve a stand-in from a child process (keeping no bodies), for benchmarks."""
    command = [sys.executable, "-m", "tests.support.sendgrid_standin", "--api-key", api_key]
    child = subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        url = child.stdout.readline().strip()
        if not url.startswith("http://"):
            raise RuntimeError(f"the stand-in did not start (it printed {url!r})")
        yield RemoteStandIn(url, api_key)
    finally:
        child.terminate()
        child.wait(timeout=10)
        if child.stdout is not None:
            child.stdout.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the SendGrid stand-in on 127.0.0.1.")
    parser.add_argument("--api-key", default=DEFAULT_API_KEY)
    parser.add_argument("--port", type=int, default=0, help="0 (the default): any free port")
    parser.add_argument("--keep-bodies", action="store_true", help="keep request bodies")
    arguments = parser.parse_args(argv)
    standin = SendGridStandIn(
        arguments.api_key, keep_bodies=arguments.keep_bodies, port=arguments.port
    ).start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(standin.url, flush=True)
    with suppress(KeyboardInterrupt):
        stop.wait()
    standin.stop()


if __name__ == "__main__":
    main()
