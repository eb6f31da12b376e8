"""The root of user-facing errors: the CLI prints the message as one line, exit status 1.

Each package raises its own subclass (course.errors.CourseError, ...) with a message
that says what is wrong and where: file and line, row number, or variable.
"""


class DripError(Exception):
    """A problem the user can fix; `str(error)` is the one-line message shown to them."""
