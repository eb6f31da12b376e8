"""Fixtures of the course builder's tests: the shipped articles, the test articles, the CLI."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from admin.cli import main
from course.model import QA, Article, Block, ItemList, Paragraph, Section
from drip.settings import DEFAULT_COURSE, get_settings

FIXTURES = Path(__file__).resolve().parent / "fixtures"
DEFAULT_ARTICLES = DEFAULT_COURSE.parent / "articles"
BLOOD_FLOW = DEFAULT_ARTICLES / "magnesium-for-blood-flow-and-nerve-recovery.txt"
GLYCINATE = DEFAULT_ARTICLES / "magnesium-glycinate-for-nerve-pain.txt"
# The sequence: a welcome, then the five lessons.
DEFAULT_LESSONS = [
    "welcome",
    "deficiency-signs",
    "best-forms",
    "diet",
    "yoga-and-pranayama",
    "sixty-day-protocol",
]


def texts_of(block: Block) -> list[str]:
    """The units of text in a block, as a reader sees them: a paragraph, an item, a Q or an A."""
    if isinstance(block, Paragraph):
        return [block.text]
    if isinstance(block, ItemList):
        return [f"{item.lead}: {item.text}" if item.lead else item.text for item in block.items]
    assert isinstance(block, QA)
    return [block.question, *(answer.text for answer in block.answer)]


def section_texts(section: Section) -> list[str]:
    return [text for block in section.blocks for text in texts_of(block)]


def article_texts(article: Article) -> list[str]:
    return [text for section in article.sections for text in section_texts(section)]


def headings(article: Article) -> list[str]:
    return [section.heading for section in article.sections]


@dataclass(frozen=True)
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def drip(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., CliResult]:
    """Run the `drip` command in-process, as the installed script does (errors: exit 1)."""

    def run(*args: str) -> CliResult:
        monkeypatch.setattr(sys, "argv", ["drip", *args])
        monkeypatch.setenv("COLUMNS", "200")
        get_settings.cache_clear()  # settings are read per process; each run is a process
        with pytest.raises(SystemExit) as exited:
            main()
        captured = capsys.readouterr()
        code = exited.value.code
        return CliResult(code if isinstance(code, int) else 1, captured.out, captured.err)

    return run


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str | bytes], Path]:
    """Write a file under tmp_path (text is dedented), returning its path."""

    def write_file(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
        return path

    return write_file
