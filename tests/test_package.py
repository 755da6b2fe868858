"""Package tests: the backend rule (only backend.py imports numpy or cupy), the command line
entry points, the public engine names, and the README Quickstart that CI runs."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import tinygrad_ch8 as tg

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "tinygrad_ch8"
ARRAY_LIBRARIES = {"numpy", "cupy", "cupyx"}


def imported_top_level_modules(path: Path) -> set[str]:
    """Every module a file imports, by its top-level name (``import numpy.linalg`` -> numpy)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_imported_top_level_modules_sees_every_import_form(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import os\nimport numpy.linalg as la\nfrom cupyx import scatter_add\n"
        "def f():\n    import cupy\nfrom . import backend\n"
    )
    assert imported_top_level_modules(sample) == {"os", "numpy", "cupyx", "cupy"}


def test_only_the_backend_imports_numpy_or_cupy():
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_top_level_modules(path) & ARRAY_LIBRARIES)
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != PACKAGE / "backend.py"
    }
    offenders = {name: libraries for name, libraries in offenders.items() if libraries}
    assert not offenders, f"only tinygrad_ch8/backend.py may import numpy/cupy; found {offenders}"
    assert imported_top_level_modules(PACKAGE / "backend.py") & {"numpy", "cupy"} == {
        "numpy",
        "cupy",
    }


def run(*command: str) -> subprocess.CompletedProcess:
    environment = {
        **os.environ,
        "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }
    return subprocess.run(
        command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


def test_python_dash_m_help_lists_the_commands():
    result = run(sys.executable, "-m", "tinygrad_ch8", "--help")
    assert result.returncode == 0, result.stderr
    assert "usage: tinygrad-ch8" in result.stdout
    for command in ("train", "compare", "graph"):
        assert command in result.stdout


def test_python_dash_m_version():
    result = run(sys.executable, "-m", "tinygrad_ch8", "--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"tinygrad-ch8 {tg.__version__}"


@pytest.mark.skipif(
    shutil.which("tinygrad-ch8") is None,
    reason="the console script is not installed here (pip install .)",
)
def test_console_script_version():
    result = run("tinygrad-ch8", "--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"tinygrad-ch8 {tg.__version__}"


def test_the_version_is_the_one_in_pyproject():
    declared = re.search(
        r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.MULTILINE
    )
    assert declared and declared.group(1) == tg.__version__


def test_the_engine_names_of_the_public_api_exist():
    for name in [
        "Tensor",
        "grad",
        "no_grad",
        "enable_grad",
        "concatenate",
        "stack",
        "where",
        "zeros",
        "ones",
        "randn",
        "manual_seed",
        "set_default_dtype",
        "get_default_dtype",
        "set_default_device",
        "get_default_device",
        "cuda_available",
        "autograd",
        "functional",
    ]:
        assert hasattr(tg, name), name
    for name in ["hvp", "hessian", "gradcheck", "detect_anomaly", "no_grad", "enable_grad", "grad"]:
        assert callable(getattr(tg.autograd, name)), name
    for name in [
        "relu",
        "sigmoid",
        "tanh",
        "softmax",
        "log_softmax",
        "logsumexp",
        "cross_entropy",
        "mse_loss",
    ]:
        assert callable(getattr(tg.functional, name)), name


# ---------------------------------------------------------------- README Quickstart and CI
def quickstart_commands() -> list[str]:
    """The command lines of the first ```bash block under "## Quickstart" in README.md."""
    readme = (ROOT / "README.md").read_text()
    section = re.search(r"^## Quickstart\n(.*?)(?=^## |\Z)", readme, re.MULTILINE | re.DOTALL)
    assert section, "README.md has no '## Quickstart' section"
    block = re.search(r"^```bash\n(.*?)^```", section.group(1), re.MULTILINE | re.DOTALL)
    assert block, "the Quickstart section has no ```bash code block"
    lines = [line.strip() for line in block.group(1).splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def test_quickstart_has_exactly_two_commands_install_and_run_then_test():
    commands = quickstart_commands()
    assert len(commands) == 2, commands
    install_and_run, install_and_test = commands
    assert install_and_run.startswith("pip install") and "tinygrad-ch8" in install_and_run
    assert install_and_test.startswith("pip install") and "[test]" in install_and_test
    assert "pytest" in install_and_test


def test_ci_runs_the_quickstart_test_command_verbatim():
    install_and_test = quickstart_commands()[-1]
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert install_and_test in ci_lines
