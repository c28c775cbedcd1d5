"""The one exception type users see.

Every refusal names the construct, the user's file and line, and the way out, so a
user never has to read a traceback from inside the compiler to learn what went wrong.
"""

LIMITATIONS = "see docs/limitations.md"


class S2SADError(Exception):
    """A function or a call that s2sad cannot differentiate correctly."""

    def __init__(self, message, filename=None, lineno=None, construct=None, hint=None):
        self.construct = construct
        self.filename = filename
        self.lineno = lineno
        where = f"{filename}:{lineno}: " if filename and lineno else (f"{filename}: " if filename else "")
        text = f"{where}{message}"
        if hint:
            text += f" ({hint})"
        super().__init__(text)


class Location:
    """Where a node of the user's function came from: file, line, and the line's text."""

    __slots__ = ("filename", "lineno", "text")

    def __init__(self, filename, lineno, text=""):
        self.filename = filename
        self.lineno = lineno
        self.text = text

    def error(self, message, construct=None, hint=LIMITATIONS):
        return S2SADError(message, self.filename, self.lineno, construct, hint)

    def __repr__(self):
        return f"{self.filename}:{self.lineno}"
