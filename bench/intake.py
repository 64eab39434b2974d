"""Benchmark of the note intake (issue #18): notes per second, start-up cost, a 1 MB note.

Measured in the same run, on the 45 notes of ``tests/data/notes`` (French and English):

1. start-up, each in a fresh process: ``import calcinosis.intake`` plus building both
   pipelines (the first French and the first English note), against the bare floor
   ``import edsnlp; edsnlp.blank("eds")`` (spaCy's French tokenizer);
2. notes per second once warm: ``extract_case`` on every note, repeated, against a baseline
   of the bare edsnlp pipeline (tokenizer, sentences, normalizer) over the same texts: the
   ratio says what the matching, qualifiers and assembly cost on top of tokenising;
3. a 1 MB note (the notes repeated) read once: its time;
4. that ``calcinosis diagnose CASE.yaml`` does not import the NLP stack (edsnlp, spacy, negspacy).

Run: .venv/bin/python bench/intake.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTES = ROOT / "tests" / "data" / "notes"


def _fresh(code: str) -> float:
    """Wall seconds of ``code`` in a fresh interpreter (best of three)."""
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    texts = [p.read_text(encoding="utf-8") for p in sorted(NOTES.glob("*.txt"))]
    fr = next(t for p, t in zip(sorted(NOTES.glob("*.txt")), texts, strict=True) if p.name.startswith("fr-"))
    en = next(t for p, t in zip(sorted(NOTES.glob("*.txt")), texts, strict=True) if p.name.startswith("en-"))

    bare = _fresh("import edsnlp; edsnlp.blank('eds')")
    start = _fresh(
        "from calcinosis import load_kb; from calcinosis.intake import extract_case; kb = load_kb(); "
        f"extract_case({fr!r}, kb); extract_case({en!r}, kb)"
    )
    python = _fresh("pass")
    print(
        f"start-up (fresh process, both pipelines built): {start:.2f} s; bare edsnlp.blank('eds'): {bare:.2f} s "
        f"(ratio {start / bare:.2f}x); empty interpreter {python:.2f} s"
    )

    from calcinosis import load_kb
    from calcinosis.intake import extract_case

    kb = load_kb()
    for t in (fr, en):
        extract_case(t, kb)
    n = 0
    t0 = time.perf_counter()
    for _ in range(args.repeat):
        for text in texts:
            extract_case(text, kb)
            n += 1
    ours = n / (time.perf_counter() - t0)

    import edsnlp
    import edsnlp.pipes as eds

    nlp = edsnlp.blank("eds")
    nlp.add_pipe(eds.sentences())
    nlp.add_pipe(eds.normalizer())
    t0 = time.perf_counter()
    for _ in range(args.repeat):
        for text in texts:
            nlp(text)
    floor = n / (time.perf_counter() - t0)
    chars = sum(map(len, texts)) / len(texts)
    print(
        f"notes per second (warm, {len(texts)} notes of {chars:,.0f} characters on average, x{args.repeat}): "
        f"{ours:,.1f}; bare edsnlp tokenizer + sentences + normalizer: {floor:,.1f} (ratio {floor / ours:.1f}x)"
    )

    big = ("\n\n".join(texts) * (1_000_000 // sum(map(len, texts)) + 1))[:1_000_000]
    t0 = time.perf_counter()
    try:
        extract_case(big, kb)
        outcome = "read"
    except Exception as exc:  # a mixed-language megabyte may be refused: report what happened
        outcome = f"refused ({type(exc).__name__})"
    print(f"a 1 MB note: {time.perf_counter() - t0:.1f} s, {outcome}")

    check = (
        "import sys, runpy; sys.argv = ['calcinosis', 'diagnose', 'src/calcinosis/demo/demo-scleroderma-fingertips.yaml', '--json'];\n"
        "import io, contextlib\n"
        "from calcinosis.cli.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n        main()\n    except SystemExit:\n        pass\n"
        "print(sorted(m for m in ('edsnlp', 'spacy', 'negspacy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", check], check=True, cwd=ROOT, capture_output=True, text=True).stdout
    print(f"NLP modules imported by `calcinosis diagnose CASE.yaml`: {out.strip()}")


if __name__ == "__main__":
    main()
