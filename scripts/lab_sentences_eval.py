#!/usr/bin/env python3
"""Lab values read from published lab sentences: precision, recall, values with the right unit.

    .venv/bin/python scripts/lab_sentences_eval.py [tests/data/lab-sentences] [--half dev|held-out]
                                                   [--passages] [--json]

Each passage of ``tests/data/lab-sentences/*.yaml`` is read by the intake as a note in its own
language and its labs are compared with the gold (``calcinosis.evaluation.intake.
evaluate_lab_passages``). The table gives every language and half; ``--passages`` lists what each
passage missed and found extra. Odd-numbered passages are the development half; the even ones
are measured only (docs/intake.md, "Lab sentences").
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from calcinosis import load_kb
from calcinosis.evaluation.intake import evaluate_lab_passages


def main(argv: list[str] | None = None) -> int:
    """Print the figures; the exit status is 0 (a measure, not a test)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", default="tests/data/lab-sentences", type=Path)
    parser.add_argument("--half", choices=("dev", "held-out"))
    parser.add_argument("--passages", action="store_true", help="list each passage's misses and extras")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = evaluate_lab_passages(args.folder, load_kb(), half=args.half)
    if args.json:
        print(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
        return 0
    print(f"{'group':<12} {'precision':>9} {'recall':>7} {'tp/found/gold':>14} {'values with unit':>17}")
    for group, score in sorted(result.scores.items()):
        right, total = result.values.get(group, [0, 0])
        p = f"{score.precision:.3f}" if score.precision is not None else "-"
        r = f"{score.recall:.3f}" if score.recall is not None else "-"
        print(f"{group:<12} {p:>9} {r:>7} {f'{score.tp}/{score.found}/{score.gold}':>14} {f'{right}/{total}':>17}")
    if args.passages:
        for passage in result.passages:
            if passage.missed or passage.extra or passage.error:
                print(f"\n{passage.id} ({passage.half}) {passage.error}")
                for item in passage.missed:
                    print(f"  - missed {item}")
                for item in passage.extra:
                    print(f"  + extra  {item}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
