"""`GET /healthz`: 200 when the database answers, 503 when it does not (for monitors)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from admin.web.context import web_context

router = APIRouter()


@router.get("/healthz")
def healthz(request: Request) -> JSONResponse:
    try:
        with web_context(request).engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return JSONResponse({"status": "unavailable", "database": "not answering"}, 503)
    return JSONResponse({"status": "ok", "database": "ok"})
