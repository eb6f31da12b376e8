"""CSV import: streaming, in constant memory, a few statements per thousand rows.

Rows are read one at a time and checked (address, time zone, hour, name); the good
ones go to the database in batches, each batch in a handful of statements:
1. a look-up of the batch's addresses in a temporary table of those seen so far in
   this file: those it has are duplicates, reported with the row they repeat; the
   others go into it (the database, not Python, remembers the file);
2. one look-up of their keyed hashes in the suppression list;
3. INSERT ... ON CONFLICT (email_key) DO NOTHING into subscribers, as one executemany
   (drip.db.bulk_insert_ignoring_conflicts), then a look-up of the fresh random keys:
   those found were added, the rest were already subscribed (not an error: they stay
   as they are, so importing the same file twice changes nothing).

Every rejected row is reported through `on_reject` with its row number (the line the
record starts on; the header is row 1) and reason; every good row is kept. The
import runs inside the caller's transaction.

Two modes (see README, "Importing"):
- `confirmed_source` given (`--confirmed --source S`): the admin vouches for consent
  given elsewhere; rows are added active, S recorded as the consent's source.
- otherwise: an imported address is only an invitation. Rows are added pending and
  each new one gets one confirmation email; nothing of the course is sent unless the
  person clicks. A re-import sends nothing again.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, BinaryIO

from sqlalchemy import Column, Connection, Integer, MetaData, String, Table, select
from sqlalchemy.orm import Session

from drip.columns import utc_now
from drip.db import bulk_insert_ignoring_conflicts
from drip.settings import Settings
from subscribers.addresses import Address, address_hash, normalise
from subscribers.consent import Consent, OptIn
from subscribers.csv_format import EMAIL, HOUR, NAME, TIMEZONE, Header
from subscribers.errors import (
    BadHour,
    ImportFileError,
    InvalidAddress,
    InvalidField,
    UnknownTimezone,
)
from subscribers.links import Links
from subscribers.models import Subscriber
from subscribers.notifier import Notifier
from subscribers.optin import confirmation_for, subscriber_row
from subscribers.profile import Profile, clean_consent
from subscribers.schedule import parse_hour
from subscribers.suppression import reasons_for_hashes

BATCH_ROWS = 1000


class Rejected(StrEnum):
    INVALID_ADDRESS = "invalid address"
    UNKNOWN_TIMEZONE = "unknown time zone"
    BAD_HOUR = "bad hour"
    BAD_NAME = "bad name"
    DUPLICATE = "duplicate in file"
    SUPPRESSED = "suppressed"
    MALFORMED = "malformed row"


_REASON_OF_ERROR: tuple[tuple[type[InvalidField], Rejected], ...] = (
    (InvalidAddress, Rejected.INVALID_ADDRESS),
    (UnknownTimezone, Rejected.UNKNOWN_TIMEZONE),
    (BadHour, Rejected.BAD_HOUR),
    (InvalidField, Rejected.BAD_NAME),
)


@dataclass(frozen=True)
class Rejection:
    row: int
    reason: Rejected
    message: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.message}"


@dataclass
class ImportReport:
    file: str
    confirmed: bool
    rows: int = 0  # data rows read (blank lines aside)
    added: int = 0
    unchanged: int = 0  # already subscribed: left as they are
    confirmations_sent: int = 0
    rejected: Counter[Rejected] = field(default_factory=Counter)
    ignored_columns: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "confirmed": self.confirmed,
            "rows": self.rows,
            "added": self.added,
            "unchanged": self.unchanged,
            "rejected": sum(self.rejected.values()),
            "rejected_by_reason": {reason.value: n for reason, n in self.rejected.items()},
            "confirmations_sent": self.confirmations_sent,
            "ignored_columns": list(self.ignored_columns),
        }


@dataclass(frozen=True)
class _Candidate:
    row: int
    address: Address
    profile: Profile


@dataclass(frozen=True)
class _Invitee:
    key: str
    email: str
    name: str


# The addresses of this file seen so far, with the row each was first seen on.
_SEEN = Table(
    "drip_import_seen",
    MetaData(),
    Column("email_key", String(320), primary_key=True),
    Column("row", Integer, nullable=False),
    prefixes=["TEMPORARY"],
)


class _CountingReader(io.RawIOBase):
    """A binary stream that counts the bytes read through it, for the progress bar."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        self.count += len(data)
        return len(data)


def _ignore(_: Any) -> None:
    pass


