"""The subscriber store: subscribers and the suppression list (migration 0001_subscribers).

A subscriber row carries four things: who they are (address, name), when they want
mail (zone, hour), where they are in the course (lessons sent, when the next is due:
the column pair the scheduler claims on), and the consent record.

The suppression list holds only keyed hashes of addresses (see addresses.address_hash):
an address there is never mailed again, through a re-import or after an erase, until
the person opts in again themselves (complaints not even then).
"""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Enum, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from drip.columns import UTCDateTime, utc_now
from drip.db import Base
from subscribers.consent import OptIn


class Status(StrEnum):
    PENDING = "pending"  # subscribed, confirmation not clicked yet
    ACTIVE = "active"  # receiving the course
    PAUSED = "paused"  # by their own choice, resumable
    COMPLETED = "completed"  # got every lesson
    UNSUBSCRIBED = "unsubscribed"
    BOUNCED = "bounced"
    COMPLAINED = "complained"


class SuppressionReason(StrEnum):
    UNSUBSCRIBED = "unsubscribed"
    BOUNCED = "bounced"
    COMPLAINED = "complained"
    ERASED = "erased"  # asked to be forgotten; their new opt-in lifts it


#: Statuses that end sending for good; each has its address on the suppression list.
ENDED = frozenset({Status.UNSUBSCRIBED, Status.BOUNCED, Status.COMPLAINED})

NAME_LENGTH = 200
SOURCE_LENGTH = 200
USER_AGENT_LENGTH = 500


def _enum(kind: type[StrEnum]) -> Enum:
    # A VARCHAR on every database (no native ENUM type to migrate); the migration
    # adds the CHECK constraint.
    return Enum(
        kind,
        native_enum=False,
        create_constraint=False,
        length=16,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


def new_key() -> str:
    """A subscriber's public key: random, so links never reveal or guess row ids, and
    an erased subscriber's links can never come to name somebody else."""
    return secrets.token_urlsafe(12)


class Subscriber(Base):
    __tablename__ = "subscribers"
    __table_args__ = (Index("ix_subscribers_due", "status", "next_due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(32), unique=True, default=new_key)
    email: Mapped[str] = mapped_column(String(320))
    email_key: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH), default="")
    timezone: Mapped[str] = mapped_column(String(64))
    send_hour: Mapped[int] = mapped_column(SmallInteger)
    status: Mapped[Status] = mapped_column(_enum(Status))

    # Course progress; next_due_at is what the scheduler claims on (with status).
    lessons_sent: Mapped[int] = mapped_column(Integer, default=0)
    last_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    suppressed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # mail ended

    # The consent record.
    opt_in: Mapped[OptIn] = mapped_column(_enum(OptIn))
    consent_source: Mapped[str] = mapped_column(String(SOURCE_LENGTH))
    consent_form: Mapped[str] = mapped_column(String(SOURCE_LENGTH), default="")
    consent_text: Mapped[str] = mapped_column(Text, default="")
    consent_ip: Mapped[str | None] = mapped_column(String(45))
    consent_user_agent: Mapped[str | None] = mapped_column(String(USER_AGENT_LENGTH))
    subscribed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    confirmation_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now, onupdate=utc_now)

    def __repr__(self) -> str:
        return f"<Subscriber {self.id} {self.status.value}>"  # no address in logs


class Suppression(Base):
    __tablename__ = "suppressions"

    address_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    reason: Mapped[SuppressionReason] = mapped_column(_enum(SuppressionReason))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now, onupdate=utc_now)
