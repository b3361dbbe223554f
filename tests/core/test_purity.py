"""The domain core is pure: no I/O, no frameworks, no clock of its own.

Every decision of the core must be reproducible from its inputs (the request, the
command, the actor, the context and ``now``), so that a rule (and its article, Art. 15)
can be replayed and audited. These tests read the source with ``ast`` and fail on any
import outside a small set of pure standard-library modules and ``ozara.core`` itself,
and on any call that reads the clock, the environment or randomness.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import ozara.core

CORE = Path(ozara.core.__file__).parent
MODULES = sorted(CORE.glob("*.py"))

#: Standard-library modules the core may use: data, dates, text, no I/O.
ALLOWED = frozenset(
    {
        "__future__",
        "abc",
        "calendar",
        "collections",
        "collections.abc",
        "dataclasses",
        "difflib",
        "datetime",
        "decimal",
        "enum",
        "functools",
        "ipaddress",
        "itertools",
        "math",
        "operator",
        "re",
        "types",
        "typing",
        "zoneinfo",
    }
)
#: Methods that read the clock, the environment or randomness, whatever their receiver.
FORBIDDEN_METHODS = frozenset(
    {
        "now",
        "utcnow",
        "today",
        "time_ns",
        "monotonic",
        "perf_counter",
        "getenv",
        "uuid1",
        "uuid4",
        "randint",
        "random",
        "choice",
    }
)
#: Builtins that do I/O or run code.
FORBIDDEN_FUNCTIONS = frozenset({"open", "print", "input", "exec", "eval", "__import__"})


def imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                # A relative import, resolved from the package ``ozara.core``.
                package = ["ozara", "core"][: 3 - node.level]
                found.append((node.lineno, ".".join([*package, *filter(None, [node.module])])))
            else:
                found.append((node.lineno, node.module or ""))
    return found


def forbidden_calls(tree: ast.AST) -> list[tuple[int, str]]:
    """Calls such as ``datetime.now()``, ``time.time()``, ``os.getenv()`` or ``open()``.

    ``datetime.time(0)`` (a constructor) is fine; ``time.time()`` (the clock) is not.
    """
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute):
            receiver = func.value.id if isinstance(func.value, ast.Name) else ""
            if func.attr in FORBIDDEN_METHODS or (receiver, func.attr) == ("time", "time"):
                found.append((node.lineno, f"{receiver or '...'}.{func.attr}"))
        elif isinstance(func, ast.Name) and func.id in FORBIDDEN_FUNCTIONS:
            found.append((node.lineno, func.id))
    return found


def is_allowed(module: str) -> bool:
    return module in ALLOWED or module == "ozara.core" or module.startswith("ozara.core.")


def test_the_core_has_modules_to_check() -> None:
    assert {p.name for p in MODULES} >= {
        "rules.py",
        "parties.py",
        "treaty.py",
        "requests.py",
        "deadlines.py",
        "actions.py",
        "lifecycle.py",
    }


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_core_imports_only_pure_stdlib_and_itself(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    bad = [
        f"{path.name}:{line} imports {m}" for line, m in imported_modules(tree) if not is_allowed(m)
    ]
    assert bad == []


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_core_never_reads_the_clock_or_does_io(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    bad = [f"{path.name}:{line} calls {name}()" for line, name in forbidden_calls(tree)]
    assert bad == []


@pytest.mark.parametrize(
    ("source", "offence"),
    [
        ("import os", "os"),
        ("import sqlalchemy.orm", "sqlalchemy.orm"),
        ("from fastapi import FastAPI", "fastapi"),
        ("import typer", "typer"),
        ("import socket", "socket"),
        ("import subprocess", "subprocess"),
        ("from pathlib import Path", "pathlib"),
        ("import requests", "requests"),
        ("import httpx", "httpx"),
        ("from ozara.store import db", "ozara.store"),
        ("from ozara import seed", "ozara"),
        ("import time", "time"),
        ("import random", "random"),
    ],
)
def test_the_import_check_catches_impure_imports(source: str, offence: str) -> None:
    [(_, module)] = imported_modules(ast.parse(source))
    assert module == offence
    assert not is_allowed(module)


@pytest.mark.parametrize(
    "source",
    [
        "datetime.now(UTC)",
        "datetime.datetime.utcnow()",
        "date.today()",
        "time.time()",
        "open('x')",
        "os.getenv('X')",
        "uuid.uuid4()",
        "random.random()",
        "eval('1')",
    ],
)
def test_the_call_check_catches_clock_and_io(source: str) -> None:
    assert forbidden_calls(ast.parse(source)) != []


def test_the_call_check_allows_constructing_a_time_of_day() -> None:
    assert forbidden_calls(ast.parse("datetime.combine(day, time(0), tzinfo=zone)")) == []


def test_relative_imports_are_resolved_from_the_core_package() -> None:
    assert imported_modules(ast.parse("from .rules import Rule")) == [(1, "ozara.core.rules")]
    assert imported_modules(ast.parse("from . import rules")) == [(1, "ozara.core")]
    assert imported_modules(ast.parse("from ..store import db")) == [(1, "ozara.store")]
    assert not is_allowed("ozara.store")
