"""Every check fails a broken template with the file, line and rule to fix."""

from __future__ import annotations

from dataclasses import replace

import pytest

from course.model import Course
from render import Renderer, Sender, TemplateCheckError, TemplateProblem, check_templates

from .conftest import LESSONS, Overlay, edited, line_of


def _problems(renderer: Renderer) -> list[TemplateProblem]:
    return check_templates(renderer.course, renderer.sender, renderer.source)


def _only(problems: list[TemplateProblem], rule: str) -> list[TemplateProblem]:
    found = [p for p in problems if p.rule == rule]
    assert found, f"no {rule!r} problem among {[str(p) for p in problems]}"
    return found


def test_the_shipped_templates_pass_every_check(renderer: Renderer) -> None:
    assert _problems(renderer) == []


def test_a_syntax_error_names_the_file_and_line(
    overlay: Overlay, templates: dict[str, str]
) -> None:
    broken = edited(templates, "macros.html", "{% endfor %}\n{% endmacro %}", "{% endmacro %}")
    [problem] = _only(_problems(overlay(broken)), "syntax")
    assert problem.file == "macros.html"
    assert problem.line is not None
    assert problem.line > 1


def test_an_undefined_variable_names_the_file_and_line(
    overlay: Overlay, templates: dict[str, str]
) -> None:
    broken = edited(templates, "lesson.html", "{{ lesson.title }}", "{{ lesson.titel }}")
    [problem] = _only(_problems(overlay(broken)), "undefined")
    assert (problem.file, problem.line) == ("lesson.html", line_of(broken["lesson.html"], "titel"))
    assert "titel" in problem.message


def test_an_undefined_variable_in_a_macro_points_into_the_macro_file(
    overlay: Overlay, templates: dict[str, str]
) -> None:
    broken = edited(templates, "macros.txt", "{{ course.disclaimer | wrap }}", "{{ disclamer }}")
    problems = _only(_problems(overlay(broken)), "undefined")
    assert {(p.file, p.line) for p in problems} == {
        ("macros.txt", line_of(broken["macros.txt"], "disclamer"))
    }


def test_every_problem_is_listed_not_just_the_first(
    overlay: Overlay, templates: dict[str, str]
) -> None:
    broken = edited(templates, "lesson.html", "{{ lesson.title }}", "{{ lesson.titel }}")
    broken |= edited(templates, "confirmation.txt", "{{ sender.name }}", "{{ sender.nmae }}")
    broken |= {"unsubscribed.subject.txt": "{% if %}\n"}
    rules = {(p.file, p.rule) for p in _problems(overlay(broken))}
    assert rules >= {
        ("lesson.html", "undefined"),
        ("confirmation.txt", "undefined"),
        ("unsubscribed.subject.txt", "syntax"),
    }


def test_prepare_refuses_a_broken_template_with_a_one_line_error(
    overlay: Overlay, templates: dict[str, str]
) -> None:
    broken = edited(templates, "lesson.html", "{{ lesson.title }}", "{{ lesson.titel }}")
    with pytest.raises(TemplateCheckError) as caught:
        overlay(broken).prepare_lesson(LESSONS[1])
    line = line_of(broken["lesson.html"], "titel")
    assert str(caught.value).startswith(f"lesson.html:{line}: [undefined]")
    assert "\n" not in str(caught.value)


def test_the_sandbox_refuses_internals(overlay: Overlay, templates: dict[str, str]) -> None:
    broken = edited(
        templates, "lesson.html", "{{ lesson.title }}", "{{ lesson.__class__.__mro__ }}"
    )
    [problem] = _only(_problems(overlay(broken)), "sandbox")
    assert problem.file == "lesson.html"


def test_testing_a_merge_field_is_refused_where_it_is_written(
    overlay: Overlay, templates: dict[str, str]
) -> None:
    broken = edited(
        templates,
        "unsubscribed.html",
        "<p>We've",
        "{% if reader.name %}Dear you{% endif %}<p>We've",
    )
    [problem] = _only(_problems(overlay(broken)), "merge-field")
    where = ("unsubscribed.html", line_of(broken["unsubscribed.html"], "if reader.name"))
    assert (problem.file, problem.line) == where
    assert "fallback" in problem.message


def test_a_filtered_merge_field_is_reported_where_it_is_used(
    overlay: Overlay, templates: dict[str, str]
) -> None:
    broken = edited(templates, "lesson.html", '| fallback("there") }}', "| upper }}")
    [problem] = _only(_problems(overlay(broken)), "merge-field")
    assert (problem.file, problem.line) == ("lesson.html", line_of(broken["lesson.html"], "upper"))


