"""Markdown articles: headings, lists with bold lead-ins, tables, FAQs, and chrome removed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from course.model import QA, ItemList, ListItem, Paragraph
from course.readers import read_article
from tests.course.conftest import FIXTURES, article_texts, headings

OMEGA = FIXTURES / "articles" / "omega-3-for-heart-and-brain.md"


def test_title_subtitle_and_sections() -> None:
    article = read_article(OMEGA, slug="omega-3")
    assert article.format == "markdown"
    assert article.title == "Omega-3 Fatty Acids for Heart and Brain Health"
    assert article.subtitle == "What EPA and DHA do, where to find them, and how much you need"
    assert headings(article) == [
        "",
        "What Are Omega-3 Fatty Acids?",
        "Benefits for the Heart",
        "Benefits for the Brain",
        "Mood and Memory",
        "Food Sources",
        "How to Choose a Supplement",
        "FAQ",
        "Conclusion",
    ]
    assert article.sections[1].line == 13


def test_paragraphs_are_joined_and_plain() -> None:
    article = read_article(OMEGA, slug="omega-3")
    intro = article.sections[0].blocks
    assert intro == (
        Paragraph(
            "Omega-3 fatty acids are fats the body cannot make on its own, so they have to come "
            "from food. Most people eat far fewer of them than they need, and the shortfall "
            "shows up in the heart and the brain first."
        ),
    )
    what = article.sections[1].blocks[0]
    assert isinstance(what, Paragraph)
    assert "**" not in what.text
    assert what.text.startswith("There are three main omega-3s. ALA comes from plants")


def test_bold_lead_ins_and_ordered_lists() -> None:
    article = read_article(OMEGA, slug="omega-3")
    heart = article.sections[2].blocks[0]
    assert isinstance(heart, ItemList)
    assert not heart.ordered
    assert heart.items[0] == ListItem(
        "EPA and DHA lower blood triglycerides, a fat linked with heart disease.",
        lead="Triglycerides",
    )
    assert [item.lead for item in heart.items] == [
        "Triglycerides",
        "Blood Pressure",
        "Heart Rhythm",
    ]
    choose = article.sections[6].blocks[0]
    assert isinstance(choose, ItemList)
    assert choose.ordered
    assert choose.items[2] == ListItem("Take it with a meal that contains some fat.")


def test_a_table_becomes_its_columns_and_rows() -> None:
    food = read_article(OMEGA, slug="omega-3").sections[5]
    assert food.blocks == (
        Paragraph("Food · Omega-3 per serving"),
        ItemList(
            (
                ListItem("1.8 g", lead="Salmon"),
                ListItem("1.4 g", lead="Sardines"),
                ListItem("2.5 g (as ALA)", lead="Walnuts"),
            )
        ),
    )


def test_faq_sub_headings_are_questions() -> None:
    faq = read_article(OMEGA, slug="omega-3").sections[7]
    assert [block.question for block in faq.blocks if isinstance(block, QA)] == [
        "Can I take omega-3 with blood thinners?",
        "Is plant-based omega-3 as good as fish oil?",
    ]
    first = faq.blocks[0]
    assert isinstance(first, QA)
    assert first.answer[0].text.startswith("Omega-3s can thin the blood slightly.")


def test_chrome_is_removed_and_reported() -> None:
    article = read_article(OMEGA, slug="omega-3")
    text = " ".join(article_texts(article))
    for chrome in (
        "Home",
        "salmon.jpg",
        "newsletter",
        "Facebook",
        "You May Also Like",
        "Read More",
    ):
        assert chrome not in text
    reasons = {item.text: item.reason for item in article.removed}
    assert reasons["Home · Nutrition · Supplements"] == "a row of navigation links"
    assert reasons["A fillet of salmon on a plate"] == "an image without text"
    assert "page furniture" in reasons["Get our weekly health newsletter straight to your inbox!"]
    assert "teaser block" in reasons["You May Also Like"]


def test_front_matter_gives_title_and_subtitle(write: Callable[[str, str], Path]) -> None:
    path = write(
        "sleep.md",
        """
        ---
        title: Sleep and Recovery
        subtitle: Why the night shift of your body matters
        ---

        Sleep is when the body repairs itself.

        ## Deep Sleep

        Growth hormone peaks in deep sleep.
        """,
    )
    article = read_article(path, slug="sleep")
    assert article.title == "Sleep and Recovery"
    assert article.subtitle == "Why the night shift of your body matters"
    assert headings(article) == ["", "Deep Sleep"]
    assert article.sections[1].line == 8  # front matter lines still count


def test_nested_lists_are_flattened_after_their_parent(write: Callable[[str, str], Path]) -> None:
    path = write("n.md", "# T\n\n## Foods\n\n- Greens\n  - spinach\n  - kale\n- Nuts\n")
    blocks = read_article(path, slug="n").sections[0].blocks
    assert blocks == (
        ItemList((ListItem("Greens"), ListItem("spinach"), ListItem("kale"), ListItem("Nuts"))),
    )
