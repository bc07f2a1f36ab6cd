"""The package's imports match the picture in the README (section Layout), so it stays true.

Read from the source (``ast``), nothing imported or run:

* each package sits in a layer and imports only its own layer or those below
  (``cli → commands → api → ogc/tiles/reports/demo → maps/exports/importers → readiness →
  projects/supply → parcels/auth → audit → db → settings/spatial/text/wire/errors``);
* a package's ``models`` module is its tables: the data layer, readable from any layer above
  ``db`` (``db/models.py`` gathers every table for Alembic and may import them all);
* no import cycle between modules (imports at module level);
* no private name (``_x``) of one module is used by another, neither imported nor read as
  ``module._x``.

``KNOWN`` lists the exceptions still open, each with its reason; the test fails when one is fixed
(remove it then) as much as when a new one appears.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "geo_service"

#: top → bottom; a package may import its own layer and any layer below it
LAYERS: list[set[str]] = [
    {"cli"},
    {"commands"},
    {"api"},
    {"ogc", "tiles", "reports", "demo"},
    {"maps", "exports", "importers"},
    {"readiness"},
    {"projects", "supply"},
    {"parcels", "auth"},
    {"audit"},
    {"counties"},
    {"db"},
    {"settings", "spatial", "text", "wire", "errors", "__init__"},
]
RANK = {pkg: len(LAYERS) - i for i, layer in enumerate(LAYERS) for pkg in layer}

#: (importing module, imported module or "module._name") → why it is still allowed
KNOWN: dict[tuple[str, str], str] = {
    ("geo_service.readiness.records_upload", "geo_service.importers.columns"): (
        "the generic cell parsers live in importers/columns.py (importers/ is split by another "
        "helper this round); to move below both"
    ),
    ("geo_service.settings", "geo_service.supply.config"): (
        "the settings hold the supply clocks' configuration schema, defined beside the clocks"
    ),
    ("geo_service.supply.idle", "geo_service.supply.clocks._as_date"): (
        "supply/ is owned by another helper this round; clocks.as_date to be made public"
    ),
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def package_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def sources() -> dict[str, tuple[Path, ast.Module]]:
    out = {}
    for path in sorted(ROOT.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        out[module_name(path)] = (path, ast.parse(path.read_text(encoding="utf-8")))
    return out


MODULES = sources()


def _resolve(module: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    if node.level > 1:
        base = base[: -(node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports(top_level_only: bool = False) -> list[tuple[str, str, list[str]]]:
    """(importer, imported module, names taken from it) for every geo_service import."""
    out = []
    for module, (path, tree) in MODULES.items():
        nodes = tree.body if top_level_only else list(ast.walk(tree))
        for node in nodes:
            if isinstance(node, ast.ImportFrom):
                target = _resolve(module, path, node)
                if not target.startswith("geo_service"):
                    continue
                plain = []
                for alias in node.names:
                    sub = f"{target}.{alias.name}"
                    if sub in MODULES:  # `from pkg import submodule`
                        out.append((module, sub, []))
                    else:
                        plain.append(alias.name)
                if plain:
                    out.append((module, target, plain))
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("geo_service"):
                        out.append((module, alias.name, []))
    return out


def _allowed(importer: str, target: str) -> bool:
    src, dst = package_of(importer), package_of(target)
    if src == dst or importer == "geo_service.db.models":
        return True
    if target.endswith(".models") and RANK[src] > RANK["db"]:
        return True  # tables are the data layer
    return RANK[src] >= RANK[dst]


def test_every_package_has_a_layer() -> None:
    missing = {package_of(m) for m in MODULES} - set(RANK)
    assert not missing, f"put these packages in a layer of LAYERS (and the README): {missing}"


def test_imports_follow_the_layers() -> None:
    wrong = sorted(
        f"{importer} imports {target} ({package_of(importer)} is below {package_of(target)})"
        for importer, target, _ in imports()
        if not _allowed(importer, target) and (importer, target) not in KNOWN
    )
    assert not wrong, "\n".join(wrong)


def test_no_private_names_across_modules() -> None:
    wrong = []
    for importer, target, names in imports():
        for name in names:
            private = name.startswith("_") and not name.startswith("__")
            if private and importer != target and (importer, f"{target}.{name}") not in KNOWN:
                wrong.append(f"{importer} imports {target}.{name}")
    for module, (_, tree) in MODULES.items():
        aliases = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("geo_service"):
                for a in node.names:
                    if f"{node.module}.{a.name}" in MODULES:
                        aliases[a.asname or a.name] = f"{node.module}.{a.name}"
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
                and (module, f"{aliases[node.value.id]}.{node.attr}") not in KNOWN
            ):
                wrong.append(f"{module} reads {aliases[node.value.id]}.{node.attr}")
    assert not wrong, "make these public (or move them where both can use them):\n" + "\n".join(
        sorted(set(wrong))
    )


def test_no_import_cycles() -> None:
    graph: dict[str, set[str]] = defaultdict(set)
    for importer, target, _ in imports(top_level_only=True):
        if target in MODULES and target != importer:
            graph[importer].add(target)
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                cycles.append(stack[stack.index(n) :] + [n])
            elif n not in state:
                visit(n)
        stack.pop()
        state[m] = 2

    for m in sorted(MODULES):
        if m not in state:
            visit(m)
    assert not cycles, "\n".join(" → ".join(c) for c in cycles)


def test_known_exceptions_are_still_real() -> None:
    seen = {(i, t) for i, t, _ in imports()} | {
        (i, f"{t}.{n}") for i, t, names in imports() for n in names
    }
    stale = [k for k in KNOWN if k not in seen]
    assert not stale, f"fixed: remove from KNOWN {stale}"


def test_test_modules_import_only_helper_modules() -> None:
    """Shared test code lives in helper modules (helpers, databases, documents, samples…), never
    in a ``test_*.py`` another test module imports; and the package never imports the tools."""
    tests = Path(__file__).resolve().parent
    for path in sorted(tests.glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith("tests.test_"), f"{path.name}: {node.module}"
    for path in ROOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            names += [a.name for a in node.names] if isinstance(node, ast.Import) else []
            assert not [n for n in names if n.split(".")[0] == "tools"], path