def test_a_merge_field_changed_after_printing_fails_the_two_stage_check(
    overlay: Overlay, templates: dict[str, str]
) -> None:
    # Wrapping a paragraph that holds the name breaks its lines where the key, not the
    # name, ends: only the comparison with a full render can see it.
    long_line = "Hi " + '{{ (reader.name ~ ", " ~ "so glad you are here, " * 6) | wrap }}'
    broken = edited(templates, "lesson.txt", 'Hi {{ reader.name | fallback("there") }},', long_line)
    problems = _only(_problems(overlay(broken)), "two-stage")
    assert {p.file for p in problems} == {"lesson.txt"}


@pytest.mark.parametrize(
    ("tag", "rule"),
    [
        ("<script>alert(1)</script>", "html-forbidden"),
        ('<link rel="stylesheet" href="https://cdn.example.com/x.css">', "html-forbidden"),
        ('<img src="https://example.com/leaf.png" width="40">', "html-img-alt"),
        ("<table><tr><td>x</td></tr></table>", "html-table-role"),
        ('<a href="/about">about</a>', "html-link"),
        ('<a href="javascript:alert(1)">x</a>', "html-forbidden"),
        ('<p onclick="steal()">x</p>', "html-forbidden"),
    ],
)
def test_tag_rules_name_the_line_of_the_tag(
    overlay: Overlay, templates: dict[str, str], tag: str, rule: str
) -> None:
    broken = edited(templates, "lesson.html", "<h1>", f"{tag}\n<h1>")
    problems = _only(_problems(overlay(broken)), rule)
    assert ("lesson.html", line_of(broken["lesson.html"], tag)) in {
        (p.file, p.line) for p in problems
    }


def test_a_dynamic_tag_is_caught_in_the_output(overlay: Overlay, templates: dict[str, str]) -> None:
    broken = edited(templates, "lesson.html", "<h1>", '{{ "<img src=\\"x.png\\">" | safe }}<h1>')
    [problem] = _only(_problems(overlay(broken)), "html-img-alt")
    assert (problem.file, problem.line) == ("lesson.html", None)


@pytest.mark.parametrize(
    ("file", "old", "rule"),
    [
        (
            "macros.html",
            '<a href="{{ reader.unsubscribe_url }}">Unsubscribe</a>',
            "required-unsubscribe",
        ),
        (
            "macros.html",
            '<a href="{{ reader.preferences_url }}">Delivery time &amp; pause</a>',
            "required-preferences",
        ),
        (
            "macros.html",
            '<a href="{{ reader.view_url }}">View in your browser</a>',
            "required-view",
        ),
        ("macros.html", "{{ course.disclaimer }}", "required-disclaimer"),
        ("macros.html", "Lesson {{ lesson.position }} of {{ lesson.total }}", "required-progress"),
    ],
)
def test_required_parts_of_a_lesson(
    overlay: Overlay, templates: dict[str, str], file: str, old: str, rule: str
) -> None:
    problems = _only(_problems(overlay(edited(templates, file, old, ""))), rule)
    assert {p.file for p in problems} >= {"lesson.html"}


def test_the_text_twin_needs_the_links_too(overlay: Overlay, templates: dict[str, str]) -> None:
    broken = edited(templates, "macros.txt", "{{ reader.unsubscribe_url }}", "")
    problems = _only(_problems(overlay(broken)), "required-unsubscribe")
    assert {p.file for p in problems} == {"lesson.txt", "welcome.txt"}


def test_every_email_needs_the_postal_address(overlay: Overlay, templates: dict[str, str]) -> None:
    broken = edited(templates, "base.html", "{{ sender.postal_address }}", "")
    problems = _only(_problems(overlay(broken)), "required-postal-address")
    assert {p.email for p in problems} == {"confirmation", "unsubscribed"}


def test_the_confirmation_needs_its_link(overlay: Overlay, templates: dict[str, str]) -> None:
    broken = edited(
        templates,
        "confirmation.html",
        "{{ ui.button(reader.confirm_url, ",
        "{{ ui.button(sender.base_url, ",
    )
    broken = {
        "confirmation.html": broken["confirmation.html"].replace(
            '<a href="{{ reader.confirm_url }}">', '<a href="{{ sender.base_url }}">'
        )
    }
    [problem] = _only(_problems(overlay(broken)), "required-confirm")
    assert problem.file == "confirmation.html"


