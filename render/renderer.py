"""Two-stage rendering: lessons into emails once, then per subscriber only merge fields.

Stage 1 (`Renderer.prepare`, once per lesson and template version) renders the
subject, the HTML body and the text body with a sentinel key for every merge field,
inlines the CSS with premailer and runs every check; a failed check raises, so a
broken email is never sent. Stage 2 (`PreparedEmail.personalise`, per subscriber)
is literal substitution, exactly what SendGrid does with a personalization's
`substitutions`: the delivery layer may send the stage-1 bodies plus
`PreparedEmail.substitutions(reader)` instead of rendering anything per recipient.

`Renderer.render_full` is the naive path (Jinja and premailer per subscriber); the
tests and `drip templates check` prove the two stages give the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property

from jinja2 import meta
from jinja2.sandbox import ImmutableSandboxedEnvironment

from course.model import Course, Lesson
from render import checks
from render.context import Sender, template_context
from render.environment import (
    TemplateSource,
    error_message,
    error_position,
    error_rule,
    make_environment,
    template_position,
)
from render.errors import RenderError, TemplateCheckError, TemplateProblem
from render.inline import inline_css
from render.kinds import (
    LESSON_KINDS,
    READER_FIELDS,
    EmailKind,
    as_kind,
    html_template,
    subject_template,
    text_template,
)
from render.merge import (
    KEY_SPLIT,
    Context,
    FieldUse,
    Reader,
    ReaderFields,
    ValueMaker,
    keys_in,
    sentinel_maker,
    substitutions_for,
    value_maker,
)
from render.samples import sample_reader
from render.sources import load_templates, template_version
from render.text import tidy

# Picks, for each template being rendered, what its merge fields print.
MakerFor = Callable[[Context], ValueMaker]


@dataclass(frozen=True)
class Email:
    """One subscriber's email: what a mail client shows."""

    subject: str
    html: str
    text: str


