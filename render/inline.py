"""Inlining CSS with premailer, configured so a template can never reach out.

premailer can fetch `<link>` stylesheets over the network or from disk, strips
`!important` by default (which would make the responsive `@media` rules powerless
against the inlined styles), and lets cssutils log every unknown property (Outlook's
`mso-*`) to the terminal. Here: no network, no files, `!important` kept, cssutils quiet.
"""

from __future__ import annotations

import logging
import re
from functools import cache

import cssutils
from lxml import etree
from premailer import Premailer

from render.merge import KEY_PATTERN


@cache
def _quiet_cssutils() -> None:
    # cssutils reports every property it does not know (mso-line-height-rule, ...) as an
    # error on its own logger; they are deliberate in email CSS, and not the user's news.
    cssutils.log.setLevel(logging.CRITICAL)
    cssutils.log.raiseExceptions = False


def _premailer() -> Premailer:
    _quiet_cssutils()
    return Premailer(
        allow_network=False,  # <link> stylesheets are never fetched (the checks forbid them)
        allow_loading_external_files=False,
        external_styles=None,
        base_url=None,  # links are absolute already; premailer must not rewrite them
        disable_link_rewrites=True,
        strip_important=False,  # @media rules need !important to beat inline styles
        keep_style_tags=False,  # what cannot be inlined (@media, :hover) stays in <style>
        exclude_pseudoclasses=True,
        remove_classes=False,  # @media rules select by class
        disable_validation=True,  # validation only feeds the log we silence
        cssutils_logging_level=logging.CRITICAL,
    )


def _attribute_keys(tree: etree._ElementTree) -> None:
    """Merge keys inside attribute values (href="...") take their attribute variant."""

    def to_attr(match: re.Match[str]) -> str:
        return f"%%drip.{match.group(1)}.attr%%"

    for element in tree.iter():
        for name, value in element.attrib.items():
            if "%%drip." in value:
                element.set(name, KEY_PATTERN.sub(to_attr, value))


def inline_css(html: str) -> str:
    """`html` with its stylesheet inlined into style attributes, as mail clients need."""
    source = html.strip()
    parser = etree.HTMLParser(remove_comments=False, no_network=True)
    root = etree.fromstring(source, parser)
    if root is None:
        return ""
    tree = _premailer().transform(root)  # an element in, its ElementTree out
    _attribute_keys(tree)
    # lxml invents an HTML 4 doctype when there is none; keep only one the template wrote.
    doctype = tree.docinfo.doctype
    node = tree if doctype and source.startswith(doctype) else tree.getroot()
    out: bytes = etree.tostring(node, method="html", encoding="utf-8", pretty_print=True)
    return out.decode("utf-8")