@pytest.mark.parametrize(
    ("file", "old", "new", "rule"),
    [
        ("base.html", '<html lang="en" dir="ltr">', "<html>", "html-lang"),
        (
            "base.html",
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            "",
            "html-meta",
        ),
        ("base.html", '<meta name="color-scheme" content="light dark">', "", "html-meta"),
        ("base.html", '<div class="preheader">', '<div class="shown">', "html-preheader"),
        ("base.html", 'class="container" width="600"', 'class="wide" width="800"', "html-layout"),
        (
            "macros.html",
            '<td class="button-cell" bgcolor="#2e6b5a">\n      <a',
            '<td>\n      <a style="background-color: #2e6b5a"',
            "html-button",
        ),
        ("style.css", "@media only screen", "@supports (display: grid)", "html-media"),
        (
            "style.css",
            "p { margin: 0 0 18px 0; font-size: 17px;",
            "p { margin: 0 0 18px 0; font-size: 14px;",
            "html-font-size",
        ),
        (
            "style.css",
            ".footer p { margin: 0 0 10px 0; font-size: 13px;",
            ".footer p { margin: 0 0 10px 0; font-size: 10px;",
            "html-font-size",
        ),
    ],
)
def test_rules_about_the_whole_email(
    overlay: Overlay, templates: dict[str, str], file: str, old: str, new: str, rule: str
) -> None:
    problems = _only(_problems(overlay(edited(templates, file, old, new))), rule)
    assert all(p.file.endswith(".html") for p in problems)


def test_an_email_over_102_kb_is_refused(overlay: Overlay, templates: dict[str, str]) -> None:
    filler = "<p>{{ course.description }}</p>\n" * 1200
    [problem, *_] = _only(
        _problems(overlay(edited(templates, "lesson.html", "<h1>", filler + "<h1>"))), "html-size"
    )
    assert "Gmail clips" in problem.message


def test_text_lines_stay_under_78_columns(overlay: Overlay, templates: dict[str, str]) -> None:
    long = "This sentence is far too long to fit on one line of a plain-text email, by design."
    broken = edited(
        templates, "unsubscribed.txt", "Thank you for reading", long + "\nThank you for reading"
    )
    [problem] = _only(_problems(overlay(broken)), "text-width")
    assert problem.file == "unsubscribed.txt"


def test_long_links_may_exceed_the_width(course: Course, sender: Sender) -> None:
    long_base = replace(sender, base_url="https://courses.example.com/a/very/long/path/to/the/app")
    assert check_templates(course, long_base) == []


def test_html_in_the_text_twin_is_refused(overlay: Overlay, templates: dict[str, str]) -> None:
    broken = edited(
        templates, "unsubscribed.txt", "Thank you for reading", "<p>Thank you for reading"
    )
    _only(_problems(overlay(broken)), "text-markup")


def test_an_empty_subject_is_refused(overlay: Overlay) -> None:
    [problem] = _only(_problems(overlay({"confirmation.subject.txt": "  \n"})), "subject")
    assert problem.file == "confirmation.subject.txt"


def test_a_missing_template_file_is_named(
    course: Course, sender: Sender, templates: dict[str, str]
) -> None:
    without = {k: v for k, v in templates.items() if k != "unsubscribed.txt"}
    problems = _only(check_templates(course, sender, without), "missing-template")
    assert "unsubscribed.txt" in {p.file for p in problems}


def test_a_problem_reads_as_one_line_with_file_line_and_rule() -> None:
    problem = TemplateProblem("lesson.html", 12, "html-img-alt", "<img>: needs alt", "lesson 2 (x)")
    assert str(problem) == "lesson.html:12: [html-img-alt] <img>: needs alt (in lesson 2 (x))"


@pytest.mark.parametrize(
    ("lesson_html", "rule", "line"),
    [
        ("", "html-empty", None),
        (
            '{% extends "base.html" %}{% block content %}{% include "nope.html" %}{% endblock %}',
            "missing-template",
            1,
        ),
        ('{% extends "base.html" %}\n{% block content %}{{ 1 / 0 }}{% endblock %}', "render", 2),
    ],
)
def test_broken_emails_are_problems_never_crashes(
    overlay: Overlay, lesson_html: str, rule: str, line: int | None
) -> None:
    [problem] = _only(_problems(overlay({"lesson.html": lesson_html})), rule)
    assert (problem.file, problem.line) == ("lesson.html", line)


def test_a_merge_field_the_kind_lacks_is_named_with_those_it_has(
    overlay: Overlay, templates: dict[str, str]
) -> None:
    broken = edited(templates, "lesson.html", "<h1>", "{{ reader.confirm_url }}<h1>")
    [problem] = _only(_problems(overlay(broken)), "undefined")
    assert (problem.file, problem.line) == (
        "lesson.html",
        line_of(broken["lesson.html"], "confirm"),
    )
    assert "reader.confirm_url is not a merge field of lesson emails" in problem.message
    assert "reader.unsubscribe_url" in problem.message
