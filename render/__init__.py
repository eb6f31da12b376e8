"""Rendering: lessons into inline-styled HTML emails with plain-text twins, in two stages.

Stage 1 (once per lesson and template version): `Renderer(course, sender, source)
.prepare_lesson(lesson)` gives a `PreparedEmail` whose bodies carry merge keys.
Stage 2 (per subscriber): `prepared.personalise(reader)`, or hand
`prepared.substitutions(reader)` to SendGrid with the stage-1 bodies.
"""

from render.checking import check_templates
from render.context import Sender
from render.errors import RenderError, TemplateCheckError, TemplateProblem
from render.kinds import KINDS, EmailKind
from render.merge import Reader
from render.renderer import Email, PreparedEmail, Renderer
from render.samples import sample_reader
from render.sources import TEMPLATES_DIR, load_templates, template_version

__all__ = [
    "KINDS",
    "TEMPLATES_DIR",
    "Email",
    "EmailKind",
    "PreparedEmail",
    "Reader",
    "RenderError",
    "Renderer",
    "Sender",
    "TemplateCheckError",
    "TemplateProblem",
    "check_templates",
    "load_templates",
    "sample_reader",
    "template_version",
]
