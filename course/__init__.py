"""The course builder: source articles (text, Markdown, HTML) to a drip sequence of lessons.

`load_course(spec)` is what the other parts use; `build_course(spec)` adds the report of
what became of every section.
"""

from course.build import Build, Fate, build_course, load_course
from course.errors import CourseError

__all__ = ["Build", "CourseError", "Fate", "build_course", "load_course"]
