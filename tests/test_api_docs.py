"""docs/api.md and the package agree, in both directions; the docs' links and file names resolve.

Public, precisely: the public modules are ``tinygrad_ch8`` and every module reachable from it
through public names (``tinygrad_ch8.optim.lr_scheduler``, ...). A module's public names are
its ``__all__`` when it has one; otherwise the names not starting with ``_`` bound to a
function or class defined in that module (``obj.__module__`` is the module), or to one of its
submodules. Every public name must have an entry in docs/api.md under its module's heading,
and every entry in docs/api.md must name something that exists, with the parameters its
signature really has.

docs/api.md is read like this: a heading ``## `tinygrad_ch8.nn` `` opens a module's section;
each entry is a bullet starting with a code span, ``- `Linear(in_features, out_features, ...)`: ...``.
The entry's name (``Linear``, or ``Tensor.backward`` for a method) is looked up in the module;
when it has parentheses, the parameter names listed must be those of the object's signature.
"""

import importlib
import inspect
import pathlib
import re

import pytest

REPOSITORY = pathlib.Path(__file__).resolve().parent.parent
DOCS = REPOSITORY / "docs"
REQUIRED_MODULES = [
    "tinygrad_ch8",
    "tinygrad_ch8.autograd",
    "tinygrad_ch8.functional",
    "tinygrad_ch8.nn",
    "tinygrad_ch8.nn.init",
    "tinygrad_ch8.optim",
    "tinygrad_ch8.optim.lr_scheduler",
    "tinygrad_ch8.data",
    "tinygrad_ch8.strategies",
    "tinygrad_ch8.viz",
]
HEADING = re.compile(r"^## `([\w.]+)`")  # a module's section; deeper headings stay inside it
ENTRY = re.compile(
    r"^- `([\w.]+)(\(([^`]*)\))?`"
)  # the whole code span: a name, maybe a parameter list


def public_names(module) -> list[str]:
    if hasattr(module, "__all__"):
        return list(module.__all__)
    names = []
    for name, value in vars(module).items():
        if name.startswith("_"):
            continue
        defined_here = getattr(value, "__module__", None) == module.__name__ and (
            inspect.isfunction(value) or inspect.isclass(value)
        )
        submodule = inspect.ismodule(value) and value.__name__ == f"{module.__name__}.{name}"
        if defined_here or submodule:
            names.append(name)
    return names


def public_modules() -> list[str]:
    """``tinygrad_ch8`` and every module reachable from it through public names, in the order met."""
    found, pending = [], ["tinygrad_ch8"]
    while pending:
        name = pending.pop(0)
        if name in found:
            continue
        found.append(name)
        module = importlib.import_module(name)
        pending += [
            value.__name__
            for value in (getattr(module, public) for public in public_names(module))
            if inspect.ismodule(value) and value.__name__.startswith("tinygrad_ch8.")
        ]
    return found


PUBLIC_MODULES = public_modules()


def documented_entries() -> list[tuple[str, str, str | None]]:
    """(module, name, parameter text or None) for every entry of docs/api.md."""
    entries, module = [], None
    for line in (DOCS / "api.md").read_text(encoding="utf-8").splitlines():
        heading, entry = HEADING.match(line), ENTRY.match(line)
        if heading:
            module = heading.group(1)
        elif entry and module is not None:
            entries.append((module, entry.group(1), entry.group(3) if entry.group(2) else None))
    return entries


def parameter_names(text: str) -> list[str]:
    """The names in a documented parameter list: ``a, b=1, *, c=(1, 2), **kw`` -> [a, b, c, kw]."""
    parts, depth, current = [], 0, ""
    for character in text:
        if character in "([{":
            depth += 1
        elif character in ")]}":
            depth -= 1
        if character == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += character
    parts.append(current)
    names = [re.split(r"[=:]", part)[0].strip().lstrip("*") for part in parts]
    return [name for name in names if name and name != "/"]


def resolve(module_name: str, dotted: str):
    target = importlib.import_module(module_name)
    for part in dotted.split("."):
        target = getattr(target, part)
    return target


def signature_names(target) -> list[str]:
    signature = inspect.signature(target)
    return [name for name in signature.parameters if name != "self"]


