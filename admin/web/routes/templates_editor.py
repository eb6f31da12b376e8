"""The template editor: edit, preview as you type, save as a checked version, diff, revert.

A save compiles and test-renders the whole template set with the edit in place, for
every lesson and every kind, and refuses (nothing stored) with each problem's file,
line and reason. Template names are those of the files in templates/; a name may hold
a folder, hence the `path` converters and the more specific routes coming first.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from admin.web.auth import CurrentUser
from admin.web.context import WebContext, web_context
from admin.web.emails import (
    check,
    default_email_for,
    default_templates,
    email_choices,
    preview,
    problems_page,
    sample,
    templates_in_force,
    text_page,
)
from admin.web.pages import flash, render
from admin.web.security import EMAIL_HEADERS
from admin.web.template_versions import (
    TemplateVersion,
    diff,
    find_version,
    history,
    previous_version,
    save_version,
)
from admin.web.users import User
from render import RenderError, TemplateProblem

router = APIRouter()

Source = Annotated[str, Form()]


def _lines(source: str) -> str:
    """Browsers send a textarea's lines ending in CRLF; templates end them in LF."""
    return source.replace("\r\n", "\n")


def _known(name: str) -> str:
    if name not in default_templates():
        raise HTTPException(404)
    return name


def _base(name: str) -> str:
    return f"/admin/templates/{name}"


@router.get("/admin/templates")
def template_list(request: Request, _user: CurrentUser) -> Response:
    context = web_context(request)
    with context.sessions() as session:
        rows = [(name, _latest(session, name)) for name in sorted(default_templates())]
    return render(request, "templates.html", {"rows": rows})


def _latest(session: Session, name: str) -> TemplateVersion | None:
    versions = history(session, name)
    return versions[0] if versions else None


def _editor(
    request: Request,
    name: str,
    source: str | None = None,
    problems: list[TemplateProblem] | None = None,
    status_code: int = 200,
) -> Response:
    context = web_context(request)
    course = context.course()
    with context.sessions() as session:
        versions = history(session, name)
        in_force = templates_in_force(session)[name]
    page = {
        "name": name,
        "source": in_force if source is None else source,
        "versions": versions,
        "problems": problems or [],
        "bad_lines": sorted({p.line for p in problems or [] if p.file == name and p.line}),
        "choices": email_choices(course),
        "preview_key": request.query_params.get("email") or default_email_for(name, course),
        "is_text": name.endswith(".txt"),
    }
    return render(request, "template_editor.html", page, status_code=status_code)


def _draft_check(context: WebContext, name: str, source: str) -> list[TemplateProblem]:
    with context.sessions() as session:
        candidate = templates_in_force(session) | {name: source}
    return check(context.course(), context.sender, candidate)


def _save_if_clean(
    request: Request, user: User, name: str, source: str, note: str = ""
) -> list[TemplateProblem]:
    context = web_context(request)
    problems = _draft_check(context, name, source)
    if problems:
        return problems
    with context.transaction() as session:
        if templates_in_force(session)[name] == source:
            flash(request, "Nothing changed: the template is as saved.", "info")
            return []
        version = save_version(session, name, source, user.name, note)
    flash(request, f"Saved {name} as version {version.id}. Every email passed its checks.")
    return []


@router.get("/admin/templates/{name:path}/versions/{version_id}")
def version_page(request: Request, _user: CurrentUser, name: str, version_id: int) -> Response:
    context = web_context(request)
    with context.sessions() as session:
        version = find_version(session, _known(name), version_id)
        if version is None:
            raise HTTPException(404)
        before = previous_version(session, version)
    old_text = before.source if before else default_templates()[name]
    old_label = f"version {before.id}" if before else "the default file"
    lines = diff(old_text, version.source, old_label, f"version {version.id}")
    page = {"name": name, "version": version, "old_label": old_label, "lines": lines}
    return render(request, "template_version.html", page)


@router.post("/admin/templates/{name:path}/versions/{version_id}/restore")
def restore_version(request: Request, user: CurrentUser, name: str, version_id: int) -> Response:
    with web_context(request).sessions() as session:
        version = find_version(session, _known(name), version_id)
    if version is None:
        raise HTTPException(404)
    return _restore(request, user, name, version.source, f"restored version {version.id}")


@router.post("/admin/templates/{name:path}/restore-default")
def restore_default(request: Request, user: CurrentUser, name: str) -> Response:
    source = default_templates()[_known(name)]
    return _restore(request, user, name, source, "restored the default file")


def _restore(request: Request, user: User, name: str, source: str, note: str) -> Response:
    problems = _save_if_clean(request, user, name, source, note)
    if problems:
        first = problems[0]
        flash(request, f"Not restored: {first.where}: {first.message}", "error")
    return RedirectResponse(_base(name), status_code=303)


@router.post("/admin/templates/{name:path}/check")
def check_draft(request: Request, _user: CurrentUser, name: str, source: Source) -> Response:
    problems = _draft_check(web_context(request), _known(name), _lines(source))
    count = len(problems)
    summary = (
        "Every email passes its checks"
        if not problems
        else (f"{count} problem{'s' if count > 1 else ''}: saving is blocked")
    )
    return JSONResponse(
        {
            "ok": not problems,
            "summary": summary,
            "problems": [
                {
                    "where": p.where,
                    "line": p.line if p.file == name else None,
                    "file": p.file,
                    "rule": p.rule,
                    "message": f"{p.message}" + (f" (in {p.email})" if p.email else ""),
                }
                for p in problems
            ],
        }
    )


@router.post("/admin/templates/{name:path}/preview")
def preview_draft(
    request: Request,
    _user: CurrentUser,
    name: str,
    source: Source,
    email: Annotated[str, Form()] = "",
) -> Response:
    context = web_context(request)
    _known(name)
    with context.sessions() as session:
        renderer = context.renderer(session, {name: _lines(source)})
    key = email or default_email_for(name, context.course())
    try:
        result = preview(renderer, key, sample(context.sender))
    except RenderError:
        raise HTTPException(404) from None
    if result.email is None:
        body = problems_page(result.problems)
    elif name.endswith(".txt"):
        body = text_page(result.email)
    else:
        body = result.email.html
    return HTMLResponse(body, headers={**EMAIL_HEADERS, "Cache-Control": "no-store"})


@router.get("/admin/templates/{name:path}/preview")
def preview_in_force(request: Request, user: CurrentUser, name: str, email: str = "") -> Response:
    with web_context(request).sessions() as session:
        source = templates_in_force(session).get(_known(name), "")
    return preview_draft(request, user, name, source, email)


@router.get("/admin/templates/{name:path}")
def editor(request: Request, _user: CurrentUser, name: str) -> Response:
    return _editor(request, _known(name))


@router.post("/admin/templates/{name:path}")
def save(request: Request, user: CurrentUser, name: str, source: Source) -> Response:
    source = _lines(source)
    problems = _save_if_clean(request, user, _known(name), source)
    if problems:
        return _editor(request, name, source, problems, status_code=422)
    return RedirectResponse(_base(name), status_code=303)
