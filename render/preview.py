"""Previews: one email as a reader gets it, or every email written out with a gallery.

The gallery (`index.html`) lists every email the course sends, in order, with its
subject, preheader, size and links to the HTML and text files; with screenshots it
shows each at 600 px (a desktop reading pane) and 375 px (a phone).
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from pathlib import Path

from course.model import Lesson
from render.errors import RenderError
from render.kinds import KINDS, LESSON_KINDS, EmailKind, as_kind
from render.merge import Reader
from render.renderer import Email, Renderer
from render.screenshots import WIDTHS, screenshot_pages


@dataclass(frozen=True)
class PreviewItem:
    """One email of the course, personalised for the preview's reader."""

    stem: str  # file name without suffix: "02-deficiency-signs", "confirmation"
    label: str  # "Lesson 2 · The quiet signs of low magnesium"
    kind: EmailKind
    preheader: str
    email: Email


OTHER_EMAILS: tuple[tuple[EmailKind, str], ...] = (
    ("confirmation", "Confirmation (double opt-in)"),
    ("unsubscribed", "Goodbye (unsubscribed)"),
)


def find_email(renderer: Renderer, key: str) -> tuple[EmailKind, Lesson | None]:
    """LESSON as the CLI takes it: a slug or a position, or a non-lesson kind's name."""
    try:
        lesson = renderer.course.lesson(key)
    except KeyError:
        if key in KINDS and key not in LESSON_KINDS:
            return as_kind(key), None
        slugs = ", ".join(lesson.slug for lesson in renderer.course.lessons)
        raise RenderError(
            f"no lesson {key!r}: give a position (1-{len(renderer.course.lessons)}), "
            f"a slug ({slugs}), confirmation or unsubscribed"
        ) from None
    return renderer.kind_of(lesson), lesson


def preview_email(renderer: Renderer, key: str, reader: Reader) -> Email:
    """One email exactly as `reader` would get it (stage 1 checked, then stage 2)."""
    kind, lesson = find_email(renderer, key)
    return renderer.prepare(kind, lesson).personalise(reader)


def preview_all(renderer: Renderer, reader: Reader) -> list[PreviewItem]:
    items = []
    for lesson in renderer.course.lessons:
        kind = renderer.kind_of(lesson)
        email = renderer.prepare(kind, lesson).personalise(reader)
        stem = f"{lesson.position:02d}-{lesson.slug}"
        label = f"Lesson {lesson.position} · {lesson.title}"
        items.append(PreviewItem(stem, label, kind, lesson.preheader, email))
    for kind, label in OTHER_EMAILS:
        email = renderer.prepare(kind, None).personalise(reader)
        items.append(PreviewItem(kind, label, kind, "", email))
    return items


def write_gallery(
    renderer: Renderer, reader: Reader, out_dir: Path, screenshots: bool = False
) -> list[PreviewItem]:
    """Every email as NAME.html and NAME.txt in `out_dir`, an index.html, and PNGs."""
    items = preview_all(renderer, reader)
    out_dir.mkdir(parents=True, exist_ok=True)
    for item in items:
        (out_dir / f"{item.stem}.html").write_text(item.email.html, encoding="utf-8")
        (out_dir / f"{item.stem}.txt").write_text(item.email.text, encoding="utf-8")
    if screenshots:
        screenshot_pages([out_dir / f"{item.stem}.html" for item in items])
    index = gallery_page(renderer.course.title, reader, items, screenshots)
    (out_dir / "index.html").write_text(index, encoding="utf-8")
    return items


def gallery_page(title: str, reader: Reader, items: list[PreviewItem], screenshots: bool) -> str:
    cards = "\n".join(_card(item, screenshots) for item in items)
    return _PAGE.format(
        title=escape(title),
        count=len(items),
        reader=escape(f"{reader.name or '(no name)'} <{reader.email}>"),
        cards=cards,
    )


def _card(item: PreviewItem, screenshots: bool) -> str:
    size = len(item.email.html.encode("utf-8")) / 1024
    if screenshots:
        views = "".join(
            f'<figure><img src="{item.stem}-{w}.png" width="{w // 2 if w > 400 else w * 2 // 3}" '
            f'alt="{escape(item.label)} at {w} px"><figcaption>{w} px</figcaption></figure>'
            for w in WIDTHS
        )
    else:
        views = "".join(
            f'<figure><iframe src="{item.stem}.html" width="{w}" height="720" '
            f'title="{escape(item.label)} at {w} px"></iframe>'
            f"<figcaption>{w} px</figcaption></figure>"
            for w in WIDTHS
        )
    preheader = f'<p class="pre">{escape(item.preheader)}</p>' if item.preheader else ""
    return f"""<section>
  <h2>{escape(item.label)}</h2>
  <p class="subject"><b>Subject:</b> {escape(item.email.subject)}</p>
  {preheader}
  <p class="meta">{item.kind} · {size:.1f} KB ·
    <a href="{item.stem}.html">HTML</a> · <a href="{item.stem}.txt">text</a></p>
  <div class="views">{views}</div>
</section>"""


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}: email previews</title>
<style>
body {{ margin: 0; padding: 32px; background: #f3f1ec; color: #22302c;
  font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; }}
h1 {{ font-family: Georgia, serif; font-weight: 400; margin: 0 0 4px; }}
.intro {{ color: #5e6b66; margin: 0 0 28px; }}
section {{ background: #fff; border: 1px solid #e4e0d6; border-radius: 12px;
  padding: 20px 24px; margin: 0 0 24px; }}
h2 {{ font-family: Georgia, serif; font-weight: 400; color: #2e6b5a; margin: 0 0 8px; }}
.subject {{ margin: 0 0 4px; }} .pre {{ margin: 0 0 4px; color: #5e6b66; }}
.meta {{ margin: 0 0 16px; color: #6b7873; font-size: 14px; }}
.views {{ display: flex; gap: 24px; align-items: flex-start; flex-wrap: wrap; }}
figure {{ margin: 0; }} figcaption {{ color: #6b7873; font-size: 13px; text-align: center; }}
img, iframe {{ border: 1px solid #e4e0d6; border-radius: 6px; background: #fff; }}
a {{ color: #2e6b5a; }}
</style>
</head>
<body>
<h1>{title}</h1>
<p class="intro">{count} emails, as {reader} would get them.</p>
{cards}
</body>
</html>
"""
