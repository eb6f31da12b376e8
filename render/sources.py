"""Where templates come from: a mapping of template name to text.

By default the files in the repository's `templates/` folder; the web app lays the
versions marketers saved in the database over them (`{**files, **saved}` or a
ChainMap). A version hash names a template set, so a prepared email can be cached
per lesson and template version.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

from drip.settings import REPO_ROOT
from render.errors import RenderError

TEMPLATES_DIR = REPO_ROOT / "templates"
TEMPLATE_SUFFIXES = (".html", ".txt", ".css")


def load_templates(directory: Path = TEMPLATES_DIR) -> dict[str, str]:
    """Every template file under `directory` (its README excluded), by relative name."""
    if not directory.is_dir():
        raise RenderError(f"{directory}: no such templates folder")
    found: dict[str, str] = {}
    for path in sorted(directory.rglob("*")):
        if path.is_file() and path.suffix in TEMPLATE_SUFFIXES:
            name = path.relative_to(directory).as_posix()
            try:
                found[name] = path.read_text(encoding="utf-8")
            except UnicodeDecodeError as error:
                raise RenderError(f"{path}: not UTF-8 text ({error.reason})") from None
    return found


def template_version(source: Mapping[str, str]) -> str:
    """A short hash of the whole template set: equal sets, equal versions."""
    digest = hashlib.sha256()
    for name in sorted(source):
        for part in (name, source[name]):
            encoded = part.encode("utf-8")
            digest.update(len(encoded).to_bytes(8, "big"))
            digest.update(encoded)
    return digest.hexdigest()[:16]
