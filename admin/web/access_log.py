"""Keep subscribers' link tokens out of the access log (they open a subscriber's pages)."""

from __future__ import annotations

import logging
import re

TOKEN_PATH = re.compile(r"^(/(?:confirm|unsubscribe|preferences|view)/)[^/?\s]+")


def redact_path(path: str) -> str:
    return TOKEN_PATH.sub(r"\1[token]", path)


class RedactTokens(logging.Filter):
    """Rewrites the path in uvicorn's access records: `GET /view/[token]`."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) >= 3:
            args = list(record.args)
            if isinstance(args[2], str):
                args[2] = redact_path(args[2])
                record.args = tuple(args)
        return True


def install() -> None:
    logging.getLogger("uvicorn.access").addFilter(RedactTokens())
