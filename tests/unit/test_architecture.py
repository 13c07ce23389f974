"""Which code may import which, read from the source with ``ast`` (nothing is imported).

``RULES`` is the table, one row a rule with its reason, so the docs can show the same rows;
every ``.py`` file under ``contracts/``, ``plumbing/`` and ``services/`` is checked.
The direction rules count every import statement: at module level, inside functions and
under ``if TYPE_CHECKING:`` (a type-only import still couples the code). The cycle rule
counts the imports that run, at module level and inside functions, and leaves out
``if TYPE_CHECKING:`` blocks, the usual way to name the type of a module that imports you.
``from package import name`` imports ``package.name`` when that is a module, else
``package``; relative imports are resolved against the importer; a submodule is not
counted as importing its package. Imports by string (``importlib``) are not seen.
"""

from __future__ import annotations

import ast
import functools
import itertools
import sys
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("contracts", "plumbing", "services")
SERVICES = ("agreements", "notifications", "reporting", "portal")
DOMAIN_MAY = sys.stdlib_module_names | {"contracts"}  # top-level names, besides its own domain
CONTRACTS_MAY = sys.stdlib_module_names | {"contracts", "pydantic"}


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _top(module: str) -> str:
    return module.split(".")[0]


def _own(module: str) -> str:
    """``x`` for a module of ``services/<x>`` (a service or a client), else ``""``."""
    parts = module.split(".")
    return parts[1] if parts[0] == "services" and len(parts) > 1 else ""


def _imports_another_service(importer: str, imported: str) -> bool:
    own = _own(importer)
    return own in SERVICES and _own(imported) not in ("", own)


def _domain_reaches_out(importer: str, imported: str) -> bool:
    domain = f"services.{_own(importer)}.domain"
    return (_own(importer) in SERVICES and _within(importer, domain)
            and _top(imported) not in DOMAIN_MAY and not _within(imported, domain))


LAYERS = {"domain": 0, "adapters": 1, "application": 2, "entrypoints": 3, "app": 4}
"""Within a service, a layer imports only layers below it (the composition root, ``app``,
sees all); ``settings`` and ``__main__`` stand outside the layers."""


def _layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.get(parts[2]) if len(parts) > 2 and parts[0] == "services" else None


def _layer_points_outward(importer: str, imported: str) -> bool:
    own = _own(importer)
    if own not in SERVICES or _own(imported) != own:
        return False
    mine, theirs = _layer(importer), _layer(imported)
    return mine is not None and theirs is not None and theirs > mine


def _contracts_reach_out(importer: str, imported: str) -> bool:
    return _within(importer, "contracts") and _top(imported) not in CONTRACTS_MAY


def _plumbing_imports_services(importer: str, imported: str) -> bool:
    return _within(importer, "plumbing") and _within(imported, "services")


def _client_reaches_in(importer: str, imported: str) -> bool:
    own, other = _own(importer), _own(imported)
    return own not in ("", *SERVICES) and other not in ("", own)


@dataclass(frozen=True)
class Rule:
    name: str
    applies_to: str
    may_import: str
    reason: str
    breaks: Callable[[str, str], bool] | None  # (importer, imported); None: the graph rule


RULES = (
    Rule("independent-services", "services/<s>/, s a service (agreements, notifications, "
         "reporting, portal)", "anything but another services.<x>",
         "services share only contracts/ and plumbing/ and talk over the broker and HTTP; "
         "importing another service's code ties their releases together",
         _imports_another_service),
    Rule("pure-domain", "services/<s>/domain/",
         "the standard library, contracts, services.<s>.domain",
         "the rules do no I/O and know no framework, plumbing or outer layer, so they are "
         "tested in milliseconds", _domain_reaches_out),
    Rule("layers-point-inward", "services/<s>/: domain, adapters, application, entrypoints, "
         "app", "its own layer and the layers listed before it",
         "entrypoints (HTTP, subscribers, loops, operator actions) call use cases; use "
         "cases use adapters and the domain; adapters translate for the domain; only the "
         "composition root (app.py) sees every part", _layer_points_outward),
    Rule("schema-only-contracts", "contracts/", "the standard library, pydantic, contracts",
         "every service and outside system reads the wire schemas; they must not pull in "
         "runtime or service code", _contracts_reach_out),
    Rule("plumbing-below-services", "plumbing/", "anything but services",
         "shared runtime that imports a service makes every service depend on that one",
         _plumbing_imports_services),
    Rule("clients-use-public-interfaces", "services/cli, services/demo and every other "
         "non-service module under services/ (supervisor, mailcatcher)",
         "no other part of services/ (contracts, plumbing and libraries are fine)",
         "operator tools reach a service over HTTP or through its process "
         "(python -m services.<s> <action>), so the service may reshape its insides",
         _client_reaches_in),
    Rule("no-import-cycles", "the modules of each package: contracts, plumbing, each "
         "services/<x>", "no module that imports it back (runtime imports only)",
         "a cycle makes import order matter and welds its modules into one", None),
)
NO_CYCLES = next(rule for rule in RULES if rule.breaks is None)


