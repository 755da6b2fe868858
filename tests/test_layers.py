"""The package's layers: each module's docstring names its layer, and imports point down only.

The layers, bottom up: engine → nn, data → optim → training → strategies →
viz → command line. A module's layer is read from the first word(s) of its docstring
("Engine: ...", "Optim: ...") and must agree with the folder it sits in; every import of
another tinygrad_ch8 module, at the top of the file or inside a function, must reach a module
of the same layer or a lower one. ``import tinygrad_ch8`` must then work with only NumPy: the
optional extras (tqdm, graphviz, matplotlib) are imported where they are used.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "tinygrad_ch8"
LAYERS = {  # docstring prefix -> rank, bottom up
    "Engine": 0,
    "nn": 1,
    "data": 1,
    "Optim": 2,
    "Training": 3,
    "Strategies": 4,
    "Viz": 5,
    "Command line": 6,
}
FOLDERS = {
    "nn": "nn",
    "data": "data",
    "optim": "Optim",
    "training": "Training",
    "strategies": "Strategies",
    "viz": "Viz",
    "commands": "Command line",
}
ROOT_MODULE = "tinygrad_ch8"  # the package root gathers every layer's names for the user,
ROOT_RANK = 5.5  # so only the command line, above them all, may import it
EXTRAS = ("tqdm", "graphviz", "matplotlib")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def layer_of(path: Path) -> str:
    """The layer a module's docstring names: the text before its first colon."""
    docstring = ast.get_docstring(ast.parse(path.read_text())) or ""
    prefix = docstring.split(":", 1)[0].split(" (")[0]
    return prefix


def imported_package_modules(path: Path, known: set[str]) -> set[str]:
    """Every tinygrad_ch8 module ``path`` imports, anywhere in the file, as a dotted name.

    ``from . import nn`` and ``from .nn import layers`` name the submodule when there is one,
    else the module the names come from.
    """
    package = module_name(path) if path.name == "__init__.py" else module_name(path.parent)
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith(ROOT_MODULE)}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            elif node.module and node.module.startswith(ROOT_MODULE):
                source = node.module
            else:
                continue
            for alias in node.names:
                candidate = f"{source}.{alias.name}"
                found.add(candidate if candidate in known else source)
    return found


def test_imported_package_modules_resolves_relative_imports(tmp_path, monkeypatch):
    known = set(modules())
    found = imported_package_modules(PACKAGE / "optim" / "minimize.py", known)
    assert {"tinygrad_ch8.tensor", "tinygrad_ch8.optim.registry", "tinygrad_ch8.backend"} <= found
    root = imported_package_modules(PACKAGE / "__init__.py", known)
    assert {"tinygrad_ch8.nn", "tinygrad_ch8.strategies", "tinygrad_ch8.nn.init"} <= root


def test_every_module_names_its_layer_and_sits_in_its_folder():
    problems = []
    for name, path in modules().items():
        if name == ROOT_MODULE:
            continue
        layer = layer_of(path)
        parts = name.split(".")
        expected = FOLDERS.get(parts[1]) if len(parts) > 2 or path.name == "__init__.py" else None
        if layer not in LAYERS:
            problems.append(f"{name}: docstring starts {layer!r}, not one of {list(LAYERS)}")
        elif expected is not None and layer != expected:
            problems.append(
                f"{name}: docstring says {layer!r} but it sits in {expected!r}'s folder"
            )
    assert not problems, "\n".join(problems)


def test_imports_point_down_the_layers():
    known = modules()
    rank = {name: LAYERS.get(layer_of(path)) for name, path in known.items()}
    rank[ROOT_MODULE] = ROOT_RANK
    upward = []
    for name, path in known.items():
        if name == ROOT_MODULE:
            continue
        for target in sorted(imported_package_modules(path, set(known))):
            if rank.get(target) is not None and rank[target] > rank[name]:
                upward.append(f"{name} ({layer_of(path)}) imports {target} (rank {rank[target]})")
    assert not upward, "imports must point down the layers:\n" + "\n".join(upward)


def test_the_engine_imports_nothing_above_it():
    known = modules()
    engine = [name for name, path in known.items() if layer_of(path) == "Engine"]
    assert {"tinygrad_ch8.tensor", "tinygrad_ch8.autograd", "tinygrad_ch8.grad_mode"} <= set(engine)
    for name in engine:
        targets = imported_package_modules(known[name], set(known))
        assert all(layer_of(known[target]) == "Engine" for target in targets), (name, targets)


def test_the_grad_mode_switches_are_a_leaf_module():
    """grad_mode needs only the backend (the array library): Tensor, Function and ops build on it."""
    known = modules()
    assert imported_package_modules(known["tinygrad_ch8.grad_mode"], set(known)) <= {
        "tinygrad_ch8.backend"
    }


BLOCKER = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {extras!r}:
            raise ImportError(f"{{name}} is blocked for this test")
sys.meta_path.insert(0, Block())
"""


def run_with_extras_blocked(code: str, timeout: int = 120) -> subprocess.CompletedProcess:
    """``code`` run by a fresh Python in which tqdm, graphviz and matplotlib cannot be imported."""
    return subprocess.run(
        [sys.executable, "-c", BLOCKER.format(extras=EXTRAS) + code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=timeout,
    )


@pytest.mark.parametrize(
    "code",
    [
        "import tinygrad_ch8 as tg; x = tg.Tensor([1.0, 2.0], requires_grad=True); "
        "(x * x).sum().backward(); assert x.grad.tolist() == [2.0, 4.0]",
        "import tinygrad_ch8 as tg\n"
        "from tinygrad_ch8 import data, nn, optim, training\n"
        "X = tg.randn(64, 2, rng=0).numpy(); y = (X[:, 0] > 0).astype('int64')\n"
        "model = nn.Sequential(nn.Linear(2, 2))\n"
        "loader = data.DataLoader(X, y, batch_size=16, rng=0)\n"
        "training.train_classifier(model, optim.SGD(model.parameters(), lr=0.1), loader, 1)\n",
    ],
    ids=["engine", "training-loop"],
)
def test_the_package_works_with_the_extras_blocked(code):
    """tqdm, graphviz and matplotlib made unimportable: the package still imports and trains."""
    completed = run_with_extras_blocked(code)
    assert completed.returncode == 0, completed.stderr
    blocked = run_with_extras_blocked("import tqdm", timeout=60)
    assert "blocked for this test" in blocked.stderr  # the blocker itself works


def test_an_extra_missing_gives_an_error_naming_it():
    completed = run_with_extras_blocked(
        "import tinygrad_ch8 as tg\n"
        "from tinygrad_ch8 import data, nn, optim, training\n"
        "X = tg.randn(8, 2, rng=0).numpy(); y = (X[:, 0] > 0).astype('int64')\n"
        "model = nn.Linear(2, 2)\n"
        "loader = data.DataLoader(X, y, batch_size=4, rng=0)\n"
        "training.train_classifier(model, optim.SGD(model.parameters(), lr=0.1), loader, 1, "
        "progress=True)\n"
    )
    assert completed.returncode != 0 and "pip install tqdm" in completed.stderr
    completed = run_with_extras_blocked(
        "import tinygrad_ch8 as tg\n"
        "x = tg.Tensor([1.0], requires_grad=True)\n"
        "tg.viz.draw_graph((x * x).sum())\n"
    )
    assert completed.returncode != 0 and "pip install graphviz" in completed.stderr
