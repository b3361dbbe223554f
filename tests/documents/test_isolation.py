"""``ozara.crypto`` and ``ozara.documents`` stand below the adapters: no store, services, CLI.

``crypto`` depends on nothing of Ozara; ``documents`` on ``crypto`` and the pure core only.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import ozara.crypto
import ozara.documents

PACKAGES = {
    "ozara.crypto": Path(ozara.crypto.__file__).parent,
    "ozara.documents": Path(ozara.documents.__file__).parent,
}
ALLOWED_OZARA = {
    "ozara.crypto": ("ozara.crypto",),
    "ozara.documents": ("ozara.crypto", "ozara.documents", "ozara.core"),
}
FORBIDDEN = ("ozara.store", "ozara.services", "ozara.cli", "ozara.demo", "ozara.seed")


def ozara_imports(path: Path, package: str) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                found.append(".".join([*base, *filter(None, [node.module])]))
            else:
                found.append(node.module or "")
    return [m for m in found if m == "ozara" or m.startswith("ozara.")]


@pytest.mark.parametrize(
    "path",
    [p for root in PACKAGES.values() for p in sorted(root.glob("*.py"))],
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_imports_stay_below_the_adapters(path: Path) -> None:
    package = f"ozara.{path.parent.name}"
    allowed = ALLOWED_OZARA[package]
    bad = [
        m
        for m in ozara_imports(path, package)
        if not any(m == a or m.startswith(a + ".") for a in allowed)
    ]
    assert bad == []


def test_the_check_resolves_relative_imports() -> None:
    assert ozara_imports(Path(ozara.documents.__file__).parent / "trust.py", "ozara.documents")


def test_importing_them_loads_no_adapter() -> None:
    code = (
        "import sys, ozara.crypto, ozara.documents; "
        f"print(sorted(m for m in sys.modules if m.startswith({FORBIDDEN!r})))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"