@dataclass(frozen=True)
class Import:
    path: str
    line: int
    importer: str
    imported: str
    type_checking: bool


@dataclass(frozen=True)
class Violation:
    rule: Rule
    where: str  # file:line
    imported: str  # for a cycle: the chain back, each further hop with its file:line

    def __str__(self) -> str:
        return f"{self.where}: imports {self.imported} -- {self.rule.name}: {self.rule.reason}"


def module_name(path: str) -> str:
    parts = path.removesuffix(".py").split("/")
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(test: ast.expr) -> bool:  # `TYPE_CHECKING` or `typing.TYPE_CHECKING`
    return "TYPE_CHECKING" in (getattr(test, "id", None), getattr(test, "attr", None))


def _absolute(importer: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    package = importer.split(".") if is_package else importer.split(".")[:-1]
    base = package[:len(package) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def imports(sources: dict[str, str]) -> list[Import]:
    """Every import of every file, as absolute module names."""
    modules = {module_name(path) for path in sources}
    found: list[Import] = []
    for path, source in sources.items():
        importer, tree = module_name(path), ast.parse(source, path)
        typing_only = {id(inner) for node in ast.walk(tree)
                       if isinstance(node, ast.If) and _is_type_checking(node.test)
                       for statement in node.body for inner in ast.walk(statement)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _absolute(importer, path.endswith("__init__.py"), node)
                names = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base
                         for a in node.names]
            else:
                continue
            found += [Import(path, node.lineno, importer, name, id(node) in typing_only)
                      for name in dict.fromkeys(names)]
    return sorted(found, key=lambda i: (i.path, i.line, i.imported))


def _unit(module: str) -> str:
    """The package whose modules must not form a cycle: contracts, plumbing, services.<x>."""
    return ".".join(module.split(".")[:2]) if _top(module) == "services" else _top(module)


def _reached_from(graph: dict[str, dict[str, Import]], start: str) -> dict[str, str]:
    """Each module reachable from ``start`` (``start`` only via a cycle): its predecessor."""
    previous: dict[str, str] = {}
    queue = deque([start])
    while queue:
        module = queue.popleft()
        for target in sorted(graph.get(module, {})):
            if target not in previous:
                previous[target] = module
                queue.append(target)
    return previous


def cycles(found: list[Import]) -> list[Violation]:
    """One shortest cycle per group of modules that import each other."""
    graph: dict[str, dict[str, Import]] = {}
    for i in found:
        same_unit = _unit(i.importer) == _unit(i.imported)
        if same_unit and i.importer != i.imported and not i.type_checking:
            graph.setdefault(i.importer, {}).setdefault(i.imported, i)
    seen: set[str] = set()
    broken = []
    for start in sorted(graph):
        previous = {} if start in seen else _reached_from(graph, start)
        if start not in previous:
            continue  # already reported, or on no cycle
        seen |= {module for module in previous if start in _reached_from(graph, module)}
        chain = [start]
        while len(chain) == 1 or chain[-1] != start:
            chain.append(previous[chain[-1]])
        chain.reverse()
        hops = [graph[a][b] for a, b in itertools.pairwise(chain)]
        back = " -> ".join([hops[0].imported]
                           + [f"{h.imported} [{h.path}:{h.line}]" for h in hops[1:]])
        broken.append(Violation(NO_CYCLES, f"{hops[0].path}:{hops[0].line}", back))
    return broken


def violations(sources: dict[str, str]) -> list[Violation]:
    found = imports(sources)
    return [Violation(rule, f"{i.path}:{i.line}", i.imported) for i in found for rule in RULES
            if rule.breaks is not None and rule.breaks(i.importer, i.imported)] + cycles(found)


def source_files() -> dict[str, str]:
    return {path.relative_to(ROOT).as_posix(): path.read_text(encoding="utf-8")
            for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))}


