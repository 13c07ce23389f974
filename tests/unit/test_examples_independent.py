"""The example outside systems of examples/ use public libraries only, none of this project.

An outside system's team has only the published contract; the examples prove it is enough
only if they import nothing of this repository: the Python one the standard library,
aio-pika and httpx, the Node.js one Node's builtins and amqplib.
"""

from __future__ import annotations

import ast
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / "examples" / "python"
NODE = ROOT / "examples" / "node"
PYTHON_LIBRARIES = {"aio_pika": "aio-pika", "httpx": "httpx"}
"""Import name → distribution name."""
NODE_LIBRARIES = {"amqplib"}


def imported_modules(source: str) -> set[str]:
    """The top-level modules a Python source imports (relative imports as ``.``)."""
    modules: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            modules.add("." if node.level else (node.module or "").split(".")[0])
    return modules


def pins(text: str) -> dict[str, str]:
    """``name==version`` lines of a requirements or constraints file, names normalised."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, separator, version = line.partition("==")
            assert separator and version, f"not pinned with ==: {line!r}"
            found[re.sub(r"[-_.]+", "-", name.strip()).lower()] = version.strip()
    return found


def test_the_python_example_imports_the_standard_library_aio_pika_and_httpx_only() -> None:
    modules = imported_modules((PYTHON / "kerjasama_example.py").read_text(encoding="utf-8"))
    assert {"aio_pika", "httpx"} <= modules  # the parse saw its imports
    others = {m for m in modules if m not in sys.stdlib_module_names
              and m not in PYTHON_LIBRARIES and m != "__future__"}
    assert not others, f"examples/python imports {sorted(others)}"


def test_the_python_examples_requirements_are_its_two_libraries_at_the_tested_versions() -> None:
    required = pins((PYTHON / "requirements.txt").read_text(encoding="utf-8"))
    constraints = pins((ROOT / "constraints.txt").read_text(encoding="utf-8"))
    assert set(required) == set(PYTHON_LIBRARIES.values())
    for name, version in required.items():
        assert version == constraints.get(name), (name, version, constraints.get(name))


IMPORT_FROM = re.compile(r"""^\s*(?:import|export)\b[^'"]*?\bfrom\s*['"]([^'"]+)['"]""",
                         re.MULTILINE)
BARE_IMPORT = re.compile(r"""^\s*import\s*['"]([^'"]+)['"]""", re.MULTILINE)
REQUIRE = re.compile(r"""\b(?:require|import)\s*\(\s*['"`]([^'"`]+)['"`]\s*\)""")


def node_imports(source: str) -> set[str]:
    return {match for pattern in (IMPORT_FROM, BARE_IMPORT, REQUIRE)
            for match in pattern.findall(source)}


def test_the_node_import_patterns_see_each_form() -> None:
    assert node_imports('import amqp from "amqplib";\nimport { a } from "node:crypto";\n'
                        "import 'node:process';\nconst x = require(\"./local\");\n"
                        "const y = await import('../lib/z.js');\n") == {
        "amqplib", "node:crypto", "node:process", "./local", "../lib/z.js"}


def test_the_node_example_imports_node_builtins_and_amqplib_only() -> None:
    imports = node_imports((NODE / "main.js").read_text(encoding="utf-8"))
    assert "amqplib" in imports  # the patterns saw its imports
    others = {name for name in imports
              if not name.startswith("node:") and name not in NODE_LIBRARIES}
    assert not others, f"examples/node/main.js imports {sorted(others)}"


def test_the_node_example_depends_on_amqplib_only() -> None:
    package = json.loads((NODE / "package.json").read_text(encoding="utf-8"))
    assert set(package.get("dependencies", {})) == NODE_LIBRARIES
    for kind in ("devDependencies", "peerDependencies", "optionalDependencies",
                 "bundleDependencies", "bundledDependencies"):
        assert not package.get(kind), f"examples/node/package.json has {kind}"
