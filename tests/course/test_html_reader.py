"""HTML articles: the article element read, page furniture dropped, structure kept."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from course.errors import CourseError
from course.model import QA, ItemList, ListItem, Paragraph
from course.readers import read_article
from tests.course.conftest import FIXTURES, article_texts, headings

ZINC = FIXTURES / "articles" / "zinc-for-immunity-and-healing.html"


def test_title_subtitle_and_sections() -> None:
    article = read_article(ZINC, slug="zinc")
    assert article.format == "html"
    assert article.title == "Zinc for Immune Support and Wound Healing"
    assert article.subtitle == (
        "A practical guide to the mineral your immune cells and your skin depend on"
    )
    assert headings(article) == [
        "",
        "Why Your Body Needs Zinc",
        "Signs of Zinc Deficiency",
        "How Zinc Supports Immunity",
        "Zinc and Wound Healing",
        "Topical Zinc",
        "Food Sources and Supplements",
        "Frequently Asked Questions",
        "The Bottom Line",
        "Disclaimer",
    ]
    assert article.sections[1].line == 26


def test_page_furniture_is_dropped() -> None:
    article = read_article(ZINC, slug="zinc")
    text = " ".join([article.title, article.subtitle or "", *headings(article)])
    text += " ".join(article_texts(article))
    for chrome in (
        "Healthy Living Blog",  # header, <title> suffix and footer
        "Home",  # nav
        "cookies",  # cookie banner
        "Share on Facebook",
        "Related Posts",
        "Vitamin C",  # aside inside the article
        "Popular Posts",  # aside outside it
        "Hot Articles",
        "Read More",
        "dataLayer",  # script
        "font-family",  # style
        "Privacy",
    ):
        assert chrome not in text, chrome
    reasons = [item.reason for item in article.removed]
    assert "page furniture (marked 'share-buttons')" in reasons
    assert "page furniture (<aside>)" in reasons


def test_leads_lists_and_line_breaks() -> None:
    article = read_article(ZINC, slug="zinc")
    immunity = article.sections[3].blocks
    assert immunity == (
        ItemList(
            (
                ListItem(
                    "T cells need zinc to mature and to respond to infections.",
                    lead="Immune Cell Development",
                ),
                ListItem(
                    "zinc protects cell membranes from oxidative damage during an infection.",
                    lead="Antioxidant Defence",
                ),
                ListItem(
                    "zinc keeps the lining of the gut and airways intact.", lead="Barrier Repair"
                ),
            ),
            ordered=True,
        ),
    )
    food = article.sections[6].blocks[0]
    assert isinstance(food, Paragraph)
    assert "most diets. Supplements of 8 to 11 mg" in food.text  # <br> is a space


def test_faq_from_details_and_question_headings() -> None:
    faq = read_article(ZINC, slug="zinc").sections[7]
    assert faq.blocks == (
        QA(
            "Can you take too much zinc?",
            (
                Paragraph(
                    "Yes. More than 40 mg a day for long periods can cause a copper deficiency."
                ),
            ),
        ),
        QA(
            "Should I take zinc on an empty stomach?",
            (
                Paragraph(
                    "It is absorbed best that way, but take it with food if it upsets your stomach."
                ),
            ),
        ),
    )


def test_typographic_apostrophes_survive() -> None:
    article = read_article(ZINC, slug="zinc")
    assert "the body’s enzymes" in article_texts(article)[0]


def test_page_without_article_element_uses_body_and_title_tag(
    write: Callable[[str, str], Path],
) -> None:
    path = write(
        "plain.html",
        """
        <html><head><title>Hydration Basics – Wellness Site</title></head>
        <body><header><a href="/">Wellness Site</a></header>
        <p>Water makes up most of your body.</p>
        <h2>How Much to Drink</h2><p>Drink to thirst, more in the heat.</p>
        <footer>© Wellness Site</footer></body></html>
        """,
    )
    article = read_article(path, slug="plain")
    assert article.title == "Hydration Basics"
    assert headings(article) == ["", "How Much to Drink"]
    assert "Wellness Site" not in " ".join(article_texts(article))


def test_declared_charset_is_honoured(write: Callable[[str, bytes], Path]) -> None:
    page = (
        '<html><head><meta charset="windows-1252"></head><body><h1>Caf\xe9 Health</h1>'
        "<h2>Coffee</h2><p>Two cups – not ten – a day.</p></body></html>"
    ).encode("cp1252")
    article = read_article(write("cafe.html", page), slug="cafe")
    assert article.title == "Café Health"
    assert article_texts(article) == ["Two cups – not ten – a day."]


def test_undeclared_non_utf8_html_is_refused(write: Callable[[str, bytes], Path]) -> None:
    path = write("bad.html", "<h1>Caf\xe9</h1>\n<h2>A</h2><p>b</p>".encode("latin-1"))
    with pytest.raises(CourseError, match=r"bad\.html:1: not UTF-8 text \(byte 0xe9\)"):
        read_article(path, slug="bad")


def test_site_logo_h1_and_teaser_cards_are_not_the_article(
    write: Callable[[str, str], Path],
) -> None:
    path = write(
        "cards.html",
        """
        <html><head><title>Iron and Energy | Wellness Site</title></head><body>
        <header><h1 class="logo">Wellness Site</h1></header>
        <article><h2>Why Iron Matters</h2><p>Iron carries oxygen in the blood.</p></article>
        <aside><article><h1>Another Post</h1><p>A teaser that is much longer than the real
        article so that length alone would pick it, which it must not.</p></article></aside>
        </body></html>
        """,
    )
    article = read_article(path, slug="cards")
    assert article.title == "Iron and Energy"
    assert headings(article) == ["Why Iron Matters"]
