"""Console logins: who may use /admin, with which role, and their argon2-hashed password.

Two roles: marketers edit templates and look at lessons and previews; admins also see
subscribers, sends and settings. `drip users add` and the login form both call here.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import CheckConstraint, DateTime, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from drip.db import Base
from drip.errors import DripError

MIN_PASSWORD_LENGTH = 10
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,79}$")

_hasher = PasswordHasher()
# Verified when the name is unknown, so a wrong name costs as long as a wrong password
# and the response time does not tell which names exist.
_DUMMY_HASH = _hasher.hash("drip-dummy-password-for-constant-time")


class Role(StrEnum):
    ADMIN = "admin"
    MARKETER = "marketer"


class UserError(DripError, ValueError):
    """A login cannot be made as asked (name taken, bad role, short password)."""


class User(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role IN ('admin', 'marketer')", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise UserError(f"role {value!r}: must be 'admin' or 'marketer'") from None


def add_user(session: Session, name: str, role: str, password: str) -> User:
    """A new login; refuses a taken or malformed name and a password under 10 characters."""
    if not NAME_PATTERN.match(name):
        raise UserError(
            f"user name {name!r}: use 1-80 letters, digits, '.', '_', '@' or '-', "
            "starting with a letter or digit"
        )
    checked_role = parse_role(role)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"password for {name!r}: at least {MIN_PASSWORD_LENGTH} characters")
    if find_user(session, name) is not None:
        raise UserError(f"user {name!r} already exists")
    user = User(
        name=name,
        role=checked_role.value,
        password_hash=hash_password(password),
        created_at=datetime.now(UTC),
    )
    session.add(user)
    session.flush()
    return user


def find_user(session: Session, name: str) -> User | None:
    return session.scalars(select(User).where(User.name == name)).one_or_none()


def authenticate(session: Session, name: str, password: str) -> User | None:
    """The user when the name and password match, else None (in about the same time)."""
    user = find_user(session, name)
    if user is None:
        _password_matches(_DUMMY_HASH, password)
        return None
    if not _password_matches(user.password_hash, password):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = datetime.now(UTC)
    return user
