"""Plain text as scraped from a blog: the two shipped articles, and the rules one at a time."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from course.model import QA, ItemList, ListItem, Paragraph
from course.readers import read_article
from course.readers.text import read_text
from course.structure import assemble
from tests.course.conftest import BLOOD_FLOW, GLYCINATE, article_texts, headings

CHROME = ("×", "Read More", "Hot Articles", "Related Posts", "\ufe0f", "Symptom Decoder")


def _read(path: Path) -> object:
    return read_article(path, slug=path.stem)


def test_blood_flow_article_title_subtitle_and_headings() -> None:
    article = read_article(BLOOD_FLOW, slug="blood-flow")
    assert article.title == "Magnesium to Support Blood Flow and Nerve Recovery"
    assert article.subtitle is not None
    assert article.subtitle.startswith("A Complete, Solution-Oriented Guide")
    assert article.subtitle.endswith("Long-Term Neuromuscular Health")
    assert headings(article) == [
        "Introduction",
        "Understanding Blood Flow and Nerve Function",
        "Why Magnesium Is a Foundational Mineral",
        "Role of Magnesium in Blood Flow Regulation",
        "Magnesium and Vascular Smooth Muscle Relaxation",
        "Magnesium’s Role in Nerve Signaling and Repair",
        "Magnesium in Nerve Injury and Stroke Recovery",
        "Symptoms Linked to Magnesium Deficiency",
        "Root Causes of Low Magnesium Levels",
        "Best Forms of Magnesium for Circulation and Nerves",
        "Dosage, Timing, and Safety Guidelines",
        "Magnesium-Rich Diet for Blood Flow and Nerves",
        "Dietary Factors That Deplete Magnesium",
        "Supportive Nutrients and Synergies",
        "Yoga Practices to Improve Circulation and Nerve Health",
        "Pranayama to Enhance Blood Flow and Neural Calm",
        "A 60-Day Blood Flow and Nerve Recovery Protocol",
        "Frequently Asked Questions",
        "Final Thoughts",
        "Disclaimer",
    ]
    assert [section.index for section in article.sections] == list(range(20))
    assert article.sections[0].line == 7


def test_bullets_become_a_list() -> None:
    article = read_article(BLOOD_FLOW, slug="blood-flow")
    symptoms = article.sections[7]
    assert symptoms.blocks == (
        ItemList(
            items=tuple(
                ListItem(text)
                for text in (
                    "Poor circulation and cold hands or feet",
                    "Numbness, tingling, or burning sensations",
                    "Muscle cramps and spasms",
                    "Nerve pain or hypersensitivity",
                    "Fatigue and weakness",
                    "Restless legs or twitching",
                    "Slow healing after injury",
                )
            ),
            ordered=False,
        ),
    )
    yoga = article.sections[14]
    assert isinstance(yoga.blocks[0], Paragraph)
    assert isinstance(yoga.blocks[1], ItemList)
    assert len(yoga.blocks[1].items) == 4


def test_faq_pairs_questions_with_answers() -> None:
    faq = read_article(BLOOD_FLOW, slug="blood-flow").sections[17]
    assert faq.blocks == (
        QA(
            "Can magnesium improve nerve pain?",
            (Paragraph("Yes, it may reduce nerve hyperexcitability and support repair."),),
        ),
        QA(
            "Does magnesium lower blood pressure?",
            (Paragraph("It can support healthy blood pressure by relaxing blood vessels."),),
        ),
        QA(
            "How long does magnesium take to work?",
            (Paragraph("Some effects are noticed within days, with deeper recovery over weeks."),),
        ),
        QA(
            "Is magnesium safe for long-term use?",
            (Paragraph("Yes, when used appropriately and under professional guidance."),),
        ),
    )


def test_disclaimer_is_a_section_of_its_own() -> None:
    disclaimer = read_article(BLOOD_FLOW, slug="blood-flow").sections[-1]
    assert disclaimer.heading == "Disclaimer"
    assert disclaimer.blocks == (
        Paragraph(
            "This article is for educational purposes only and does not constitute medical "
            "advice. Always consult a qualified healthcare professional before using magnesium "
            "supplements, especially if you have kidney disease, neurological conditions, or "
            "take prescription medications."
        ),
    )


def test_close_glyph_and_teaser_block_are_removed_and_reported() -> None:
    article = read_article(BLOOD_FLOW, slug="blood-flow")
    text = " ".join([article.title, article.subtitle or "", *headings(article)])
    text += " ".join(article_texts(article))
    for chrome in CHROME:
        assert chrome not in text
    removed = [(item.line, item.text) for item in article.removed]
    assert removed[0] == (1, "×")
    assert removed[1] == (147, "Hot Articles")
    assert removed[-1] == (176, "Read More →")
    assert (170, "Digestive Health & Absorption") in removed  # its stray U+FE0F cleaned off


def test_glycinate_article_untitled_intro_and_numbered_points() -> None:
    article = read_article(GLYCINATE, slug="glycinate")
    assert article.title == "Magnesium Glycinate for Nerve Pain Relief: A Comprehensive Guide"
    assert article.subtitle is None  # the first line under the title is a sentence
    assert headings(article) == [
        "",
        "What is Magnesium Glycinate?",  # a title-case question heads a section
        "The Connection Between Magnesium and Nerve Pain",
        "How Magnesium Glycinate Can Help with Nerve Pain",
        "Dosage and Usage",
        "Potential Side Effects",
        "Conclusion",
    ]
    intro = article.sections[0]
    assert intro.untitled
    assert intro.line == 3
    assert isinstance(intro.blocks[0], Paragraph)
    assert intro.blocks[0].text.startswith("Nerve pain, also known as neuropathic pain")
    points = article.sections[3].blocks
    assert len(points) == 1
    assert isinstance(points[0], ItemList)
    assert points[0].ordered
    assert [item.lead for item in points[0].items] == [
        "Reduction of Inflammation",
        "Muscle Relaxation",
        "Neurotransmitter Regulation",
        "Improved Sleep Quality",
    ]
    assert points[0].items[1].text.startswith("Magnesium is known for its muscle-relaxing")
    assert [item.text for item in article.removed] == ["Related Posts"]


def test_typographic_text_is_kept() -> None:
    article = read_article(GLYCINATE, slug="glycinate")
    dosage = article.sections[4].blocks[0]
    assert isinstance(dosage, Paragraph)
    assert "it’s essential" in dosage.text


def _raw_words(path: Path) -> int:
    """Words of the file as written, without list markers ("•", "1.")."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return sum(len(re.sub(r"^\s*(?:•|\d+\.)\s+", "", line).split()) for line in lines)


