"""Write the engine's measured performance on the fresh validation set to engine/measured_unseen.json.

    .venv/bin/python scripts/measure_unseen.py

Run after every change of the knowledge or the engine that moves a ranking:
``tests/test_measured_unseen.py`` recomputes the figures and fails while the file is stale.
Every result quotes them (``engine/measured.py``), so a clinician reads how often the engine's
first diagnosis has been right on patients it was never built or tuned on.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from calcinosis import load_kb
from calcinosis.engine.measured import MEASURED_FILE
from calcinosis.evaluation.unseen import UNSEEN_SET, measure_unseen

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    figures = measure_unseen(ROOT / UNSEEN_SET, load_kb(), source=UNSEEN_SET)
    MEASURED_FILE.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(
        f"{MEASURED_FILE.relative_to(ROOT)}: {figures['n']} cases, top-1 {figures['top1']['right']}, knowledge {figures['kb_version']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
