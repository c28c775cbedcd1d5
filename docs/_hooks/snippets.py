"""Code shown in the docs is code that ran: an MkDocs hook, and a script that refreshes the pages.

A page marks its live blocks with HTML comments (invisible once rendered):

    <!-- define: example -->       the ```python block after it is saved as example.py and imported;
                                   later snippets on the page see its names
    <!-- run: EXPR -->             the fenced block after it is replaced by what EXPR prints and returns
                                   (a str as is, anything else as repr); names: define blocks, s2sad, np,
                                   inspect, and helpers (docs/_hooks/helpers.py)
    <!-- raises: EXPR -->          the same for an EXPR that must raise: `TypeName: message`
    <!-- shell: s2sad dump ... --> the fenced block after it becomes "$ COMMAND" and the command's output,
                                   run in the folder of the define blocks (`s2sad` and `python` only;
                                   a path like examples/NAME.py is found in the repository)
    <!-- markdown: EXPR -->        the text up to the next <!-- end --> is replaced by EXPR (a str of markdown)

`mkdocs build` runs every snippet (the hook below), so the site always shows what the installed
s2sad does; a snippet that fails fails the build. `python docs/_hooks/snippets.py` rewrites the
pages in docs/ with fresh output too, so they read right on GitHub; `--check` only reports stale ones.
"""

import contextlib
import importlib.util
import inspect
import io
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

MARKER = re.compile(r"<!-- (define|run|raises|shell|markdown): (.*?) -->\n")
FENCE = re.compile(r"(```[^\n]*\n)(.*?)(^```[ \t]*$)", re.S | re.M)
END = "<!-- end -->"
ROOT = Path(__file__).resolve().parent.parent.parent  # the repository


class SnippetError(Exception):
    """A snippet that did not run as the page says; the message names the page and the marker."""


class Page:
    """The namespace and folder that one page's snippets share."""

    def __init__(self, name, folder):
        import s2sad

        self.name = name
        self.folder = Path(folder)
        self.namespace = {"s2sad": s2sad, "np": np, "inspect": inspect, "helpers": _helpers()}

    def define(self, module_name, code):
        path = self.folder / f"{module_name}.py"
        path.write_text(code)
        spec = importlib.util.spec_from_file_location(module_name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module  # so inspect.getsource finds the file
        spec.loader.exec_module(module)
        self.namespace.update({k: v for k, v in vars(module).items() if not k.startswith("__")})
        return code

    def evaluate(self, expr, expect_error=False):
        printed = io.StringIO()
        value = None
        try:
            with contextlib.redirect_stdout(printed):
                value = eval(expr, self.namespace)  # noqa: S307 (the docs' own code)
        except Exception as exc:
            if not expect_error:
                raise SnippetError(f"{self.name}: `{expr}` raised {type(exc).__name__}: {exc}") from exc
            notes = "".join(f"\n{note}" for note in getattr(exc, "__notes__", ()))
            return self.clean(f"{type(exc).__name__}: {exc}{notes}") + "\n"
        if expect_error:
            raise SnippetError(f"{self.name}: `{expr}` was expected to raise, but returned {value!r}")
        text = printed.getvalue()
        if value is not None:
            text += value if isinstance(value, str) else repr(value)
        return self.clean(text).rstrip() + "\n"

    def shell(self, command):
        words = shlex.split(command)
        words[1:] = [self.locate(word) for word in words[1:]]
        if words[0] == "s2sad":
            argv = [sys.executable, "-m", "s2sad", *words[1:]]
        elif words[0] == "python":
            argv = [sys.executable, *words[1:]]
        else:
            raise SnippetError(f"{self.name}: shell snippets run s2sad or python only, not {words[0]!r}")
        result = subprocess.run(argv, cwd=self.folder, capture_output=True, text=True, timeout=300)
        return self.clean(f"$ {command}\n{result.stdout}{result.stderr}").rstrip() + "\n"

    def locate(self, word):
        """A path of the repository (examples/NAME.py) when the page's folder has no such file."""
        if not (self.folder / word).exists() and (ROOT / word).is_file():
            return str(ROOT / word)
        return word

    def clean(self, text):
        """Output that does not depend on where the snippets ran or where s2sad is installed."""
        checkout = str(Path(self.namespace["s2sad"].__file__).resolve().parent.parent) + "/"
        for prefix in (str(self.folder.resolve()) + "/", str(self.folder) + "/", checkout, str(ROOT) + "/"):
            text = text.replace(prefix, "")
        return re.sub(r" at 0x[0-9a-f]+>", ">", text)


def _helpers():
    """docs/_hooks/helpers.py: the tables the pages compute."""
    if "s2sad_docs_helpers" not in sys.modules:
        spec = importlib.util.spec_from_file_location("s2sad_docs_helpers", Path(__file__).with_name("helpers.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules["s2sad_docs_helpers"] = module
        spec.loader.exec_module(module)
    return sys.modules["s2sad_docs_helpers"]


def _replace_fence(text, start, content, name, marker):
    """text with the fenced block that follows position start holding content."""
    match = FENCE.search(text, start)
    if not match or text[start:match.start()].strip():
        raise SnippetError(f"{name}: `{marker}` must be followed by a fenced code block")
    return text[:match.start(2)] + content + text[match.start(3):], match.start(2) + len(content)


def refresh(markdown, name="page"):
    """The page with every live block recomputed."""
    with tempfile.TemporaryDirectory(prefix="s2sad-docs-") as folder:
        page = Page(name, folder)
        position = 0
        while True:
            marker = MARKER.search(markdown, position)
            if not marker:
                return markdown
            kind, argument = marker.group(1), marker.group(2).strip()
            start = marker.end()
            if kind == "define":
                fence = FENCE.search(markdown, start)
                if not fence or markdown[start:fence.start()].strip():
                    raise SnippetError(f"{name}: `define: {argument}` must be followed by a ```python block")
                page.define(argument, fence.group(2))
                position = fence.end()
            elif kind == "markdown":
                end = markdown.find(END, start)
                if end < 0:
                    raise SnippetError(f"{name}: `markdown: {argument}` has no {END}")
                content = page.evaluate(argument)
                markdown = markdown[:start] + content + markdown[end:]
                position = start + len(content) + len(END)
            else:
                if kind == "shell":
                    content = page.shell(argument)
                else:
                    content = page.evaluate(argument, expect_error=kind == "raises")
                markdown, position = _replace_fence(markdown, start, content, name, f"{kind}: {argument}")


def on_page_markdown(markdown, page, config, files):
    """MkDocs hook: run the page's snippets before it is rendered."""
    return refresh(markdown, page.file.src_path)


def main(argv):
    check = "--check" in argv
    pages = [Path(a) for a in argv if not a.startswith("--")] or sorted(Path(__file__).parent.parent.glob("*.md"))
    stale = []
    for path in pages:
        text = path.read_text()
        fresh = refresh(text, path.name)
        if fresh != text:
            stale.append(path)
            if not check:
                path.write_text(fresh)
    verb = "stale" if check else "refreshed"
    print(f"{len(stale)} of {len(pages)} pages {verb}" + (": " + ", ".join(p.name for p in stale) if stale else ""))
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