def test_every_word_of_the_file_is_accounted_for() -> None:
    """Title, subtitle, sections and removed chrome add up to the file, word for word."""
    for path in (BLOOD_FLOW, GLYCINATE):
        article = read_article(path, slug=path.stem)
        title = len(article.title.split()) + len((article.subtitle or "").split())
        removed = sum(item.words() for item in article.removed)
        assert title + article.words() + removed == _raw_words(path), path.name


def _article(text: str) -> object:
    return assemble(read_text(text), slug="t", source=Path("t.txt"), format="text")


def test_hard_wrapped_lines_join_their_paragraph_or_item() -> None:
    article = assemble(
        read_text(
            "Title\n\nSection\n\nA paragraph wrapped\nacross two lines.\n\n"
            "• An item wrapped\n  onto a second line\n• Another\n"
        ),
        slug="t",
        source=Path("t.txt"),
        format="text",
    )
    assert article.sections[0].blocks == (
        Paragraph("A paragraph wrapped across two lines."),
        ItemList((ListItem("An item wrapped onto a second line"), ListItem("Another"))),
    )


def test_q_and_a_prefixes_make_pairs_anywhere() -> None:
    article = assemble(
        read_text("Title\n\nCommon Concerns\n\nQ: Is it safe?\n\nA: Mostly, yes.\n"),
        slug="t",
        source=Path("t.txt"),
        format="text",
    )
    assert article.sections[0].blocks == (QA("Is it safe?", (Paragraph("Mostly, yes."),)),)


def test_a_sentence_question_outside_an_faq_stays_a_paragraph() -> None:
    article = assemble(
        read_text("Title\n\nWhy Sleep Matters\n\nWhy does this matter?\n\nBecause it does.\n"),
        slug="t",
        source=Path("t.txt"),
        format="text",
    )
    assert article.sections[0].blocks == (
        Paragraph("Why does this matter?"),
        Paragraph("Because it does."),
    )


def test_short_subtitle_between_title_and_first_heading() -> None:
    article = assemble(
        read_text("Title\n\nA short dek\n\nIntroduction\n\nText here.\n"),
        slug="t",
        source=Path("t.txt"),
        format="text",
    )
    assert article.subtitle == "A short dek"
    assert headings(article) == ["Introduction"]


def test_blank_line_separated_numbered_points_form_one_list(
    write: Callable[[str, str], Path],
) -> None:
    path = write("steps.txt", "Title\n\nSteps\n\n1. First step.\n\n2. Second step.\n\nDone now.\n")
    article = read_article(path, slug="steps")
    assert article.sections[0].blocks == (
        ItemList((ListItem("First step."), ListItem("Second step.")), ordered=True),
        Paragraph("Done now."),
    )


def test_a_short_answer_under_an_faq_question_is_not_a_heading() -> None:
    article = assemble(
        read_text(
            "Title\n\nIntro\n\nText.\n\nFAQ\n\nCan I take it daily?\n\nYes, daily\n\n"
            "Is it safe?\n\nMostly.\n\nSummary\n\nDone.\n"
        ),
        slug="t",
        source=Path("t.txt"),
        format="text",
    )
    assert headings(article) == ["Intro", "FAQ", "Summary"]
    assert article.sections[1].blocks == (
        QA("Can I take it daily?", (Paragraph("Yes, daily"),)),
        QA("Is it safe?", (Paragraph("Mostly."),)),
    )


def test_bom_and_windows_line_endings_read_the_same(write: Callable[[str, bytes], Path]) -> None:
    text = GLYCINATE.read_text(encoding="utf-8")
    crlf = write("crlf.txt", b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    plain = read_article(GLYCINATE, slug="g")
    again = read_article(crlf, slug="g")
    assert (again.title, again.sections) == (plain.title, plain.sections)


def test_a_table_of_contents_is_chrome_and_a_stray_read_more_too() -> None:
    article = assemble(
        read_text(
            "Title\n\nTable of Contents\n\n• Benefits\n• How to Take It\n\n"
            "Benefits\n\nIt helps.\n\nRead More →\n\nHow to Take It\n\nWith food.\n"
        ),
        slug="t",
        source=Path("t.txt"),
        format="text",
    )
    assert headings(article) == ["Benefits", "How to Take It"]
    assert [section.index for section in article.sections] == [0, 1]
    assert article.sections[0].blocks == (Paragraph("It helps."),)
    assert [item.text for item in article.removed] == [
        "Read More →",
        "Table of Contents",
        "Benefits",
        "How to Take It",
    ]
