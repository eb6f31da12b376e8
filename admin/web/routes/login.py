"""The console's door: the login form (rate-limited) and logging out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from admin.web.auth import CurrentUser, log_in, log_out, optional_user, safe_next
from admin.web.context import client_address, web_context
from admin.web.pages import flash, render
from admin.web.users import authenticate

router = APIRouter()


@router.get("/admin/login")
def login_form(request: Request, next: str = "/admin") -> Response:
    if optional_user(request) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "login.html", {"next": safe_next(next), "name": "", "error": None})


@router.post("/admin/login")
def login(
    request: Request,
    name: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/admin",
) -> Response:
    limits = web_context(request).limits
    address_key, name_key = client_address(request), name.strip().lower()
    wait = max(
        limits.login_per_address.retry_after(address_key),
        limits.login_per_name.retry_after(name_key),
    )
    if wait:
        minutes = -(-wait // 60)
        error = f"Too many attempts. Try again in {minutes} minute{'s' if minutes > 1 else ''}."
        return _form_again(request, name, next, error, status_code=429)
    with web_context(request).transaction() as session:
        user = authenticate(session, name.strip(), password)
    if user is None:
        limits.login_per_address.record(address_key)
        limits.login_per_name.record(name_key)
        return _form_again(request, name, next, "That name and password do not match.", 401)
    limits.login_per_name.reset(name_key)
    log_in(request, user)
    return RedirectResponse(safe_next(next), status_code=303)


def _form_again(request: Request, name: str, next: str, error: str, status_code: int) -> Response:
    context = {"next": safe_next(next), "name": name, "error": error}
    return render(request, "login.html", context, status_code=status_code)


@router.post("/admin/logout")
def logout(request: Request, _user: CurrentUser) -> Response:
    log_out(request)
    flash(request, "You have logged out.")
    return RedirectResponse("/admin/login", status_code=303)