@dataclass(frozen=True)
class PreparedEmail:
    """A stage-1 email: bodies with merge keys, ready for any number of subscribers."""

    kind: EmailKind
    lesson_slug: str | None
    template_version: str
    subject: str
    html: str
    text: str
    uses: Mapping[str, FieldUse]  # merge field id -> the field and its fallback
    _parts: tuple[tuple[str, ...], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Split once at the keys, so stage 2 is a join, not a search through 30 KB.
        parts = tuple(tuple(KEY_SPLIT.split(b)) for b in (self.subject, self.html, self.text))
        object.__setattr__(self, "_parts", parts)

    @cached_property
    def keys(self) -> frozenset[tuple[str, Context]]:
        return frozenset(keys_in(self.subject, self.html, self.text))

    def substitutions(self, reader: Reader) -> dict[str, str]:
        """The substitutions for `reader` (SendGrid's `personalizations[].substitutions`)."""
        return substitutions_for(self.uses, self.keys, reader)

    def personalise(self, reader: Reader) -> Email:
        """Stage 2: `reader`'s email; the same as `drip.substitution.substitute` on each body."""
        subs = self.substitutions(reader)
        subject, html, text = (_fill(parts, subs) for parts in self._parts)
        return Email(subject, html, text)


def _fill(parts: tuple[str, ...], subs: dict[str, str]) -> str:
    filled = list(parts)
    for index in range(1, len(filled), 2):
        filled[index] = subs[filled[index]]
    return "".join(filled)


@dataclass
class _Output:
    """One template's output, and where it read each merge field."""

    text: str = ""
    accesses: list[tuple[str, tuple[str, int] | None]] = field(default_factory=list)

    def note_use(self, field_name: str) -> None:
        """Where the template reads `reader.<field_name>` (file and line)."""
        self.accesses.append((field_name, template_position()))


class Renderer:
    """Renders one course's emails from one template set, with the sender's details."""

    def __init__(
        self, course: Course, sender: Sender, source: TemplateSource | None = None
    ) -> None:
        self.course = course
        self.sender = sender
        self.source: dict[str, str] = dict(source if source is not None else load_templates())
        self.version = template_version(self.source)
        self.environment: ImmutableSandboxedEnvironment = make_environment(self.source)
        self._prepared: dict[tuple[EmailKind, str | None], PreparedEmail] = {}
        self._scans: dict[str, list[TemplateProblem]] = {}

    # --- the API ------------------------------------------------------------------

    def kind_of(self, lesson: Lesson) -> EmailKind:
        kind = as_kind(lesson.template)
        if kind not in LESSON_KINDS:
            raise RenderError(
                f"lesson {lesson.slug!r} asks for template {kind!r}, not a lesson kind"
            )
        return kind

    def prepare_lesson(self, lesson: Lesson) -> PreparedEmail:
        """Stage 1 for a lesson, as its kind (welcome or lesson) says."""
        return self.prepare(self.kind_of(lesson), lesson)

    def prepare(self, kind: EmailKind, lesson: Lesson | None = None) -> PreparedEmail:
        """Stage 1, cached: raises TemplateCheckError when any check fails."""
        cache_key = (kind, lesson.slug if lesson is not None else None)
        if cache_key not in self._prepared:
            prepared, problems = self.attempt(kind, lesson)
            if problems or prepared is None:
                raise TemplateCheckError(problems)
            self._prepared[cache_key] = prepared
        return self._prepared[cache_key]

    def attempt(
        self, kind: EmailKind, lesson: Lesson | None = None
    ) -> tuple[PreparedEmail | None, list[TemplateProblem]]:
        """Stage 1 and every check, returning the problems rather than raising."""
        self._expect_lesson(kind, lesson)
        uses: dict[str, FieldUse] = {}
        outputs, problems = self._render_all(kind, lesson, lambda ctx: _recording(ctx, uses))
        if problems:
            return None, problems
        subject, html, text = (out.text for out in outputs)
        prepared = PreparedEmail(kind, _slug(lesson), self.version, subject, html, text, uses)
        label = self.label(kind, lesson)
        problems = self._merge_problems(prepared, outputs, label) or self._check(prepared, lesson)
        return prepared, problems

    def render_full(self, kind: EmailKind, lesson: Lesson | None, reader: Reader) -> Email:
        """The naive path: Jinja and premailer for this one reader (tests, benchmark)."""
        self._expect_lesson(kind, lesson)
        make = value_maker(reader)
        outputs, problems = self._render_all(kind, lesson, lambda _ctx: make)
        if problems:
            raise TemplateCheckError(problems)
        subject, html, text = (out.text for out in outputs)
        return Email(subject, html, text)

    def label(self, kind: EmailKind, lesson: Lesson | None) -> str:
        return f"lesson {lesson.position} ({lesson.slug})" if lesson is not None else kind

    # --- rendering ----------------------------------------------------------------

    def _expect_lesson(self, kind: EmailKind, lesson: Lesson | None) -> None:
        if (kind in LESSON_KINDS) != (lesson is not None):
            needs = "needs a lesson" if kind in LESSON_KINDS else "takes no lesson"
            raise RenderError(f"the {kind} email {needs}")

    def _render_all(
        self, kind: EmailKind, lesson: Lesson | None, maker: MakerFor
    ) -> tuple[list[_Output], list[TemplateProblem]]:
        variables = template_context(self.course, lesson, self.sender) | {"kind": kind}
        jobs: list[tuple[str, Context]] = [
            (subject_template(kind), "text"),
            (html_template(kind), "html"),
            (text_template(kind), "text"),
        ]
        outputs, problems = [], []
        for name, context in jobs:
            output = _Output()
            reader = ReaderFields(kind, READER_FIELDS[kind], maker(context), output.note_use)
            try:
                template = self.environment.get_template(name)
                output.text = template.render(variables | {"reader": reader})
            except Exception as error:  # a template's own mistake, whatever it raised
                problems.append(self._problem(error, name, lesson, kind))
            outputs.append(output)
        if problems:
            return outputs, problems
        subject, html, text = outputs
        subject.text = " ".join(subject.text.split())
        text.text = tidy(text.text)
        if not html.text.strip():
            problem = TemplateProblem(html_template(kind), None, "html-empty", "the HTML is empty")
            return outputs, [replace(problem, email=self.label(kind, lesson))]
        html.text = inline_css(html.text)
        return outputs, []

    def _problem(
        self, error: BaseException, name: str, lesson: Lesson | None, kind: EmailKind
    ) -> TemplateProblem:
        file, line = error_position(error, name)
        return TemplateProblem(
            file, line, error_rule(error), error_message(error), self.label(kind, lesson)
        )

    # --- checks -------------------------------------------------------------------

    def _merge_problems(
        self, prepared: PreparedEmail, outputs: list[_Output], label: str
    ) -> list[TemplateProblem]:
        """Merge fields a template used but changed (a filter), and keys nobody defined."""
        problems = []
        for output, body in zip(
            outputs, (prepared.subject, prepared.html, prepared.text), strict=True
        ):
            printed = {field_id.split("~")[0] for field_id, _ in keys_in(body)}
            for field_name, position in output.accesses:
                if field_name not in printed and position is not None:
                    problems.append(
                        TemplateProblem(
                            position[0],
                            position[1],
                            "merge-field",
                            f"reader.{field_name} is used but does not reach the email as it is; "
                            "merge fields are filled in per subscriber, so filters (other than "
                            "fallback) cannot change them",
                            label,
                        )
                    )
        for field_id, _ in prepared.keys - {(i, c) for i in prepared.uses for c in _CONTEXTS}:
            problems.append(
                TemplateProblem(
                    html_template(prepared.kind),
                    None,
                    "merge-field",
                    f"unknown merge key for {field_id!r}: use reader.<field> instead",
                    label,
                )
            )
        return checks.without_duplicates(problems, key=lambda p: (p.file, p.line, p.message))

    def _check(self, prepared: PreparedEmail, lesson: Lesson | None) -> list[TemplateProblem]:
        kind = prepared.kind
        sample = prepared.personalise(sample_reader(self.sender))
        required_texts = {"required-postal-address": self.sender.postal_address}
        if lesson is not None:
            required_texts["required-progress"] = (
                f"Lesson {lesson.position} of {len(self.course.lessons)}"
            )
            if self.course.disclaimer.strip():
                required_texts["required-disclaimer"] = self.course.disclaimer
        email = checks.EmailUnderCheck(
            label=self.label(kind, lesson),
            subject_file=subject_template(kind),
            html_file=html_template(kind),
            text_file=text_template(kind),
            subject=prepared.subject,
            html=prepared.html,
            text=prepared.text,
            sample_subject=sample.subject,
            sample_html=sample.html,
            sample_text=sample.text,
            required_links=tuple(f for f in READER_FIELDS[kind] if f.endswith("_url")),
            required_texts=required_texts,
        )
        scanned = [p for name in self._html_files(kind) for p in self._scan(name)]
        # A tag rule found in the files already has its line; the output check is the
        # backstop for tags that only expressions make.
        in_files = {p.rule for p in scanned}
        whole = [
            p
            for p in checks.check_email(email)
            if not (p.rule in checks.TAG_RULES and p.rule in in_files)
        ]
        return scanned + whole

    def _scan(self, name: str) -> list[TemplateProblem]:
        if name not in self._scans:
            self._scans[name] = checks.scan_template(name, self.source[name])
        return self._scans[name]

    def _html_files(self, kind: EmailKind) -> list[str]:
        """The kind's HTML template and every template it extends, includes or imports."""
        found: list[str] = []
        pending = [html_template(kind)]
        while pending:
            name = pending.pop()
            if name in found or name not in self.source or not name.endswith(".html"):
                continue
            found.append(name)
            ast = self.environment.parse(self.source[name], name)
            pending.extend(n for n in meta.find_referenced_templates(ast) if n is not None)
        return found


_CONTEXTS: tuple[Context, ...] = ("text", "html", "attr")


def _recording(context: Context, uses: dict[str, FieldUse]) -> ValueMaker:
    """Stage-1 keys, noting each field use (and fallback) the email will need values for."""
    keys = sentinel_maker(context)

    def make(use: FieldUse) -> tuple[str, str]:
        uses[use.id] = use
        return keys(use)

    return make


def _slug(lesson: Lesson | None) -> str | None:
    return lesson.slug if lesson is not None else None
