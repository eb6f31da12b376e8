"""`POST /webhooks/sendgrid`: SendGrid's signed events, handed to the event recorder.

The signature is checked over the raw body before anything is parsed; an unsigned,
stale or badly signed request gets 403 and changes nothing. Recording the events is
the scheduler's job: `create_app(..., record_events=...)` plugs it in. Without one
the verified request gets 503, so SendGrid keeps retrying (for 24 hours) rather than
dropping events nobody stored.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from admin.web.context import web_context
from admin.web.csrf import csrf_exempt
from delivery.errors import ConfigurationError, WebhookPayloadError, WebhookSignatureError
from delivery.webhooks.sendgrid import read_events

router = APIRouter()


@router.post("/webhooks/sendgrid")
@csrf_exempt
async def sendgrid_events(request: Request) -> JSONResponse:
    context = web_context(request)
    body = await request.body()
    try:
        events = read_events(body, request.headers, context.settings)
    except (WebhookSignatureError, ConfigurationError):
        return JSONResponse({"error": "signature refused"}, 403)
    except WebhookPayloadError as error:
        return JSONResponse({"error": str(error)}, 400)
    if context.record_events is None:
        return JSONResponse({"error": "event recording is not running"}, 503)
    recorded = await run_in_threadpool(context.record_events, events)
    return JSONResponse({"received": len(events), "recorded": recorded})
