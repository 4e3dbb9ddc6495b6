"""The shape of the house, checked: no import cycles, small modules, a domain without HTTP."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "mockserver"
MAX_LINES = 400
# The domain: what jobs are and how they live. It must run with no HTTP library installed.
DOMAIN = (
    "engine", "jobs", "store", "memory_store", "clock", "scenarios", "fixtures", "outcomes", "preferences",
    "model", "matching", "ids", "errors", "journal", "deliveries", "emulator", "kinds", "kinds.clip",
    "kinds.upload", "kinds.spoken_index", "kinds.scene_index", "kinds.transcript", "kinds.rules",
    "library", "catalog", "launcher", "uploads", "indexes", "searches", "search", "transcripts",
)  # fmt: skip
HTTP_LIBRARIES = {"starlette", "httpx", "uvicorn", "h11", "httptools", "http", "aiohttp", "requests", "urllib3", "anyio"}
HTTP_LAYER = {
    "app", "endpoint", "handlers", "media_handlers", "upload_target", "not_emulated", "auth", "admin", "http_errors",
    "server", "control", "dispatcher", "receiver",
}  # fmt: skip


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> tuple[set[str], set[str]]:
    """(modules of this package, top-level outside packages) that ``path`` imports anywhere,
    lazily inside functions too."""
    own = _module_name(path)
    package = own.split(".") if path.name == "__init__.py" else own.split(".")[:-1]
    inside: set[str] = set()
    outside: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("mockserver."):
                    inside.add(alias.name.removeprefix("mockserver."))
                else:
                    outside.add(alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                if node.module and node.module.startswith("mockserver"):
                    base = node.module.removeprefix("mockserver").lstrip(".")
                    inside.update(_resolve(base, node))
                elif node.module:
                    outside.add(node.module.split(".")[0])
                continue
            anchor = package[: len(package) - (node.level - 1)]
            base = ".".join([*anchor, *(node.module.split(".") if node.module else [])])
            inside.update(_resolve(base, node))
    inside.discard("")
    return inside, outside


def _resolve(base: str, node: ast.ImportFrom) -> set[str]:
    """``from base import a, b``: a and b are modules when such files exist, else names in base."""
    found = set()
    for alias in node.names:
        candidate = f"{base}.{alias.name}" if base else alias.name
        if _path_of(candidate) is not None:
            found.add(candidate)
        else:
            found.add(base)
    return found


def _path_of(module: str) -> Path | None:
    target = PACKAGE.joinpath(*module.split("."))
    for candidate in (target.with_suffix(".py"), target / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


GRAPH = {_module_name(p): _imports(p) for p in sorted(PACKAGE.rglob("*.py"))}


def _cycle_from(start: str) -> list[str] | None:
    path: list[str] = []
    seen: set[str] = set()

    def visit(module: str) -> list[str] | None:
        if module in path:
            return path[path.index(module) :] + [module]
        if module in seen or module not in GRAPH:
            return None
        seen.add(module)
        path.append(module)
        for target in sorted(GRAPH[module][0]):
            if target == module or module.startswith(target + ".") and target in GRAPH and _is_package_init(target):
                continue  # a module's own package __init__ runs first anyway; not a cycle of ours
            found = visit(target)
            if found:
                return found
        path.pop()
        return None

    return visit(start)


def _is_package_init(module: str) -> bool:
    path = _path_of(module)
    return path is not None and path.name == "__init__.py"


def test_the_graph_is_read():
    assert {"engine", "app", "bench.load", "conformance.cli", "kinds.clip"} <= set(GRAPH)
    assert "jobs" in GRAPH["engine"][0] and "starlette" in GRAPH["app"][1]


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_no_module_imports_itself_back(module):
    assert _cycle_from(module) is None, " -> ".join(_cycle_from(module) or [])


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_modules_stay_small(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.name} has {lines} lines: split it by concept"


def _closure(module: str) -> set[str]:
    reached, todo = set(), [module]
    while todo:
        current = todo.pop()
        if current in reached or current not in GRAPH:
            continue
        reached.add(current)
        todo.extend(GRAPH[current][0])
    return reached


@pytest.mark.parametrize("module", DOMAIN)
def test_the_domain_imports_no_http(module):
    reached = _closure(module)
    assert not reached & HTTP_LAYER, f"{module} reaches the HTTP layer: {sorted(reached & HTTP_LAYER)}"
    libraries = set().union(*(GRAPH[m][1] for m in reached))
    assert not libraries & HTTP_LIBRARIES, f"{module} reaches {sorted(libraries & HTTP_LIBRARIES)}"


def test_conformance_imports_nothing_of_the_server():
    for module in GRAPH:
        if module.startswith("conformance"):
            strays = {m for m in _closure(module) if not m.startswith("conformance")}
            assert not strays, f"{module} reaches {sorted(strays)}"
