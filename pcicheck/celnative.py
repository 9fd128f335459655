"""CEL's compiled engine (compile, Context, Program), loaded without the package's command-line tool.

`import cel` runs cel/__init__.py, which imports cel.cli: an interactive REPL built on prompt_toolkit,
pygments and typer, about 0.1 s of CPU on every pcicheck run for nothing pcicheck calls. compile and
Context live in the compiled extension `cel.cel`; it is loaded here by itself and registered under that
name, so a later `import cel` (by anyone) reuses it instead of initialising it a second time. Where the
package is not laid out that way (another release), or is already imported, it is imported as usual.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import sys
from pathlib import Path
from types import ModuleType


def _load() -> ModuleType:
    if "cel" in sys.modules or "cel.cel" in sys.modules:
        return sys.modules.get("cel.cel") or importlib.import_module("cel")
    package = importlib.util.find_spec("cel")  # finds the package without running its __init__
    folders = list(package.submodule_search_locations or []) if package else []
    for folder in folders:
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            path = Path(folder) / f"cel{suffix}"
            spec = importlib.util.spec_from_file_location("cel.cel", path) if path.is_file() else None
            if spec is None or spec.loader is None:
                continue
            module = importlib.util.module_from_spec(spec)
            sys.modules["cel.cel"] = module
            try:
                spec.loader.exec_module(module)
            except BaseException:
                del sys.modules["cel.cel"]
                raise
            return module
    return importlib.import_module("cel")


cel = _load()
