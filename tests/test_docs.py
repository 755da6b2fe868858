"""The documentation's code runs: every ```python block of README.md and docs/*.md, and every
``>>>`` example in the package's docstrings.

Blocks of one Markdown file run in order in one namespace, as a reader pasting them one after
another into one Python session would run them, in a temporary directory (so files a block
writes go nowhere). A block is skipped only when the line just before its opening fence says
why, in an HTML comment (invisible on the rendered page, reported by pytest as a skip):

    <!-- docs-test: fragment (a method body out of its class) -->   never run
    <!-- docs-test: needs cuda -->                                  run only where a GPU is present

A python block followed (after blank lines) by a plain ``` block shows its output: what the
block prints must be that text (trailing spaces aside), so the outputs on the page are true.

Docstring examples use one style, ``>>>`` with the expected output, and run as doctests;
``Example::`` blocks (which nothing checks) are not allowed.
"""

from __future__ import annotations

import contextlib
import doctest
import importlib
import io
import pkgutil
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

import tinygrad_ch8 as tg
from tinygrad_ch8 import backend

ROOT = Path(__file__).resolve().parents[1]
MARKDOWN_FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<info>[^`\n]*)$")
MARKER = re.compile(r"<!--\s*docs-test:\s*(?P<what>[^>]*?)\s*-->")


@dataclass
class Block:
    path: Path
    line: int  # of the opening fence, counting from 1
    code: str
    marker: str | None  # the docs-test marker before the fence, if any
    output: str | None = None  # the plain block right after it: what it prints

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def python_blocks(path: Path) -> list[Block]:
    """The ```python blocks of a Markdown file, dedented, with the marker before each."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks, index, previous_end = [], 0, -1
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        end = index + 1
        while end < len(lines) and not FENCE.match(lines[end]):
            end += 1
        if opening["info"].strip().split(" ")[0] == "python":
            previous = lines[index - 1] if index > 0 else ""
            marker = MARKER.search(previous)
            code = textwrap.dedent("\n".join(lines[index + 1 : end]))
            blocks.append(Block(path, index + 1, code, marker["what"] if marker else None))
        elif opening["info"].strip() == "" and blocks and blocks[-1].output is None:
            between = lines[previous_end + 1 : index]
            if blocks[-1].line - 1 < previous_end and not any(line.strip() for line in between):
                blocks[-1].output = textwrap.dedent("\n".join(lines[index + 1 : end]))
        previous_end = end
        index = end + 1
    return blocks


def test_python_blocks_reads_fences_markers_and_indented_blocks(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "text\n```python\nx = 1\n```\n<!-- docs-test: fragment (why) -->\n```python\ny\n```\n"
        "1. a list\n\n   ```python\n   z = 2\n   ```\n```bash\nls\n```\n"
        "```python\nprint(3)\n```\n\n```\n3\n```\ntext\n```\nnot an output\n```\n"
    )
    blocks = python_blocks(page)
    assert [(block.code, block.marker, block.output) for block in blocks] == [
        ("x = 1", None, None),
        ("y", "fragment (why)", None),
        ("z = 2", None, None),
        ("print(3)", None, "3"),
    ]


def skip_reason(block: Block) -> str | None:
    if block.marker is None:
        return None
    if block.marker.startswith("fragment"):
        return f"{block.where}: {block.marker}"
    if block.marker == "needs cuda":
        return None if backend.cuda_available() else f"{block.where}: needs a GPU"
    raise ValueError(f"{block.where}: unknown docs-test marker {block.marker!r}")


@pytest.mark.parametrize("path", MARKDOWN_FILES, ids=lambda path: str(path.relative_to(ROOT)))
def test_the_python_blocks_of_a_page_run_in_order(path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace: dict = {"__name__": f"docs_{path.stem}"}
    skipped = []
    for block in python_blocks(path):
        reason = skip_reason(block)
        if reason is not None:
            skipped.append(reason)
            continue
        printed = io.StringIO()
        try:
            with contextlib.redirect_stdout(printed):
                exec(compile(block.code, block.where, "exec"), namespace)  # noqa: S102
        except Exception as error:
            raise AssertionError(f"the block at {block.where} raised {error!r}") from error
        if block.output is not None:
            shown = [line.rstrip() for line in block.output.strip().splitlines()]
            assert [line.rstrip() for line in printed.getvalue().strip().splitlines()] == shown, (
                f"the block at {block.where} printed\n{printed.getvalue()}\nbut the page shows\n"
                f"{block.output}"
            )
    tg.set_default_device("cpu")  # a page may switch it; the next test starts clean
    if skipped:
        pytest.skip("ran every block but these, which are marked: " + "; ".join(skipped))


def test_every_marked_block_says_why():
    for path in MARKDOWN_FILES:
        for block in python_blocks(path):
            if block.marker is not None and block.marker.startswith("fragment"):
                assert re.fullmatch(r"fragment \(.+\)", block.marker), block.where
            elif block.marker is not None:
                assert block.marker == "needs cuda", block.where


MENTIONED_FILE = re.compile(r"\b([\w./-]+\.md)\b")


def test_the_docs_name_only_files_that_exist():
    """A page that cites a Markdown file (``tutorial.md``, ``docs/api.md``) cites one in the repository."""
    known = {path.name for path in ROOT.rglob("*.md") if ".git" not in path.parts}
    missing = sorted(
        f"{path.relative_to(ROOT)} names {name}"
        for path in MARKDOWN_FILES
        for name in MENTIONED_FILE.findall(path.read_text(encoding="utf-8"))
        if Path(name).name not in known
    )
    assert not missing, missing


# ---------------------------------------------------------------- docstrings
def package_modules() -> list[str]:
    names = ["tinygrad_ch8"]
    for info in pkgutil.walk_packages(tg.__path__, prefix="tinygrad_ch8."):
        if info.name != "tinygrad_ch8.__main__":
            names.append(info.name)
    return names


@pytest.mark.parametrize("name", package_modules())
def test_docstring_examples_run_as_doctests(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    tests = [test for test in finder.find(module, name) if test.examples]
    for test in tests:
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} doctest example(s) of {name} failed (output above)"


def test_docstring_examples_use_one_style():
    offenders = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "tinygrad_ch8").rglob("*.py"))
        if "Example::" in path.read_text(encoding="utf-8")
    ]
    assert not offenders, f"write these examples as >>> doctests: {offenders}"