def test_every_public_module_has_a_section():
    assert set(REQUIRED_MODULES) <= set(PUBLIC_MODULES)
    sections = {module for module, _, _ in documented_entries()}
    assert set(PUBLIC_MODULES) <= sections, (
        f"no section in docs/api.md for {set(PUBLIC_MODULES) - sections}"
    )


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_every_public_name_appears_in_api_md(module_name):
    module = importlib.import_module(module_name)
    documented = {name for section, name, _ in documented_entries() if section == module_name}
    missing = [name for name in public_names(module) if name not in documented]
    assert not missing, f"public names of {module_name} missing from docs/api.md: {missing}"


def test_every_documented_name_exists_with_its_signature():
    problems = []
    for module_name, name, parameters in documented_entries():
        try:
            target = resolve(module_name, name)
        except (ImportError, AttributeError):
            problems.append(f"{module_name}.{name} does not exist")
            continue
        if parameters is None or not callable(target):
            continue
        try:
            actual = signature_names(target)
        except (TypeError, ValueError):  # a builtin without a signature: nothing to compare
            continue
        if parameter_names(parameters) != actual:
            problems.append(
                f"{module_name}.{name}({parameters}) but the signature is ({', '.join(actual)})"
            )
    assert not problems, "docs/api.md disagrees with the package:\n" + "\n".join(problems)


def test_parameter_names_are_read_like_a_signature():
    assert parameter_names("a, b=1, *, c=(1, 2), **kw") == ["a", "b", "c", "kw"]
    assert parameter_names("*outputs: Tensor, names=None") == ["outputs", "names"]
    assert parameter_names("") == []


def test_public_names_follow_all_or_the_module_definitions():
    viz = importlib.import_module("tinygrad_ch8.viz")
    assert public_names(viz) == viz.__all__
    graph = importlib.import_module("tinygrad_ch8.viz.graph")
    assert public_names(graph) == [
        "draw_graph",
        "render_graph",
    ]  # not the imported Tensor, not _GraphBuilder


LINK = re.compile(r"\]\(([^)#\s]+)")
FILE_NAME = re.compile(r"`((?:examples|benchmarks|tinygrad_ch8|tests)/[\w/.-]+\.py)`")


@pytest.mark.parametrize("page", sorted(DOCS.glob("*.md")), ids=lambda path: path.name)
def test_links_and_named_files_in_the_docs_exist(page):
    text = page.read_text(encoding="utf-8")
    targets = [page.parent / link for link in LINK.findall(text) if "://" not in link]
    targets += [REPOSITORY / name for name in FILE_NAME.findall(text)]
    missing = [
        str(target.relative_to(REPOSITORY)) for target in targets if not target.resolve().exists()
    ]
    assert not missing, f"{page.name} points to files that do not exist: {missing}"


API_NAME = re.compile(r"`((?:optim|nn|init|data|viz|strategies|autograd|functional)(?:\.\w+)+)")
TABLE_ROW = re.compile(r"`(examples/\w+\.py)` \| ([^|]*)\|\s*$")
FIGURE = re.compile(r"`(\w+)\.png`")


def test_chapter_map_names_real_apis():
    text = (DOCS / "chapter-map.md").read_text(encoding="utf-8")
    names = sorted(set(API_NAME.findall(text)))
    assert len(names) > 30
    missing = []
    for dotted in names:
        try:
            resolve("tinygrad_ch8", dotted)
        except AttributeError:
            missing.append(dotted)
    assert not missing, f"chapter-map.md names APIs that do not exist: {missing}"


def test_chapter_map_figures_are_the_ones_their_examples_save():
    wrong = []
    for line in (DOCS / "chapter-map.md").read_text(encoding="utf-8").splitlines():
        row = TABLE_ROW.search(line)
        if not row or not (REPOSITORY / row.group(1)).exists():
            continue  # a missing example is reported by the link test
        source = (REPOSITORY / row.group(1)).read_text(encoding="utf-8")
        wrong += [
            f"{row.group(1)}: {figure}.png"
            for figure in FIGURE.findall(row.group(2))
            if f'"{figure}"' not in source
        ]
    assert not wrong, f"chapter-map.md lists figures that these examples do not save: {wrong}"
