"""The parts of ``src/calcinosis`` import only the parts below them (the developers' guide: lower
layers never import higher ones). Read from the source with ``ast``, lazy imports inside
functions included: a lazy import is still a dependency, and an engine that imports management
to stage a venous disease cannot be understood, tested or reused without it."""

from __future__ import annotations

import ast
from pathlib import Path

from .conftest import REPO

PACKAGE = REPO / "src" / "calcinosis"

BASE = frozenset(
    {"_version", "cache", "number_symbols", "i18n", "issues", "errors", "textsafe", "outputs", "serialise"}
)
"""The modules at the package's top: messages, issues, errors, safe text and output files."""

_CLINICAL = BASE | {"kb", "case"}
ALLOWED: dict[str, frozenset[str]] = {
    "kb": BASE,
    "case": BASE | {"kb"},
    "engine": _CLINICAL,
    "intake": _CLINICAL,
    "imaging": _CLINICAL,
    "management": _CLINICAL | {"engine"},
    "batch": _CLINICAL | {"engine"},
    "evaluation": _CLINICAL | {"engine", "intake"},
    "reports": _CLINICAL | {"engine", "management"},
    "interop": _CLINICAL | {"engine", "management", "reports"},
    "registry": _CLINICAL | {"engine", "imaging", "reports"},
}
"""What each part may import; ``web`` may import every part but ``cli``, and ``cli`` every part."""

EXCEPTIONS = {("errors", "imaging")}
"""``ImagingError`` belongs to the one exception tree (errors.py) and says its message from the
imaging package's table, imported when an imaging error is rendered, never on another path."""


def _imports(path: Path) -> set[str]:
    """The parts of calcinosis a module imports (the first name after ``calcinosis.``), with
    ``from calcinosis import x`` read as part ``x``."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            parts = node.module.split(".")
            if parts[0] != "calcinosis" or node.level:
                continue
            if len(parts) > 1:
                found.add(parts[1])
            else:
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("calcinosis."))
    return found


def _part(path: Path) -> str:
    """The part a module belongs to: its folder under calcinosis, or its own name at the top."""
    rel = path.relative_to(PACKAGE).parts
    return rel[0] if len(rel) > 1 else rel[0].removesuffix(".py")


def test_every_part_imports_only_the_parts_below_it() -> None:
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        part = _part(path)
        if part in ("__init__", "cli"):  # the public façade, and the commands on top of everything
            continue
        if part == "web":
            allowed = frozenset(ALLOWED) | BASE | {"web", "__version__"} - {"cli"}
        elif part in BASE:
            allowed = BASE | {"__version__"}
        else:
            allowed = ALLOWED[part] | {part, "__version__"}
        for target in sorted(_imports(path) - allowed):
            if (part, target) not in EXCEPTIONS:
                wrong.append(f"{path.relative_to(PACKAGE)} imports calcinosis.{target}")
    assert not wrong, "\n".join(wrong)


def test_every_part_has_its_rule() -> None:
    """A new folder under calcinosis gets its place in ALLOWED (or is the web or the CLI)."""
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert folders - set(ALLOWED) - {"web", "cli"} == set()
