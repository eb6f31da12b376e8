"""CSV export in the import's format (see csv_format), streamed row by row."""

from __future__ import annotations

import csv
from typing import TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from subscribers.csv_format import EXPORTED
from subscribers.models import Status, Subscriber

FETCH_ROWS = 1000


def export_csv(session: Session, out: TextIO, *, status: Status | None = None) -> int:
    """Write every subscriber (or those with `status`), oldest first; how many."""
    query = select(
        Subscriber.email,
        Subscriber.name,
        Subscriber.timezone,
        Subscriber.send_hour,
        Subscriber.status,
    ).order_by(Subscriber.id)
    if status is not None:
        query = query.where(Subscriber.status == status)
    writer = csv.writer(out)
    writer.writerow(EXPORTED)
    written = 0
    rows = session.execute(query.execution_options(yield_per=FETCH_ROWS))
    for email, name, timezone, hour, row_status in rows:
        writer.writerow((email, name, timezone, hour, row_status.value))
        written += 1
    return written