@functools.cache
def current_violations() -> list[Violation]:
    return violations(source_files())


def test_the_check_reads_every_package() -> None:
    modules = {module_name(path) for path in source_files()}
    assert {"contracts", "plumbing", "services.cli", "services.demo"} <= modules
    assert {f"services.{s}.domain" for s in SERVICES if s != "portal"} <= modules


@pytest.mark.parametrize("rule", RULES, ids=[rule.name for rule in RULES])
def test_the_code_keeps_the_import_rule(rule: Rule) -> None:
    broken = [str(v) for v in current_violations() if v.rule is rule]
    if broken:
        pytest.fail(f"{len(broken)} breaking {rule.name}:\n" + "\n".join(broken), pytrace=False)


BROKEN = {  # one tiny codebase that breaks every rule, next to imports that are allowed
    "contracts/__init__.py": "",
    "contracts/events.py": "import json\nfrom pydantic import BaseModel\nimport httpx\n"
                           "from plumbing import db\n",
    "plumbing/__init__.py": "",
    "plumbing/db.py": "from . import migrations\ndef connect():\n"
                      "    from services.agreements import settings\n",
    "plumbing/migrations.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                              "    from plumbing.db import connect\n",
    "plumbing/a.py": "from .b import f\n",
    "plumbing/b.py": "def f():\n    from plumbing import a\n",
    "services/agreements/__init__.py": "",
    "services/agreements/settings.py": "from services.reporting.settings import X\n",
    "services/agreements/domain/__init__.py": "from .rules import decide\n",
    "services/agreements/domain/rules.py": "import datetime\nfrom contracts import events\n"
                                           "from .. import settings\nimport fastapi\n",
    "services/agreements/entrypoints/cli.py": "",
    "services/agreements/adapters/store.py": "from ..domain import rules\n"
                                             "from services.agreements.application import x\n",
    "services/reporting/settings.py": "",
    "services/cli/__init__.py": "from services.agreements.entrypoints import cli\n"
                                "from plumbing import db\n",
    "services/cli/keys.py": "from services.agreements.domain.rules import decide\n",
    "services/demo/__init__.py": "from services.cli import keys\nfrom .plan import load\n",
    "services/demo/plan.py": "from services.demo import load\n",
}


def test_the_check_catches_a_break_of_every_rule() -> None:
    found = {(v.rule.name, v.where, v.imported) for v in violations(BROKEN)}
    assert found == {
        ("schema-only-contracts", "contracts/events.py:3", "httpx"),
        ("schema-only-contracts", "contracts/events.py:4", "plumbing.db"),
        ("plumbing-below-services", "plumbing/db.py:3", "services.agreements.settings"),
        ("no-import-cycles", "plumbing/a.py:1", "plumbing.b -> plumbing.a [plumbing/b.py:2]"),
        ("independent-services", "services/agreements/settings.py:1",
         "services.reporting.settings"),
        ("pure-domain", "services/agreements/domain/rules.py:3", "services.agreements.settings"),
        ("pure-domain", "services/agreements/domain/rules.py:4", "fastapi"),
        ("layers-point-inward", "services/agreements/adapters/store.py:2",
         "services.agreements.application"),
        ("clients-use-public-interfaces", "services/cli/__init__.py:1",
         "services.agreements.entrypoints.cli"),
        ("clients-use-public-interfaces", "services/cli/keys.py:1",
         "services.agreements.domain.rules"),
        ("clients-use-public-interfaces", "services/demo/__init__.py:1", "services.cli.keys"),
        ("no-import-cycles", "services/demo/__init__.py:2",
         "services.demo.plan -> services.demo [services/demo/plan.py:1]"),
    }
    assert {name for name, _, _ in found} == {rule.name for rule in RULES}
    message = str(next(v for v in violations(BROKEN) if v.rule.name == "pure-domain"))
    assert message.startswith("services/agreements/domain/rules.py:3: imports services.agreements"
                              ".settings -- pure-domain: the rules do no I/O")  # place, module, why