def import_csv(
    session: Session,
    settings: Settings,
    stream: BinaryIO,
    *,
    filename: str,
    confirmed_source: str | None = None,
    notifier: Notifier | None = None,
    on_reject: Callable[[Rejection], None] = _ignore,
    on_progress: Callable[[int], None] = _ignore,
    now: datetime | None = None,
) -> ImportReport:
    """Import the CSV in `stream` (bytes; `filename` names it in messages). `on_reject`
    gets each rejected row, in row order; `on_progress` the bytes read so far, per batch.

    Raises `ImportFileError` when the file cannot be imported at all (no header, no
    email column). Without `confirmed_source`, `notifier` sends the confirmations.
    """
    if confirmed_source is None and notifier is None:
        raise ValueError("a pending import needs a notifier for its confirmation emails")
    importer = _Importer(session, settings, filename, confirmed_source, notifier, now)
    counting = _CountingReader(stream)
    text = io.TextIOWrapper(
        io.BufferedReader(counting), encoding="utf-8-sig", errors="surrogateescape", newline=""
    )
    importer.run(_records(text), on_reject, lambda: on_progress(counting.count))
    return importer.report


def _records(text: io.TextIOWrapper) -> Iterator[tuple[int, int, list[str] | str]]:
    """(first line, last line, cells) per non-blank record; a record csv cannot read
    comes as its error message instead of cells. Bytes that are not UTF-8 arrive
    surrogate-escaped, so only their own row is refused (see _malformation)."""
    reader = csv.reader(text, skipinitialspace=True)
    last = 0
    while True:
        try:
            cells: list[str] | str = next(reader)
        except StopIteration:
            return
        except csv.Error as error:  # e.g. a field over csv's size limit: the next line goes on
            cells = f"unreadable: {error}"
        first, last = last + 1, reader.line_num
        if isinstance(cells, str) or any(cell.strip() for cell in cells):
            yield first, last, cells


