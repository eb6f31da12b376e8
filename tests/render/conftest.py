"""Fixtures for the rendering tests: a realistic sample course, the sender, renderers.

The sample course is built by hand from the magnesium articles' own text (as the
course builder would build it): six lessons with paragraphs, lists with bold
lead-ins, questions and answers, untitled introductions, and the disclaimer.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from course import load_course
from course.model import QA, Course, ItemList, Lesson, ListItem, Paragraph, Section
from drip.settings import DEFAULT_COURSE, Settings
from render import Renderer, Sender, load_templates

DISCLAIMER = (
    "This course is for educational purposes only and does not constitute medical "
    "advice. Always consult a qualified healthcare professional before using magnesium "
    "supplements, especially if you have kidney disease, neurological conditions, or "
    "take prescription medications."
)


def _section(article: str, index: int, heading: str, *blocks: object) -> Section:
    return Section(heading=heading, blocks=blocks, article=article, index=index)  # type: ignore[arg-type]


def _p(text: str) -> Paragraph:
    return Paragraph(text)


GLYCINATE = "magnesium-glycinate-for-nerve-pain"
BLOOD_FLOW = "magnesium-for-blood-flow-and-nerve-recovery"

LESSONS = (
    Lesson(
        position=1,
        slug="welcome",
        title="Why magnesium matters for your nerves",
        subject="Welcome: why magnesium matters for your nerves",
        preheader="Day 1 of 6: how blood flow and nerve health depend on one mineral.",
        template="welcome",
        sections=(
            _section(
                BLOOD_FLOW,
                0,
                "",
                _p(
                    "Healthy blood flow and intact nerve function are deeply interconnected. "
                    "Blood delivers oxygen, glucose, and nutrients that nerves require for "
                    "repair and signaling, while healthy nerves regulate vessel tone and "
                    "circulation."
                ),
                _p(
                    "Magnesium is one of the most critical yet commonly deficient minerals "
                    "involved in both circulation and nerve recovery. Acting as a natural "
                    "calcium regulator, magnesium relaxes blood vessels, improves "
                    "microcirculation, stabilizes nerve signaling, and supports tissue repair."
                ),
            ),
            _section(
                BLOOD_FLOW,
                2,
                "Why Magnesium Is a Foundational Mineral",
                _p(
                    "Magnesium participates in over 300 enzymatic reactions in the body, "
                    "including energy production, muscle contraction, nerve transmission, "
                    "and vascular regulation."
                ),
            ),
        ),
    ),
    Lesson(
        position=2,
        slug="deficiency-signs",
        title="The quiet signs of low magnesium",
        subject="Lesson 2: the quiet signs of low magnesium",
        preheader="Cold hands, cramps, tingling: what your body may be telling you.",
        sections=(
            _section(
                BLOOD_FLOW,
                8,
                "Symptoms Linked to Magnesium Deficiency",
                ItemList(
                    (
                        ListItem("Poor circulation and cold hands or feet"),
                        ListItem("Numbness, tingling, or burning sensations"),
                        ListItem("Muscle cramps and spasms"),
                        ListItem("Restless legs or twitching"),
                        ListItem("Slow healing after injury"),
                    )
                ),
            ),
            _section(
                BLOOD_FLOW,
                9,
                "Root Causes of Low Magnesium Levels",
                _p(
                    "Magnesium depletion is driven by chronic stress, high sugar intake, "
                    "alcohol use, diuretics, acid-suppressing medications, and poor dietary "
                    "intake."
                ),
            ),
        ),
    ),
    Lesson(
        position=3,
        slug="best-forms",
        title="Which magnesium, and how much",
        subject="Lesson 3: which magnesium, and how much",
        preheader="Glycinate, malate, threonate, citrate: what each form is good for.",
        sections=(
            _section(
                GLYCINATE,
                3,
                "How Magnesium Glycinate Can Help with Nerve Pain",
                ItemList(
                    (
                        ListItem(
                            "Magnesium glycinate has anti-inflammatory properties that can "
                            "help reduce swelling and pain associated with nerve damage.",
                            lead="Reduction of Inflammation",
                        ),
                        ListItem(
                            "Tension in surrounding muscles can exacerbate nerve pain, so by "
                            "promoting relaxation, magnesium glycinate can help alleviate "
                            "discomfort.",
                            lead="Muscle Relaxation",
                        ),
                        ListItem(
                            "Magnesium glycinate is known for its calming effects and can "
                            "improve sleep quality, allowing for better recovery.",
                            lead="Improved Sleep Quality",
                        ),
                    ),
                    ordered=True,
                ),
            ),
            _section(
                GLYCINATE,
                4,
                "Dosage and Usage",
                _p(
                    "Generally, a dosage of 200-400 mg per day is commonly recommended, but "
                    "individual needs may vary based on factors such as age, sex, and "
                    "overall health."
                ),
            ),
        ),
    ),
    Lesson(
        position=4,
        slug="diet",
        title="Eating for magnesium",
        subject="Lesson 4: eating for magnesium",
        preheader="Leafy greens, seeds and cacao, and what quietly drains your stores.",
        sections=(
            _section(
                BLOOD_FLOW,
                13,
                "Magnesium-Rich Diet for Blood Flow and Nerves",
                _p(
                    "Leafy greens, nuts, seeds, legumes, whole grains, cacao, and "
                    "mineral-rich water help restore magnesium levels and improve vascular "
                    "and nerve health."
                ),
            ),
            _section(
                BLOOD_FLOW,
                14,
                "Dietary Factors That Deplete Magnesium",
                ItemList(
                    (
                        ListItem("High sugar and refined carbohydrate intake"),
                        ListItem("Excess caffeine and alcohol"),
                        ListItem("Highly processed foods"),
                    )
                ),
            ),
        ),
    ),
    Lesson(
        position=5,
        slug="yoga-and-pranayama",
        title="Moving and breathing for circulation",
        subject="Lesson 5: moving and breathing for circulation",
        preheader="Four gentle poses and one breathing habit for calmer nerves.",
        sections=(
            _section(
                BLOOD_FLOW,
                16,
                "Yoga Practices to Improve Circulation and Nerve Health",
                _p("Gentle movement encourages blood flow and nerve signaling."),
                ItemList(
                    (
                        ListItem("Legs-up-the-wall pose"),
                        ListItem("Gentle spinal twists"),
                        ListItem("Seated forward bends"),
                    )
                ),
            ),
            _section(
                BLOOD_FLOW,
                17,
                "Pranayama to Enhance Blood Flow and Neural Calm",
                _p(
                    "Slow diaphragmatic breathing, extended exhalations, and rhythmic "
                    "breathing improve vascular relaxation and calm nerve hyperactivity."
                ),
            ),
        ),
    ),
    Lesson(
        position=6,
        slug="sixty-day-protocol",
        title="Your 60-day protocol",
        subject="Lesson 6: your 60-day protocol",
        preheader="Putting it together: two months, one simple daily routine.",
        sections=(
            _section(
                BLOOD_FLOW,
                18,
                "A 60-Day Blood Flow and Nerve Recovery Protocol",
                _p(
                    "For two months, take magnesium daily, follow a magnesium-rich diet, "
                    "and prioritize hydration."
                ),
            ),
            _section(
                BLOOD_FLOW,
                19,
                "Frequently Asked Questions",
                QA(
                    "Can magnesium improve nerve pain?",
                    (_p("Yes, it may reduce nerve hyperexcitability and support repair."),),
                ),
                QA(
                    "How long does magnesium take to work?",
                    (
                        _p("Some effects are noticed within days."),
                        _p("Deeper recovery takes weeks."),
                    ),
                ),
            ),
        ),
    ),
)


def sample_course() -> Course:
    return Course(
        slug="magnesium",
        title="The Magnesium Course",
        description="Six short lessons on magnesium for blood flow and nerve recovery.",
        disclaimer=DISCLAIMER,
        lessons=LESSONS,
    )


@pytest.fixture
def course() -> Course:
    return sample_course()


@pytest.fixture(scope="session")
def default_course() -> Course:
    """The bundled magnesium course, as the course builder reads it."""
    return load_course(DEFAULT_COURSE)


@pytest.fixture
def sender(settings: Settings) -> Sender:
    return Sender.from_settings(settings)


@pytest.fixture
def templates() -> dict[str, str]:
    """The shipped template set (a fresh dict: tests may change it)."""
    return load_templates()


@pytest.fixture
def renderer(course: Course, sender: Sender) -> Renderer:
    return Renderer(course, sender)


@pytest.fixture
def overlay(course: Course, sender: Sender, templates: dict[str, str]) -> Overlay:
    """A renderer whose template set is the shipped one with some files replaced."""

    def make(files: dict[str, str], edit_course: Course | None = None) -> Renderer:
        return Renderer(edit_course or course, sender, templates | files)

    return make


Overlay = Callable[..., Renderer]


def edited(templates: dict[str, str], name: str, old: str, new: str) -> dict[str, str]:
    """`{name: templates[name]}` with `old` replaced by `new` (which must be there)."""
    assert old in templates[name], f"{old!r} is not in {name}"
    return {name: templates[name].replace(old, new, 1)}


def line_of(text: str, needle: str) -> int:
    """The 1-based line of `needle` in `text`."""
    return text[: text.index(needle)].count("\n") + 1


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def drip(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], settings: Settings
) -> Callable[..., CliResult]:
    """Runs `drip ARGS...` in-process (on the default course); returns exit code and output."""
    import admin.cli
    from admin.cli import preview_commands

    monkeypatch.setattr(preview_commands, "get_settings", lambda: settings)

    def run(*args: str) -> CliResult:
        monkeypatch.setattr(sys, "argv", ["drip", *args])
        code = 0
        try:
            admin.cli.main()
        except SystemExit as exit:
            code = exit.code if isinstance(exit.code, int) else 1
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run
