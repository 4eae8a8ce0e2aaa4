"""The package's layers: a lower layer never imports a higher one.

The order follows the path of a take, from shared types up to the commands a
user types. A newcomer can read any layer knowing only the ones below it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "src" / "heard"

# Lowest first. `cli` and the package's own __init__/__main__ sit on top.
LAYERS = ["core", "audio", "listen", "analysis", "store", "report", "practice", "commands"]
TOP = len(LAYERS)


def layer_of(module: str) -> int | None:
    """The layer index of a dotted heard module name, or None if not heard's."""
    parts = module.split(".")
    if parts[0] != "heard":
        return None
    if len(parts) == 1 or parts[1] in ("cli", "__main__"):
        return TOP
    return LAYERS.index(parts[1]) if parts[1] in LAYERS else TOP


def module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, source: str | None = None) -> list[tuple[int, str]]:
    """Every heard module a file imports, at top level or inside functions."""
    tree = ast.parse(source if source is not None else path.read_text(encoding="utf-8"))
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            found.append((node.lineno, mod))
            # `from heard import x` / `from heard.audio import devices` name submodules
            found += [(node.lineno, f"{mod}.{a.name}") for a in node.names]
    return found


def test_every_subpackage_is_a_known_layer():
    subpackages = {p.name for p in PKG.iterdir() if (p / "__init__.py").is_file()}
    assert subpackages <= set(LAYERS), f"add {sorted(subpackages - set(LAYERS))} to LAYERS"


@pytest.mark.parametrize("path", sorted(PKG.rglob("*.py")), ids=lambda p: str(p.relative_to(PKG)))
def test_no_lower_layer_imports_a_higher_one(path):
    own = layer_of(module_name(path))
    bad = []
    for line, mod in imports_of(path):
        other = layer_of(mod)
        if other is not None and other > own:
            bad.append(f"line {line}: {mod}")
    assert not bad, f"{path.relative_to(PKG)} ({LAYERS[own] if own < TOP else 'top'}) imports higher layers: {bad}"


def test_the_checker_catches_an_upward_import():
    """The rule is real: an analysis module importing the practice loop, even
    lazily inside a function or relatively, is caught."""
    probe = PKG / "analysis" / "probe.py"
    source = "def f():\n    from ..practice.session import PracticeSession\n"
    found = [layer_of(m) for _, m in imports_of(probe, source)]
    assert layer_of(module_name(probe)) == LAYERS.index("analysis")
    assert LAYERS.index("practice") in found