class _Importer:
    def __init__(
        self,
        session: Session,
        settings: Settings,
        filename: str,
        confirmed_source: str | None,
        notifier: Notifier | None,
        now: datetime | None,
    ) -> None:
        self.session = session
        self.settings = settings
        self.filename = filename
        self.notifier = notifier
        self.now = now or utc_now()
        self.secret = settings.secret()
        self.report = ImportReport(file=filename, confirmed=confirmed_source is not None)
        if confirmed_source is not None:
            self.consent = clean_consent(
                Consent(source=confirmed_source, form=f"import of {filename}")
            )
            self.opt_in = OptIn.ATTESTED
        else:
            self.consent = clean_consent(Consent(source="import", form=filename))
            self.opt_in = OptIn.DOUBLE
        self.links = Links.from_settings(settings) if notifier else None

    @property
    def connection(self) -> Connection:
        return self.session.connection()

    def run(
        self,
        records: Iterator[tuple[int, int, list[str] | str]],
        on_reject: Callable[[Rejection], None],
        on_progress: Callable[[], None],
    ) -> None:
        header = self._header(records)
        self.report.ignored_columns = header.ignored
        _SEEN.drop(self.connection, checkfirst=True)
        _SEEN.create(self.connection)
        batch: list[_Candidate] = []
        rejections: list[Rejection] = []
        for first, last, cells in records:
            self.report.rows += 1
            parsed = _parse(self.settings, header, first, last, cells)
            if isinstance(parsed, _Candidate):
                batch.append(parsed)
            else:
                rejections.append(parsed)
            if len(batch) + len(rejections) >= BATCH_ROWS:
                self._flush(batch, rejections, on_reject)
                on_progress()
                batch, rejections = [], []
        self._flush(batch, rejections, on_reject)
        on_progress()
        _SEEN.drop(self.connection)

    def _header(self, records: Iterator[tuple[int, int, list[str] | str]]) -> Header:
        for first, _, cells in records:
            where = f"{self.filename}: row {first}"
            if isinstance(cells, str):
                raise ImportFileError(f"{where}: the header row is {cells}")
            return Header.parse(cells, where)
        raise ImportFileError(f"{self.filename} is empty: expected a header row with 'email'")

    def _flush(
        self,
        batch: list[_Candidate],
        rejections: list[Rejection],
        on_reject: Callable[[Rejection], None],
    ) -> None:
        unique = self._first_sightings(batch, rejections)
        allowed = self._unsuppressed(unique, rejections)
        self._insert(allowed)
        for rejection in sorted(rejections, key=lambda r: r.row):
            self.report.rejected[rejection.reason] += 1
            on_reject(rejection)

    def _first_sightings(
        self, batch: list[_Candidate], rejections: list[Rejection]
    ) -> list[_Candidate]:
        """The candidates whose address this file has not had before; the others are
        rejected as duplicates of the row that had it first."""
        first_in_batch: dict[str, _Candidate] = {}
        for candidate in batch:
            earlier = first_in_batch.setdefault(candidate.address.key, candidate)
            if earlier is not candidate:
                rejections.append(_duplicate(candidate, earlier.row))
        if not first_in_batch:
            return []
        keys = list(first_in_batch)
        seen_before = dict(
            self.connection.execute(
                select(_SEEN.c.email_key, _SEEN.c.row).where(_SEEN.c.email_key.in_(keys))
            ).all()
        )
        fresh = [c for key, c in first_in_batch.items() if key not in seen_before]
        rejections.extend(
            _duplicate(c, seen_before[key])
            for key, c in first_in_batch.items()
            if key in seen_before
        )
        bulk_insert_ignoring_conflicts(
            self.connection,
            _SEEN,
            [{"email_key": c.address.key, "row": c.row} for c in fresh],
            "email_key",
        )
        return fresh

    def _unsuppressed(
        self, candidates: list[_Candidate], rejections: list[Rejection]
    ) -> list[_Candidate]:
        if not candidates:
            return []
        hashes = {c.address.key: address_hash(self.secret, c.address.key) for c in candidates}
        suppressed = reasons_for_hashes(self.session, hashes.values())
        allowed = []
        for candidate in candidates:
            reason = suppressed.get(hashes[candidate.address.key])
            if reason is None:
                allowed.append(candidate)
            else:
                message = f"{candidate.address.email} is suppressed ({reason.value})"
                rejections.append(Rejection(candidate.row, Rejected.SUPPRESSED, message))
        return allowed

    def _insert(self, candidates: list[_Candidate]) -> None:
        if not candidates:
            return
        rows = [self._row(candidate) for candidate in candidates]
        table = Subscriber.metadata.tables["subscribers"]
        bulk_insert_ignoring_conflicts(self.connection, table, rows, "email_key")
        # The new rows are those with the keys just made up; the others were already there.
        added = self.connection.execute(
            select(table.c.key, table.c.email, table.c.name)
            .where(table.c.key.in_([row["key"] for row in rows]))
            .order_by(table.c.id)
        )
        invitees = [_Invitee(key, email, name) for key, email, name in added]
        self.report.added += len(invitees)
        self.report.unchanged += len(candidates) - len(invitees)
        if self.opt_in is OptIn.DOUBLE:
            self._invite(invitees)

    def _row(self, candidate: _Candidate) -> dict[str, Any]:
        row = subscriber_row(
            candidate.address, candidate.profile, self.consent, self.opt_in, self.now
        )
        if self.opt_in is OptIn.DOUBLE:
            row["confirmation_sent_at"] = self.now  # sent right after the insert
        return row

    def _invite(self, invitees: list[_Invitee]) -> None:
        assert self.notifier is not None
        assert self.links is not None
        for invitee in invitees:
            self.notifier.send_confirmation(confirmation_for(self.links, invitee))
            self.report.confirmations_sent += 1


def _duplicate(candidate: _Candidate, first_row: int) -> Rejection:
    message = f"{candidate.address.email} is a duplicate of row {first_row}"
    return Rejection(candidate.row, Rejected.DUPLICATE, message)


def _parse(
    settings: Settings, header: Header, first: int, last: int, cells: list[str] | str
) -> _Candidate | Rejection:
    if isinstance(cells, str):
        return Rejection(first, Rejected.MALFORMED, cells)
    malformed = _malformation(header, cells)
    if malformed:
        return Rejection(first, Rejected.MALFORMED, malformed)
    try:
        address = normalise(header.cell(cells, EMAIL))
        hour = header.cell(cells, HOUR)
        profile = Profile.clean(
            settings,
            name=header.cell(cells, NAME),
            timezone=header.cell(cells, TIMEZONE) or None,
            send_hour=parse_hour(hour) if hour else None,
        )
    except InvalidField as error:
        message = str(error)
        if last > first:  # one record over several lines: most likely a stray quote
            message += f" (lines {first}-{last} were read as one record: an unclosed quote?)"
        return Rejection(first, _reason_of(error), message)
    return _Candidate(first, address, profile)


def _malformation(header: Header, cells: list[str]) -> str | None:
    try:
        "".join(cells).encode("utf-8")
    except UnicodeEncodeError:  # surrogate-escaped bytes that were not UTF-8
        return "not valid UTF-8"
    if any(cell.strip() for cell in cells[header.width :]):
        return f"{len(cells)} fields where the header has {header.width} (check the quoting)"
    return None


def _reason_of(error: InvalidField) -> Rejected:
    return next(reason for kind, reason in _REASON_OF_ERROR if isinstance(error, kind))
