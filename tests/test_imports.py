"""Every module of pcicheck imports on its own, first, in a fresh interpreter: no import cycle leaves a
module half-initialised whatever is imported first. And the CLI's entry point stays light, so
`pcicheck --help` does not wait for boto3, the kubernetes client or the CEL engine."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "pcicheck"

# Each module imported with every pcicheck module forgotten first: third-party libraries stay loaded
# (they are not what can cycle), so the whole package is checked in one interpreter in seconds.
_EACH_FIRST = """
import importlib, json, sys, traceback
failures = {}
for name in json.loads(sys.argv[1]):
    for loaded in [m for m in sys.modules if m == "pcicheck" or m.startswith("pcicheck.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except BaseException as exc:
        failures[name] = traceback.format_exception_only(exc)[-1].strip()
print(json.dumps(failures))
"""


def _modules() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__main__":  # runs the program when imported
            continue
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def test_every_module_imports_on_its_own() -> None:
    modules = _modules()
    assert len(modules) > 100
    done = subprocess.run(
        [sys.executable, "-c", _EACH_FIRST, json.dumps(modules)], capture_output=True, text=True, check=True
    )
    assert json.loads(done.stdout) == {}


def test_the_cli_imports_no_heavy_library() -> None:
    probe = "import sys, pcicheck.cli; print(sorted({m.split('.')[0] for m in sys.modules}))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded = set(json.loads(done.stdout.replace("'", '"')))
    assert not loaded & {"boto3", "botocore", "kubernetes", "cel", "jinja2", "moto"}


def test_the_cel_engine_comes_without_its_command_line_tool() -> None:
    """cel/__init__.py imports an interactive REPL (prompt_toolkit, pygments): a tenth of a second of every
    run. pcicheck loads the compiled engine alone; a later `import cel` shares it, and it evaluates."""
    probe = (
        "import sys, json\n"
        "from pcicheck.celnative import cel as native\n"
        "import pcicheck.catalog, pcicheck.evaluate.engine\n"
        "heavy = {'prompt_toolkit', 'pygments', 'cel'}\n"
        "light = sorted(m for m in sys.modules if m.split('.')[0] in heavy and m != 'cel.cel')\n"
        "import cel\n"
        "same = cel.compile is native.compile and cel.Context is native.Context\n"
        "value = native.compile('resource.x + 1').execute(native.Context(variables={'resource': {'x': 41}}))\n"
        "print(json.dumps([light, same, value]))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == [[], True, 42]
