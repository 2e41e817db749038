"""The layers moulin_sync keeps, read from its source (every import statement, even one
inside a function): Dagster's private modules are reached through one module only, and
what launches and describes runs sits below the command line, the definitions and the
refresh service."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import moulin_sync

ROOT = Path(moulin_sync.__file__).parent
INTERNALS = "moulin_sync.lib.dagster_internals"
# Each package, and what it must never import, directly or through another module.
BELOW = {
    "moulin_sync.runs": ("moulin_sync.cli", "moulin_sync.defs", "moulin_sync.refresh"),
    "moulin_sync.defs": ("moulin_sync.cli",),
    "moulin_sync.refresh": ("moulin_sync.cli",),
}


def _module_name(path: Path) -> str:
    parts = ["moulin_sync", *path.relative_to(ROOT).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in ROOT.rglob("*.py")}


def _imports(name: str) -> Iterator[str]:
    """Every module `name` imports (and, for `from p import x`, p.x when a module)."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rsplit(".", 1)[0]
            if node.level:
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            yield target
            yield from (f"{target}.{alias.name}" for alias in node.names)


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _import_path(start: str, forbidden: tuple[str, ...]) -> list[str] | None:
    """A chain of imports from `start` to a module of a forbidden package, if any."""
    seen, stack = {start}, [[start]]
    while stack:
        chain = stack.pop()
        for imported in _imports(chain[-1]):
            if any(_within(imported, package) for package in forbidden):
                return [*chain, imported]
            if imported in MODULES and imported not in seen:
                seen.add(imported)
                stack.append([*chain, imported])
    return None


def test_the_source_is_read() -> None:
    assert "moulin_sync.runs.failures" in set(_imports("moulin_sync.defs.alerts"))
    assert _import_path("moulin_sync.cli.sync", ("moulin_sync.runs",)) is not None


def test_only_one_module_imports_dagster_privates() -> None:
    private = sorted(
        f"{name} imports {imported}"
        for name in MODULES
        if name != INTERNALS
        for imported in _imports(name)
        if imported.startswith("dagster._")
    )
    assert not private, f"take Dagster's private names through {INTERNALS}: {private}"


def test_each_layer_stays_below_the_ones_that_use_it() -> None:
    for package, forbidden in BELOW.items():
        for name in MODULES:
            if _within(name, package):
                chain = _import_path(name, forbidden)
                assert chain is None, f"{package} must not import {forbidden}: {' -> '.join(chain)}"
