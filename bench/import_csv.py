"""CSV import: 100,000 rows into SQLite (target: under 10 s), against a naive importer.

Prints the bulk import's time and rate, the naive baseline's rate measured in the same
run (row-by-row ORM inserts with a look-up per row, the importer one would write
first), their ratio, and the import's peak Python memory at two file sizes (it should
not grow with the file: the import streams).

    python -m bench.import_csv [ROWS]
"""

from __future__ import annotations

import csv
import random
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from drip.columns import utc_now
from drip.db import make_engine, session_factory, transaction, upgrade
from drip.settings import Settings, load_settings
from subscribers import Confirmation, Consent, Goodbye, Subscriber, Suppression, import_csv
from subscribers.addresses import address_hash, normalise
from subscribers.consent import OptIn
from subscribers.optin import subscriber_row
from subscribers.profile import Profile
from subscribers.schedule import known_timezone

ROWS = 100_000
NAIVE_SAMPLE = 2_000
ZONES = ["UTC", "Asia/Kolkata", "America/New_York", "Europe/Berlin", "Australia/Sydney", ""]
FIRST = ["Ann", "Bob", "Chitra", "Dörte", "Emeka", "Farah", "Gus", "Hana"]


def write_csv(path: Path, rows: int, seed: int = 4) -> None:
    """`rows` data rows: about 1 % bad (addresses, zones, hours) and 0.5 % duplicates."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("email,name,timezone,hour,signup_page\n")
        for n in range(rows):
            email = f"reader{n}@example{n % 97}.com"
            if n % 200 == 7:
                email = f"reader{rng.randrange(max(n, 1))}@example{n % 97}.com"  # maybe a duplicate
            if n % 100 == 13:
                email = f"reader{n}-at-example.com"
            zone = "Mars/Olympus" if n % 100 == 29 else rng.choice(ZONES)
            hour = "25" if n % 100 == 31 else str(rng.randrange(24))
            name = f'"{rng.choice(FIRST)} {n}, Jr"' if n % 10 == 0 else rng.choice(FIRST)
            out.write(f"{email},{name},{zone},{hour},/landing\n")


def fresh_database(folder: Path, name: str) -> tuple[Settings, Callable[[], None]]:
    url = f"sqlite:///{folder / name}"
    settings = load_settings(
        database_url=url, var_dir=folder / "var", secret_key="bench-secret-not-for-production"
    )
    engine = make_engine(url)
    upgrade(engine)
    return settings, engine.dispose


class CountingNotifier:
    """Takes the confirmations a pending import sends, and only counts them."""

    def __init__(self) -> None:
        self.sent = 0

    def send_confirmation(self, confirmation: Confirmation) -> None:
        self.sent += 1

    def send_goodbye(self, goodbye: Goodbye) -> None:
        pass


def bulk_import(
    settings: Settings, csv_path: Path, notifier: CountingNotifier | None = None
) -> tuple[float, int, int]:
    """Seconds, rows added and rows rejected by drip's importer (pending, with the
    confirmations handed to `notifier`, when one is given)."""
    engine = make_engine(settings.database_url)
    started = time.perf_counter()
    with transaction(session_factory(engine)) as session, csv_path.open("rb") as stream:
        report = import_csv(
            session,
            settings,
            stream,
            filename=csv_path.name,
            confirmed_source=None if notifier else "benchmark",
            notifier=notifier,
        )
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed, report.added, sum(report.rejected.values())


def naive_import(settings: Settings, csv_path: Path, sample: int) -> tuple[float, int]:
    """The first importer one writes: per row, look the address up, look the suppression
    up, add the ORM object and commit. Seconds and rows read, for `sample` rows."""
    engine = make_engine(settings.database_url)
    sessions = session_factory(engine)
    secret = settings.secret()
    consent = Consent(source="benchmark")
    started = time.perf_counter()
    with csv_path.open(encoding="utf-8-sig", newline="") as stream:
        reader = csv.DictReader(stream)
        for count, row in enumerate(reader, start=1):
            if count > sample:
                break
            try:
                address = normalise(row["email"])
                zone = known_timezone(row["timezone"]) if row["timezone"] else "UTC"
                profile = Profile(row["name"], zone, int(row["hour"] or 8))
            except ValueError:
                continue
            if not 0 <= profile.send_hour <= 23:
                continue
            with sessions.begin() as session:
                where = Subscriber.email_key == address.key
                if session.scalar(select(Subscriber.id).where(where)) is not None:
                    continue
                if session.get(Suppression, address_hash(secret, address.key)) is not None:
                    continue
                values = subscriber_row(address, profile, consent, OptIn.ATTESTED, utc_now())
                session.add(Subscriber(**values))
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed, sample


def peak_memory(settings: Settings, csv_path: Path) -> float:
    """Peak Python allocations (MiB) during one import of `csv_path`."""
    engine = make_engine(settings.database_url)
    tracemalloc.start()
    with transaction(session_factory(engine)) as session, csv_path.open("rb") as stream:
        import_csv(session, settings, stream, filename=csv_path.name, confirmed_source="bench")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    engine.dispose()
    return peak / 2**20


def main(rows: int) -> None:
    with tempfile.TemporaryDirectory(prefix="drip-bench-import-") as tmp:
        folder = Path(tmp)
        big = folder / "subscribers.csv"
        write_csv(big, rows)
        size = big.stat().st_size / 2**20
        print(f"file: {rows:,} rows, {size:.1f} MiB, about 1.5 % bad or duplicate rows")

        settings, close = fresh_database(folder, "bulk.db")
        seconds, added, rejected = bulk_import(settings, big)
        close()
        rate = rows / seconds
        verdict = "under" if seconds < 10 else "OVER"
        print(
            f"bulk import (SQLite): {seconds:.2f} s for {rows:,} rows "
            f"({added:,} added, {rejected:,} rejected), {rate:,.0f} rows/s "
            f"[target 10 s: {verdict}]"
        )

        settings, close = fresh_database(folder, "pending.db")
        notifier = CountingNotifier()
        pending_seconds, _, _ = bulk_import(settings, big, notifier)
        close()
        print(
            f"pending import (no --confirmed: {notifier.sent:,} confirmation links signed, "
            f"handed to a no-op notifier): {pending_seconds:.2f} s, "
            f"{rows / pending_seconds:,.0f} rows/s"
        )

        settings, close = fresh_database(folder, "naive.db")
        naive_seconds, sampled = naive_import(settings, big, NAIVE_SAMPLE)
        close()
        naive_rate = sampled / naive_seconds
        print(
            f"naive baseline (row by row, ORM, a look-up and a commit per row): "
            f"{naive_rate:,.0f} rows/s on a {sampled:,}-row sample "
            f"(would take {rows / naive_rate:.0f} s for {rows:,})"
        )
        print(f"ratio: bulk import is {rate / naive_rate:.1f}x the naive baseline")

        small = folder / "small.csv"
        write_csv(small, rows // 10)
        peaks = []
        for path in (small, big):
            settings, close = fresh_database(folder, f"memory-{path.stem}.db")
            peaks.append(peak_memory(settings, path))
            close()
        print(
            f"peak Python memory: {peaks[0]:.1f} MiB for {rows // 10:,} rows, "
            f"{peaks[1]:.1f} MiB for {rows:,} rows (streaming: it should not grow with the file)"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else ROWS)
