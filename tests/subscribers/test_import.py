"""CSV import on SQLite and PostgreSQL: every good row kept, every bad one reported by row
number and reason, and a second import of the same file changes nothing."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
import time_machine
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import subscribers.importer
from drip.settings import Settings
from subscribers import (
    Consent,
    ImportReport,
    OptIn,
    Rejection,
    Status,
    Subscriber,
    add_confirmed,
    confirm,
    erase,
    get,
    import_csv,
    unsubscribe,
)
from subscribers.errors import ImportFileError
from tests.subscribers.conftest import RecordingNotifier, Step

IMPORTED_AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass
class Outcome:
    report: ImportReport
    rejections: list[Rejection] = field(default_factory=list)
    progress: list[int] = field(default_factory=list)

    def rejected(self) -> list[tuple[int, str]]:
        return [(r.row, r.reason.value) for r in self.rejections]


def _import(
    step: Step,
    settings: Settings,
    content: bytes | str,
    *,
    source: str | None = "sign-up sheet",
    notifier: RecordingNotifier | None = None,
) -> Outcome:
    data = content.encode() if isinstance(content, str) else content
    outcome = Outcome(ImportReport(file="", confirmed=False))
    with time_machine.travel(IMPORTED_AT, tick=False), step() as session:
        outcome.report = import_csv(
            session,
            settings,
            io.BytesIO(data),
            filename="people.csv",
            confirmed_source=source,
            notifier=notifier,
            on_reject=outcome.rejections.append,
            on_progress=outcome.progress.append,
        )
    return outcome


def _emails(session: Session) -> list[str]:
    return list(session.scalars(select(Subscriber.email).order_by(Subscriber.id)))


def _snapshot(session: Session) -> list[tuple[object, ...]]:
    columns = list(Subscriber.__table__.columns)
    return [tuple(row) for row in session.execute(select(*columns).order_by(Subscriber.id))]


def test_a_confirmed_import_records_the_source_as_consent(
    step: Step, db_settings: Settings
) -> None:
    result = _import(
        step,
        db_settings,
        "email,name,timezone,hour\n"
        "ann@example.com,Ann Lee,Asia/Kolkata,7\n"
        "bob@example.com,,,\n"
        "Cy@Example.COM,Cy,europe/berlin,18\n",
    )
    assert (result.report.rows, result.report.added, result.report.unchanged) == (3, 3, 0)
    assert result.rejections == []
    with step() as session:
        assert _emails(session) == ["ann@example.com", "bob@example.com", "Cy@example.com"]
        ann, bob, cy = (
            get(session, e) for e in ("ann@example.com", "bob@example.com", "cy@example.com")
        )
        assert (ann.name, ann.timezone, ann.send_hour) == ("Ann Lee", "Asia/Kolkata", 7)
        assert (bob.name, bob.timezone, bob.send_hour) == ("", "UTC", 8)  # the defaults
        assert (cy.timezone, cy.send_hour) == ("Europe/Berlin", 18)
        for subscriber in (ann, bob, cy):
            assert subscriber.status is Status.ACTIVE
            assert subscriber.opt_in is OptIn.ATTESTED
            assert (subscriber.consent_source, subscriber.consent_form) == (
                "sign-up sheet",
                "import of people.csv",
            )
            assert subscriber.confirmed_at == subscriber.next_due_at == IMPORTED_AT


def test_a_pending_import_invites_each_new_row_once(
    step: Step, db_settings: Settings, notifier: RecordingNotifier
) -> None:
    with step() as session:
        add_confirmed(session, db_settings, "old@example.com", consent=Consent("earlier"))
    content = "email,name\nann@example.com,Ann\nold@example.com,Old\nbob@example.com,Bob\n"
    first = _import(step, db_settings, content, source=None, notifier=notifier)
    assert (first.report.added, first.report.unchanged, first.report.confirmations_sent) == (
        2,
        1,
        2,
    )
    assert [(c.email, c.name) for c in notifier.confirmations] == [
        ("ann@example.com", "Ann"),
        ("bob@example.com", "Bob"),
    ]
    with step() as session:
        ann = get(session, "ann@example.com")
        assert (ann.status, ann.opt_in, ann.consent_source, ann.consent_form) == (
            Status.PENDING,
            OptIn.DOUBLE,
            "import",
            "people.csv",
        )
        assert ann.confirmation_sent_at == IMPORTED_AT
        assert get(session, "old@example.com").status is Status.ACTIVE  # left alone
    again = _import(step, db_settings, content, source=None, notifier=notifier)
    assert (again.report.added, again.report.unchanged, again.report.confirmations_sent) == (
        0,
        3,
        0,
    )
    assert len(notifier.confirmations) == 2  # a re-import mails nobody again
    with time_machine.travel(IMPORTED_AT, tick=False), step() as session:
        assert confirm(session, db_settings, notifier.token(0)).status is Status.ACTIVE


def test_a_pending_import_needs_a_notifier(step: Step, db_settings: Settings) -> None:
    with pytest.raises(ValueError, match="notifier"):
        _import(step, db_settings, "email\nann@example.com\n", source=None)


def test_importing_the_same_file_twice_changes_nothing(step: Step, db_settings: Settings) -> None:
    content = "email,name,hour\nann@example.com,Ann,7\nbad-address,X,\nbob@example.com,Bob,9\n"
    _import(step, db_settings, content)
    with step() as session:
        before = _snapshot(session)
    again = _import(step, db_settings, content)
    with step() as session:
        assert _snapshot(session) == before
    assert (again.report.added, again.report.unchanged) == (0, 2)
    assert again.rejected() == [(3, "invalid address")]  # reported again, the same way


def test_a_bom_odd_headers_and_unknown_columns(step: Step, db_settings: Settings) -> None:
    content = (
        "\ufeff Email ,NAME,Phone,,tags\r\n"
        "ann@example.com,Ann,+1 555 0100,,vip\r\n"
        "bob@example.com,Bob,,,\r\n"
    )
    result = _import(step, db_settings, content)
    assert result.report.ignored_columns == ("Phone", "tags")
    assert result.report.added == 2
    with step() as session:
        assert _emails(session) == ["ann@example.com", "bob@example.com"]
        assert get(session, "ann@example.com").name == "Ann"


def test_blank_lines_are_skipped_and_row_numbers_stay_true(
    step: Step, db_settings: Settings
) -> None:
    content = (
        "\n"  # row 1: blank before the header
        "email,timezone\n"  # row 2
        "ann@example.com,UTC\n"  # row 3
        "\n"  # row 4
        "   \n"  # row 5
        ",\n"  # row 6: empty cells only
        "nobody,UTC\n"  # row 7
        "bob@example.com,UTC\n"  # row 8
        "\n\n"
    )
    result = _import(step, db_settings, content)
    assert result.report.rows == 3  # blank and empty-celled rows are not rows
    assert result.rejected() == [(7, "invalid address")]
    assert result.report.added == 2


def test_odd_quoting_is_read_as_a_spreadsheet_writes_it(step: Step, db_settings: Settings) -> None:
    content = (
        "email,name,timezone\n"
        '"ann@example.com","Lee, Ann","Asia/Kolkata"\n'
        'bob@example.com, "Smith, Bob" ,UTC\n'  # a space before the quote
        'cy@example.com,"Cy ""the Quick"" Doe",\n'  # doubled quotes
        'dee@example.com,"Dee\nNewline",\n'  # a quoted line break (collapsed to a space)
        "eve@example.com,Eve O'Neil,\n"
    )
    result = _import(step, db_settings, content)
    assert result.rejections == []
    with step() as session:
        names = {s.email: s.name for s in session.scalars(select(Subscriber))}
    assert names == {
        "ann@example.com": "Lee, Ann",
        "bob@example.com": "Smith, Bob",
        "cy@example.com": 'Cy "the Quick" Doe',
        "dee@example.com": "Dee Newline",
        "eve@example.com": "Eve O'Neil",
    }


def test_an_unclosed_quote_is_reported_with_the_lines_it_swallowed(
    step: Step, db_settings: Settings
) -> None:
    content = 'email,name\nann@example.com,Ann\n"bob@example.com,Bob\ncy@example.com,Cy\n'
    result = _import(step, db_settings, content)
    [rejection] = result.rejections
    assert rejection.row == 3
    assert "lines 3-4 were read as one record: an unclosed quote?" in rejection.message
    assert result.report.added == 1


def test_extra_cells_are_refused_unless_empty(step: Step, db_settings: Settings) -> None:
    content = "email,name\nann@example.com,Ann,,\nbob@example.com,Smith, Bob\n"
    result = _import(step, db_settings, content)
    assert [(r.row, r.message) for r in result.rejections] == [
        (3, "3 fields where the header has 2 (check the quoting)")
    ]
    assert result.report.added == 1


def test_bytes_that_are_not_utf8_spoil_only_their_row(step: Step, db_settings: Settings) -> None:
    content = b"email,name\nann@example.com,Ann\nbob@example.com,Bj\xf6rn\ncy@example.com,Cy\n"
    result = _import(step, db_settings, content)
    assert [(r.row, r.message) for r in result.rejections] == [(3, "not valid UTF-8")]
    assert result.report.added == 2


def test_a_giant_field_spoils_only_its_row(step: Step, db_settings: Settings) -> None:
    content = "email,name\nann@example.com," + "x" * 200_000 + "\nbob@example.com,Bob\n"
    result = _import(step, db_settings, content)
    [rejection] = result.rejections
    assert (rejection.row, rejection.reason.value) == (2, "malformed row")
    assert "field larger than field limit" in rejection.message
    with step() as session:
        assert _emails(session) == ["bob@example.com"]


def test_suppressed_addresses_are_refused(step: Step, db_settings: Settings) -> None:
    with step() as session:
        ann, _ = add_confirmed(session, db_settings, "ann@example.com", consent=Consent("x"))
        unsubscribe(session, db_settings, ann)
        add_confirmed(session, db_settings, "bob@example.com", consent=Consent("x"))
        erase(session, db_settings, "bob@example.com")
    result = _import(step, db_settings, "email\nANN@example.com\nbob@example.com\ncy@example.com\n")
    assert [(r.row, r.message) for r in result.rejections] == [
        (2, "ANN@example.com is suppressed (unsubscribed)"),
        (3, "bob@example.com is suppressed (erased)"),
    ]
    with step() as session:
        assert get(session, "ann@example.com").status is Status.UNSUBSCRIBED
        assert _emails(session) == ["ann@example.com", "cy@example.com"]


def test_duplicates_are_reported_with_the_row_they_repeat(
    step: Step, db_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(subscribers.importer, "BATCH_ROWS", 3)  # duplicates across batches
    emails = ["a@example.com", "b@example.com", "A@example.com", "c@example.com",
              "d@example.com", "B@EXAMPLE.COM", "e@example.com", "a@example.com"]  # fmt: skip
    result = _import(step, db_settings, "email\n" + "\n".join(emails) + "\n")
    assert [(r.row, r.message) for r in result.rejections] == [
        (4, "A@example.com is a duplicate of row 2"),
        (7, "B@example.com is a duplicate of row 3"),
        (9, "a@example.com is a duplicate of row 2"),
    ]
    assert result.report.added == 5


def test_a_thousand_bad_rows_among_good_ones(step: Step, db_settings: Settings) -> None:
    """Every 3rd row is bad, five ways in turn; every good row is kept."""
    lines = ["email,name,timezone,hour"]
    expected: list[tuple[int, str]] = []
    good: list[str] = []
    bad_kinds = [
        ("user{n}-at-example.com,Bad,,", "invalid address"),
        ("user{n}@example.com,Bad,Mars/Olympus,", "unknown time zone"),
        ("user{n}@example.com,Bad,,24", "bad hour"),
        ("user{n}@example.com,Bad,,seven", "bad hour"),
        ("user1@example.com,Again,,", "duplicate in file"),
    ]
    for n in range(1, 3001):
        row = n + 1  # the header is row 1
        if n % 3 == 0:
            template, reason = bad_kinds[(n // 3) % len(bad_kinds)]
            lines.append(template.format(n=n))
            expected.append((row, reason))
        else:
            lines.append(f"user{n}@example.com,User {n},Europe/Paris,{n % 24}")
            good.append(f"user{n}@example.com")
    result = _import(step, db_settings, "\n".join(lines) + "\n")
    assert len(expected) == 1000
    assert result.rejected() == expected  # each one, in row order
    assert result.report.added == len(good) == 2000
    assert sum(result.report.rejected.values()) == 1000
    with step() as session:
        assert _emails(session) == good
        assert get(session, "user2999@example.com").send_hour == 2999 % 24


def test_progress_is_reported_in_bytes_up_to_the_whole_file(
    step: Step, db_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(subscribers.importer, "BATCH_ROWS", 10)
    content = "email\n" + "".join(f"user{n}@example.com\n" for n in range(100))
    result = _import(step, db_settings, content)
    assert len(result.progress) >= 10
    assert result.progress == sorted(result.progress)
    assert result.progress[-1] == len(content.encode())


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("", "people.csv is empty: expected a header row with 'email'"),
        ("\n\n", "people.csv is empty"),
        (
            "name,hour\nAnn,7\n",
            "people.csv: row 1: the header has no 'email' column (found 'name', 'hour')",
        ),
        (
            "email,Email\nx@example.com,y@example.com\n",
            "people.csv: row 1: the header has two 'email' columns",
        ),
    ],
)
def test_a_file_without_a_usable_header_is_refused_whole(
    step: Step, db_settings: Settings, content: str, says: str
) -> None:
    with pytest.raises(ImportFileError, match=says.replace("(", r"\(").replace(")", r"\)")):
        _import(step, db_settings, content)
    with step() as session:
        assert session.scalar(select(func.count()).select_from(Subscriber)) == 0
