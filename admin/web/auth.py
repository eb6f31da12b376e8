"""Who is logged in: the signed session cookie names a user; dependencies guard the console.

An anonymous visitor to a console page is sent to the login form (and back afterwards,
but only to a path of this console: no open redirects); a marketer asking for an
admin page gets 403.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request

from admin.web.context import web_context
from admin.web.csrf import rotate_csrf_token
from admin.web.users import User

SESSION_USER = "user_id"
CONSOLE_HOME = "/admin"


class LoginRequired(Exception):
    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class Forbidden(Exception):
    """A logged-in user asked for a page their role does not open."""


def safe_next(candidate: str | None) -> str:
    """`candidate` when it is a path inside the console, else the console's home."""
    if not candidate or "\\" in candidate or any(ord(char) < 32 for char in candidate):
        return CONSOLE_HOME
    parts = urlsplit(candidate)
    if parts.scheme or parts.netloc or not candidate.startswith("/"):
        return CONSOLE_HOME
    if parts.path != CONSOLE_HOME and not parts.path.startswith(CONSOLE_HOME + "/"):
        return CONSOLE_HOME
    return candidate


def log_in(request: Request, user: User) -> None:
    request.session.clear()  # nothing from before the login survives it
    request.session[SESSION_USER] = user.id
    rotate_csrf_token(request)


def log_out(request: Request) -> None:
    request.session.clear()
    rotate_csrf_token(request)


def optional_user(request: Request) -> User | None:
    user_id = request.session.get(SESSION_USER)
    if not isinstance(user_id, int):
        return None
    with web_context(request).sessions() as session:
        return session.get(User, user_id)


def require_user(request: Request, user: Annotated[User | None, Depends(optional_user)]) -> User:
    if user is None:
        query = f"?{request.url.query}" if request.url.query else ""
        raise LoginRequired(request.url.path + query)
    request.state.user = user
    return user


def require_admin(user: Annotated[User, Depends(require_user)]) -> User:
    if not user.is_admin:
        raise Forbidden
    return user


CurrentUser = Annotated[User, Depends(require_user)]
AdminUser = Annotated[User, Depends(require_admin)]
