"""The HubSpot emulator and the toolkit import in one direction: no module imports, even
only for type checking or inside a function, a module that imports it back."""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import moulin_sync.emulators

ROOT = Path(moulin_sync.emulators.__file__).parent
PACKAGE = "moulin_sync.emulators"
CHECKED = ("hubspot", "toolkit")  # each service's own package may join this list


def _module_name(path: Path) -> str:
    parts = [*path.relative_to(ROOT).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([PACKAGE, *parts])


def _imports(path: Path, name: str) -> set[str]:
    """Modules of the package that `path` imports, wherever the import statement is."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rsplit(".", 1)[0]
            target = (
                (f"{base}.{node.module}" if node.module else base) if node.level else node.module
            )
            found.add(target or "")
            found.update(f"{target}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for sub in CHECKED for p in (ROOT / sub).rglob("*.py")}
    return {
        name: {m for m in _imports(path, name) if m in modules and m != name}
        for name, path in modules.items()
    }


def test_the_graph_is_read() -> None:
    graph = _graph()
    assert f"{PACKAGE}.hubspot.store" in graph[f"{PACKAGE}.hubspot.objects"]
    assert f"{PACKAGE}.toolkit.routes" in graph[f"{PACKAGE}.toolkit.state"]


def test_no_import_cycle() -> None:
    graph = _graph()
    # A package's __init__ re-exporting its modules is not a cycle of its modules.
    for name in graph:
        graph[name] = {m for m in graph[name] if not name.startswith(m + ".")}
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as e:
        raise AssertionError(f"import cycle: {' -> '.join(e.args[1])}") from None
