"""One-off migration (knowledge 2026.12.0): give every frequency of diseases/*.yaml a `basis`.

Rules, applied to each finding entry as it stood before the migration:
- an `estimate` that quotes a count from its cited source ("49 of 64", "86 % of 253
  patients", "12/40") -> `derived` (the estimate text is the computation from the source);
- any other `estimate` -> `judgement` (the estimate text is the reasoning);
- references and no estimate -> `reported`, which the loader then requires to carry `n`,
  `total` and `population`: each was audited by hand (kept with n/N from the source, or
  demoted to `judgement` with the reasoning).
Kept for the record; running it again changes nothing (entries with a basis are skipped).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

COUNT = re.compile(r"\b\d+\s*(?:/|of)\s*\d+\b|\d+(?:\.\d+)?\s*%\s*(?:of|in)\s+(?:the\s+)?\d+")


def basis_of(entry: dict[str, object]) -> str:
    estimate = entry.get("estimate")
    if not estimate:
        return "reported"
    if entry.get("references") and COUNT.search(str(estimate)):
        return "derived"
    return "judgement"


def migrate(path: Path) -> int:
    """Insert `basis:` after the frequency of each finding that has none; return how many."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    entries = iter(yaml.safe_load("".join(lines)).get("findings", []))
    result: list[str] = []
    changed = 0
    for i, line in enumerate(lines):
        result.append(line)
        if line.startswith("    frequency:") and i > 0 and lines[i - 1].startswith("  - feature:"):
            entry = next(entries)
            if "basis" not in entry:
                result.append(f"    basis: {basis_of(entry)}\n")
                changed += 1
    path.write_text("".join(result), encoding="utf-8")
    return changed


if __name__ == "__main__":
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "src/calcinosis/knowledge/diseases")
    total = sum(migrate(p) for p in sorted(root.glob("*.yaml")))
    print(f"{total} frequencies given a basis")
