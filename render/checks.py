"""The email checks: run on every stage-1 render, and all of them by `drip templates check`.

Two kinds of rule. Rules about single tags (an `<img>` without `alt`, a `<script>`, a
layout table without `role="presentation"`) are checked in the template files, so a
problem names the file and line to fix. Rules about the email as a whole (its size,
the required parts, the `@media` block, the body text size) are checked on the
inlined output and name the email's template file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

from lxml import etree, html

from render.errors import TemplateProblem
from render.merge import KEY_PATTERN
from render.text import MAX_TEXT_COLUMNS, too_wide

GMAIL_CLIP_BYTES = 102 * 1024  # Gmail hides everything after 102 KB behind "[Message clipped]"
MIN_BODY_PX = 16.0
MIN_SMALL_PRINT_PX = 12.0
SMALL_PRINT_CLASSES = frozenset({"small", "footer"})
FORBIDDEN_TAGS = frozenset(
    {"script", "link", "iframe", "frame", "frameset", "object", "embed", "applet", "form", "base"}
)
LINK_SCHEMES = ("http://", "https://", "mailto:", "tel:", "#", "%%drip.")
SUBJECT_MAX_CHARS = 120
TAG_RULES = frozenset({"html-forbidden", "html-img-alt", "html-table-role", "html-link"})


@dataclass(frozen=True)
class EmailUnderCheck:
    """One stage-1 email, its sample personalisation, and what it must contain."""

    label: str  # "lesson 2 (best-forms)", "confirmation"
    subject_file: str
    html_file: str
    text_file: str
    subject: str  # stage 1 (merge keys)
    html: str
    text: str
    sample_subject: str  # personalised for a sample reader (real lengths)
    sample_html: str
    sample_text: str
    required_links: tuple[str, ...]  # reader fields that must be links: "unsubscribe_url", ...
    required_texts: Mapping[str, str]  # rule -> text that must appear, e.g. the disclaimer


def check_email(email: EmailUnderCheck) -> list[TemplateProblem]:
    problems: list[TemplateProblem] = []
    for rule_set in (_html_document, _required_parts, _text_body, _subject):
        problems.extend(rule_set(email))
    return [
        TemplateProblem(p.file, p.line, p.rule, p.message, p.email or email.label) for p in problems
    ]


# --- the HTML document --------------------------------------------------------------


def parse_html(markup: str) -> etree._Element:
    return html.document_fromstring(markup.encode("utf-8"))


def _html_document(email: EmailUnderCheck) -> Iterator[TemplateProblem]:
    file = email.html_file
    size = len(email.sample_html.encode("utf-8"))
    if size > GMAIL_CLIP_BYTES:
        yield TemplateProblem(
            file, None, "html-size", f"the email is {size / 1024:.0f} KB; Gmail clips beyond 102 KB"
        )
    root = parse_html(email.html)
    for rule, message in _document_rules(root):
        yield TemplateProblem(file, None, rule, message)
    for rule, tag, message in element_problems(root.iter()):
        yield TemplateProblem(file, None, rule, f"<{tag}>: {message}")
    yield from (TemplateProblem(file, None, "html-font-size", m) for m in _small_text(root))


def _document_rules(root: etree._Element) -> Iterator[tuple[str, str]]:
    if not root.get("lang") or not root.get("dir"):
        yield "html-lang", '<html> needs lang and dir attributes, e.g. <html lang="en" dir="ltr">'
    metas = root.findall(".//meta")
    if not any(m.get("charset") or "charset" in (m.get("content") or "") for m in metas):
        yield "html-meta", 'no <meta charset="utf-8">'
    for name in ("viewport", "color-scheme"):
        if not any((m.get("name") or "").lower() == name for m in metas):
            yield "html-meta", f'no <meta name="{name}" ...>'
    body = root.find("body")
    first = next((el for el in body if isinstance(el.tag, str)), None) if body is not None else None
    if first is None or not _hidden(first) or not first.text_content().strip():
        yield "html-preheader", "the body must start with a hidden preheader (display:none)"
    for link in root.iter("a"):
        if "button" in (link.get("class") or "") and not _in_coloured_cell(link):
            yield "html-button", "a button link must sit in a table cell with a bgcolor"
    if not any(_is_600_wide(table) for table in root.iter("table")):
        yield "html-layout", 'no 600 px wide layout table (width="600" or max-width:600px)'
    yield from _media_rules(root)


def _in_coloured_cell(link: etree._Element) -> bool:
    """Bulletproof: the cell carries the colour, so Outlook shows the button anyway."""
    cell = next(link.iterancestors("td"), None)
    return cell is not None and bool(cell.get("bgcolor"))


def _is_600_wide(table: etree._Element) -> bool:
    style = _style(table)
    return table.get("width") == "600" or style.get("max-width") == "600px"


def _media_rules(root: etree._Element) -> Iterator[tuple[str, str]]:
    css = "\n".join(style.text or "" for style in root.iter("style"))
    blocks = list(_media_blocks(css))
    if not any("width" in query for query, _ in blocks):
        yield "html-media", "no responsive @media (max-width: ...) rules in a <style> block"
    for query, body in blocks:
        for declaration in re.findall(r"[{;]\s*([-\w]+\s*:[^;{}]+)", body):
            if "!important" not in declaration:
                yield (
                    "html-media",
                    f"@media {query.strip()}: {declaration.strip()} lacks !important",
                )


def _media_blocks(css: str) -> Iterator[tuple[str, str]]:
    for match in re.finditer(r"@media([^{]*)\{", css):
        depth, start = 1, match.end()
        index = start
        while depth and index < len(css):
            depth += {"{": 1, "}": -1}.get(css[index], 0)
            index += 1
        yield match.group(1), css[start : index - 1]


def element_problems(elements: Iterable[etree._Element]) -> Iterator[tuple[str, str, str]]:
    """Per-tag rules: (rule, tag, message) for every offending element."""
    for element in elements:
        if isinstance(element.tag, str):
            yield from _tag_rules(element.tag.lower(), dict(element.attrib))


def _tag_rules(tag: str, attributes: Mapping[str, str | None]) -> Iterator[tuple[str, str, str]]:
    if tag in FORBIDDEN_TAGS:
        yield "html-forbidden", tag, "mail clients strip or block it; styles go in <style>"
    if tag == "meta" and (attributes.get("http-equiv") or "").lower() == "refresh":
        yield "html-forbidden", tag, "a meta refresh is not allowed in email"
    for name, value in attributes.items():
        if name.lower().startswith("on"):
            yield "html-forbidden", tag, f"event handler {name}= is not allowed in email"
        if (value or "").strip().lower().startswith("javascript:"):
            yield "html-forbidden", tag, f"{name}= runs script"
    if tag == "img" and "alt" not in attributes:
        yield "html-img-alt", tag, 'every image needs alt="..." (empty for decoration)'
    role = attributes.get("role")
    if tag == "table" and (role is None or _static(role) not in ("presentation", None)):
        yield "html-table-role", tag, 'layout tables need role="presentation" for screen readers'
    href = attributes.get("href")
    if tag == "a" and href is None:
        yield "html-link", tag, "a link needs an href"
    static_href = _static(href)
    if tag == "a" and static_href is not None and not static_href.strip().startswith(LINK_SCHEMES):
        yield "html-link", tag, f"href={static_href!r} must be an absolute http(s) or mailto: link"


def _style(element: etree._Element) -> dict[str, str]:
    declarations = (part.split(":", 1) for part in (element.get("style") or "").split(";"))
    return {d[0].strip().lower(): d[1].strip().lower() for d in declarations if len(d) == 2}


def _hidden(element: etree._Element) -> bool:
    return _style(element).get("display", "").startswith("none")


def _font_px(value: str | None, inherited: float) -> float:
    if not value:
        return inherited
    match = re.match(r"([\d.]+)\s*(px|pt|em|rem|%)", value)
    if not match:
        return inherited
    number, unit = float(match.group(1)), match.group(2)
    factor = {"px": 1.0, "pt": 4 / 3, "em": inherited, "rem": 16.0, "%": inherited / 100}
    return number * factor[unit]


def _small_text(root: etree._Element) -> Iterator[str]:
    body = root.find("body")
    if body is not None:
        yield from _walk_sizes(body, 16.0, small_print=False)


def _walk_sizes(element: etree._Element, inherited: float, small_print: bool) -> Iterator[str]:
    if _hidden(element):
        return
    size = _font_px(_style(element).get("font-size"), inherited)
    classes = set((element.get("class") or "").split())
    small_print = small_print or bool(classes & SMALL_PRINT_CLASSES)
    floor = MIN_SMALL_PRINT_PX if small_print else MIN_BODY_PX
    words = (element.text or "").strip()
    if words and size < floor:
        kind = "small print" if small_print else "body text"
        yield f"{kind} at {size:g}px (at least {floor:g}px): {words[:40]!r}"
    for child in element:
        if isinstance(child.tag, str):
            yield from _walk_sizes(child, size, small_print)
        if (child.tail or "").strip() and size < floor:
            yield f"text at {size:g}px (at least {floor:g}px): {child.tail.strip()[:40]!r}"


# --- the parts every email must carry ----------------------------------------------


LINK_RULES = {
    "unsubscribe_url": ("required-unsubscribe", "a personal unsubscribe link"),
    "preferences_url": ("required-preferences", "a preferences link"),
    "view_url": ("required-view", "a view-in-browser link"),
    "confirm_url": ("required-confirm", "the confirmation link"),
}


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


def _linked_fields(root: etree._Element) -> set[str]:
    fields = set()
    for anchor in root.iter("a"):
        for match in KEY_PATTERN.finditer(anchor.get("href") or ""):
            fields.add(match.group(1).split("~")[0])
    return fields


def _text_fields(text: str) -> set[str]:
    return {m.group(1).split("~")[0] for m in KEY_PATTERN.finditer(text) if m.group(2) is None}


def _required_parts(email: EmailUnderCheck) -> Iterator[TemplateProblem]:
    root = parse_html(email.html)
    html_text, plain = _normal(root.text_content()), _normal(email.text)
    linked, listed = _linked_fields(root), _text_fields(email.text)
    for field in email.required_links:
        rule, what = LINK_RULES[field]
        usage = f"{{{{ reader.{field} }}}}"
        if field not in linked:
            yield TemplateProblem(email.html_file, None, rule, f'no {what}: <a href="{usage}">')
        if field not in listed:
            yield TemplateProblem(email.text_file, None, rule, f"no {what}: {usage}")
    for rule, required in email.required_texts.items():
        wanted = _normal(required)
        what = rule.removeprefix("required-").replace("-", " ")
        if wanted not in html_text:
            yield TemplateProblem(
                email.html_file, None, rule, f"the {what} is missing: {required!r}"
            )
        if wanted not in plain:
            yield TemplateProblem(
                email.text_file, None, rule, f"the {what} is missing: {required!r}"
            )


# --- the text body and the subject -------------------------------------------------

_MARKUP = re.compile(r"</?(?:p|br|a|div|span|strong|em|b|i|table|tr|td|h[1-6]|ul|ol|li)\b[^>]*>")


def _text_body(email: EmailUnderCheck) -> Iterator[TemplateProblem]:
    for number, line in enumerate(email.sample_text.splitlines(), start=1):
        if too_wide(line):
            yield TemplateProblem(
                email.text_file,
                None,
                "text-width",
                f"output line {number} is {len(line)} columns (at most {MAX_TEXT_COLUMNS}, "
                f"URLs aside): {line[:40]!r}...",
            )
    markup = _MARKUP.search(email.text)
    if markup:
        yield TemplateProblem(
            email.text_file, None, "text-markup", f"HTML tag {markup.group(0)!r} in the text body"
        )


def _subject(email: EmailUnderCheck) -> Iterator[TemplateProblem]:
    if not email.subject.strip():
        yield TemplateProblem(email.subject_file, None, "subject", "the subject is empty")
    elif len(email.sample_subject) > SUBJECT_MAX_CHARS:
        yield TemplateProblem(
            email.subject_file,
            None,
            "subject",
            f"the subject is {len(email.sample_subject)} characters (at most {SUBJECT_MAX_CHARS})",
        )


# --- rules checked in the template files, with line numbers ------------------------

_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_TAG = re.compile(r"<([a-zA-Z][a-zA-Z0-9]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>")
_ATTRIBUTE = re.compile(r"([^\s=\"'/>]+)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s\"'>]+))?")
DYNAMIC = "\x00"


def _blank(match: re.Match[str], fill: str) -> str:
    return "".join(c if c == "\n" else fill for c in match.group(0))


def scan_template(name: str, source: str) -> list[TemplateProblem]:
    """Per-tag rules over one HTML template's own text, with the line of each tag."""
    masked = _JINJA.sub(lambda m: _blank(m, DYNAMIC), source)
    masked = _COMMENT.sub(lambda m: _blank(m, " "), masked)
    problems = []
    for tag in _TAG.finditer(masked):
        line = masked.count("\n", 0, tag.start()) + 1
        attributes = _static_attributes(tag.group(2))
        for rule, tag_name, message in _tag_rules(tag.group(1).lower(), attributes):
            problems.append(TemplateProblem(name, line, rule, f"<{tag_name}>: {message}"))
    return problems


def _static_attributes(text: str) -> dict[str, str | None]:
    attributes: dict[str, str | None] = {}
    for match in _ATTRIBUTE.finditer(text):
        name, value = match.group(1).lower(), match.group(2)
        if DYNAMIC in name:
            continue  # {% if %}-made attributes: the output check sees them
        attributes[name] = value.strip("\"'") if value is not None else None
    return attributes


def _static(value: str | None) -> str | None:
    """An attribute's value, or None when an expression writes it (known only at render
    time: the output check sees it) or it is missing."""
    if value is None or DYNAMIC in value:
        return None
    return value


def without_duplicates(
    problems: Iterable[TemplateProblem], key: Callable[[TemplateProblem], object]
) -> list[TemplateProblem]:
    seen: set[object] = set()
    kept = []
    for problem in problems:
        if key(problem) not in seen:
            seen.add(key(problem))
            kept.append(problem)
    return kept
