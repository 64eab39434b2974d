"""The flat-table fast path (``batch/columnar.py``) against the per-row path it stands in for.

Every row the fast path takes must be a row the per-row path accepts, with the same evidence
row to the bit (state, implied, closed world, onset); the rows it leaves must come out of the
per-row path as before. Checked on random tables built to reach every branch of the lab
reading and of the evidence (per-row units, censored values, interpretations beside values,
children, creatinine with and without eGFR, the two FGF23 assays, ESR by sex, nested sites,
implications) and on cells the reader refuses, typed (Parquet) and as text (CSV).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from calcinosis.batch.columnar import ColumnarReader
from calcinosis.batch.columns import parse_header
from calcinosis.batch.inputs import TableChunk
from calcinosis.batch.job import JobOptions, run_batch, validate_chunk
from calcinosis.batch.validate import RowValidator
from calcinosis.engine.batch import evidence_matrix
from calcinosis.kb.model import KnowledgeBase

from .conftest import read_table

# test -> ((value, unit) pairs, P(value), qualifiers, P(qualifier), interpretations, P(interpretation)).
# Mostly plausible pairs, and a few the reader refuses (a unit slip, a negative value, no unit).
LABS: dict[str, tuple[list[tuple[Any, Any]], float, list[str], float, list[str], float]] = {
    "calcium": (
        [
            (1.7, "mmol/L"),
            (2.05, "mmol/L"),
            (2.2, "mmol/L"),
            (2.38, "mmol/l"),
            (2.6, "mmol/L"),
            (2.61, "mmol/L"),
            (3.1, "mmol/L"),
            (9.4, "mg/dL"),
            (10.8, " mg/dl "),
            (12.1, "mg/dL"),
            (4.9, "mEq/L"),
            (2.4, "mg/dL"),
            (-1.0, "mmol/L"),
            (2.4, None),
        ],
        0.8,
        ["<", ">", ">=", "~"],
        0.03,
        ["high", "normal", "low", "raised"],
        0.08,
    ),
    "ionized_calcium": ([(1.0, "mmol/L"), (1.2, "mmol/L"), (1.35, "mmol/L"), (1.5, "mmol/L")], 0.1, [], 0, [], 0),
    "albumin": ([(25.0, "g/L"), (32.0, "g/L"), (40.0, "g/L"), (47.0, "g/L"), (3.1, "g/dL")], 0.25, [], 0, [], 0),
    "phosphate": (
        [
            (0.5, "mmol/L"),
            (0.8, "mmol/L"),
            (1.1, "mmol/L"),
            (1.45, "mmol/L"),
            (1.6, "mmol/L"),
            (2.4, "mmol/L"),
            (3.1, "mg/dL"),
            (6.2, "mg/dL"),
        ],
        0.7,
        [],
        0,
        ["high"],
        0.03,
    ),
    "creatinine": (
        [
            (35.0, "µmol/L"),
            (60.0, "umol/L"),
            (88.0, "µmol/L"),
            (140.0, "µmol/L"),
            (450.0, "µmol/L"),
            (900.0, "µmol/L"),
            (0.8, "mg/dL"),
            (1.4, "mg/dL"),
            (6.5, "mg/dL"),
        ],
        0.35,
        ["<"],
        0.03,
        ["high", "normal", "low"],
        0.06,
    ),
    "egfr": (
        [
            (8.0, "mL/min/1.73m2"),
            (14.9, "mL/min/1.73m2"),
            (15.0, "mL/min/1.73m2"),
            (45.0, "mL/min/1.73m2"),
            (59.9, "mL/min/1.73m2"),
            (60.0, "mL/min/1.73m2"),
            (95.0, "mL/min/1.73m2"),
        ],
        0.2,
        ["<", ">"],
        0.05,
        ["high", "normal", "low"],
        0.1,
    ),
    "fgf23": (
        # (None, unit): an interpretation with its unit, which still names the assay
        [
            (40.0, "RU/mL"),
            (90.0, "RU/mL"),
            (180.0, "RU/mL"),
            (300.0, "pg/mL"),
            (40.0, "pg/mL"),
            (1200.0, "RU/mL"),
            (None, "RU/mL"),
            (None, "pg/mL"),
        ],
        0.2,
        [],
        0,
        ["high", "normal", "low"],
        0.15,
    ),
    "esr": ([(5.0, "mm/h"), (20.0, "mm/h"), (35.0, "mm/h"), (60.0, "mm/h")], 0.15, [], 0, [], 0),
    "pth": (
        [(10.0, "pg/mL"), (65.0, "pg/mL"), (300.0, "pg/mL"), (2.0, "pmol/L"), (40.0, "ng/L")],
        0.3,
        ["<"],
        0.04,
        [],
        0,
    ),
    "vitamin_d_25oh": ([], 0, [], 0, ["high", "normal", "low", ""], 0.2),
    "crp": ([], 0, [], 0, ["high", "normal"], 0.2),
}


def _lab_cells(rng: np.random.Generator, n: int) -> dict[str, list[Any]]:
    cols: dict[str, list[Any]] = {}
    for test, (pairs, p_value, quals, p_qual, interps, p_interp) in LABS.items():
        if pairs:
            picks = [pairs[i] if rng.random() < p_value else (None, None) for i in rng.integers(0, len(pairs), n)]
            cols[f"lab:{test}"] = [v for v, _ in picks]
            cols[f"lab:{test}:unit"] = [u for _, u in picks]
        if quals:
            cols[f"lab:{test}:qualifier"] = _draw(rng, quals, p_qual, n)
        if interps:
            cols[f"lab:{test}:interpretation"] = _draw(rng, interps, p_interp, n)
    return cols


def _draw(rng: np.random.Generator, values: list[Any], p: float, n: int) -> list[Any]:
    picks = [values[i] for i in rng.integers(0, len(values), n)]
    return [v if rng.random() < p else None for v in picks]


def random_table(kb: KnowledgeBase, n: int, seed: int, *, text: bool) -> pa.Table:
    """``n`` rows reaching every branch; ``text``: every cell as text, as a CSV gives it."""
    rng = np.random.default_rng(seed)
    lists = kb.vocabulary.lists
    cols: dict[str, list[Any]] = {"id": [f"r{i}" if rng.random() > 0.02 else None for i in range(n)]}
    ages = [0.01, 0.02, 0.5, 1.0, 1.5, 2.0, 7.0, 12.0, 15.0, 17.9, 18.0, 35.0, 59.9, 60.0, 82.0, 125.0, 126.0]
    cols["age"] = _draw(rng, ages, 0.99, n)
    cols["sex"] = _draw(rng, ["female", "male", "other", "unknown", "F", "M", "femme", "x", " female "], 0.98, n)
    cols["postmenopausal"] = _draw(rng, [True, False], 0.2, n)
    cols["duration_months"] = _draw(rng, [0.0, 1.0, 2.5, 6.0, 13.0, 120.0, 2000.0], 0.4, n)
    terms = [("history", "conditions", 0.05), ("exposure", "exposures", 0.04), ("finding", "findings", 0.06)]
    for prefix, list_name, p in terms:
        for term in sorted(lists[list_name]):
            cols[f"{prefix}:{term}"] = _draw(rng, [True, True, False], p, n)
    for term in sorted(lists["sites"]):
        cols[f"site:{term}"] = _draw(rng, [True] * 30 + [False], 0.05, n)
    # a transplant recipient's immunosuppressants (features.yaml explained_by) in every 50th row:
    # drawn at random alone they would meet about once in 3,000 rows
    for i in range(3, n, 50):
        cols["history:kidney_transplant"][i] = True
        cols["exposure:immunosuppressants"][i] = True
    cols["onset_days_after:warfarin"] = _draw(rng, [10.0, 400.0], 0.02, n)
    for name in sorted(lists["antibodies"])[:6]:
        cols[f"antibody:{name}"] = _draw(rng, ["positive", "negative", "Positive"], 0.05, n)
    cols["gene:abcc6"] = _draw(rng, ["pathogenic_variant", "not_found"], 0.03, n)
    cols["imaging:modality"] = _draw(rng, ["radiograph", "ct", "CT", "xray", "mri"], 0.95, n)
    cols["imaging:distribution"] = _draw(rng, [*sorted(lists["distributions"]), "everywhere"], 0.4, n)
    for flag in ("symmetric", "bone_destruction", "uptake", "along_muscle_fibers"):
        cols[f"imaging:{flag}"] = _draw(rng, [True, False], 0.15, n)
    cols["imaging:size_cm"] = _draw(rng, [0.4, 2.9, 3.0, 5.0, 300.0], 0.2, n)
    for key, list_name in (("pattern", "patterns"), ("tissue", "tissues"), ("site", "sites")):
        for term in sorted(lists[list_name])[:8]:
            cols[f"imaging:{key}:{term}"] = _draw(rng, [True], 0.1, n)
    cols |= _lab_cells(rng, n)
    # an acute kidney injury with a raised creatinine in every 50th row: no eGFR from it
    # (case/labs.py), the branch the fast path must mirror
    for i in range(7, n, 50):
        cols["history:acute_kidney_injury"][i] = True
        cols["lab:creatinine"][i], cols["lab:creatinine:unit"][i] = 450.0, "µmol/L"
    if text:
        return pa.table(
            {
                k: pa.array([None if v is None else str(v).lower() if isinstance(v, bool) else str(v) for v in vs])
                for k, vs in cols.items()
            }
        )
    return pa.table(cols)


def _per_row(kb: KnowledgeBase, table: pa.Table) -> tuple[dict[int, int], Any]:
    layout = parse_header(table.column_names, kb, source="t")
    valid = validate_chunk(TableChunk(1, table, layout, "t"), RowValidator(kb))
    return {row - 1: i for i, row in enumerate(valid.rows)}, evidence_matrix(valid.cases, kb)


@pytest.mark.parametrize("text", [False, True], ids=["typed", "text"])
def test_fast_rows_have_the_per_row_evidence(kb: KnowledgeBase, text: bool) -> None:
    table = random_table(kb, 3000, seed=7, text=text)
    layout = parse_header(table.column_names, kb, source="t")
    fast, slow = ColumnarReader(kb, RowValidator(kb)).read(table, layout)
    accepted, reference = _per_row(kb, table)
    positions = fast.positions.tolist()
    assert set(positions) <= set(accepted), "the fast path took a row the reader refuses"
    assert slow.sum() + len(positions) == table.num_rows
    # the table reaches the branches this test is for
    assert 0.3 < len(positions) / table.num_rows < 0.95
    at = [accepted[p] for p in positions]
    for name in ("state", "implied", "closed"):
        mine, theirs = getattr(fast.matrix, name), getattr(reference, name)[at]
        diff = np.argwhere(mine != theirs)
        where = [(positions[i], kb.feature_ids[j]) for i, j in diff[:5]]
        assert diff.size == 0, f"{name} differs at {where}"
    assert np.isnan(fast.matrix.onset_days).all() and np.isnan(reference.onset_days[at]).all()
    assert fast.ids == [table.column("id")[p].as_py() for p in positions]
    # every lab branch was taken by some fast row
    state = fast.matrix.state
    for fid in ("lab:egfr_below_15", "lab:fgf23_high", "lab:esr_high", "lab:calcium_phosphate_product_high"):
        column = state[:, kb.feature_pos(fid)]
        assert (column == 1).any() and (column == -1).any(), fid
    assert fast.matrix.implied.any() and fast.matrix.closed.any()
    # an acute kidney injury's raised creatinine is not a chronic eGFR below 60
    aki = state[:, kb.feature_pos("condition:acute_kidney_injury")] == 1
    creat = table.column("lab:creatinine").to_pylist()
    egfr = [table.column(c).to_pylist() for c in ("lab:egfr", "lab:egfr:qualifier", "lab:egfr:interpretation")]
    raised = np.array([str(creat[p]) in ("450.0", "450") and all(e[p] is None for e in egfr) for p in positions])
    assert (aki & raised).any()
    # (never present; absent where the row denies a chronic kidney disease, the same state)
    assert (state[aki & raised, kb.feature_pos("lab:egfr_below_60")] != 1).all()
    # a transplant's immunosuppressants: read, not scored (features.yaml explained_by)
    j = kb.feature_pos("exposure:immunosuppressants")
    assert (fast.matrix.implied[:, j] & (state[:, j] == 1)).any() and (
        ~fast.matrix.implied[:, j] & (state[:, j] == 1)
    ).any()


def test_batch_output_is_the_same_with_and_without_the_fast_path(kb: KnowledgeBase, tmp_path: Path) -> None:
    table = random_table(kb, 1500, seed=11, text=True)
    source = tmp_path / "t.csv"
    pacsv.write_csv(table, source)
    outs = []
    for columnar in (True, False):
        out = tmp_path / f"o-{columnar}.parquet"
        summary = run_batch(source, out, kb, options=JobOptions(columnar=columnar), progress=False, chunk_rows=400)
        outs.append((summary.scored, summary.rejected, read_table(out), (tmp_path / f"o-{columnar}.rejects.csv")))
    (scored_a, rejected_a, table_a, _), (scored_b, rejected_b, table_b, _) = outs
    assert (scored_a, rejected_a) == (scored_b, rejected_b) and rejected_a > 0 and scored_a > 0
    assert table_a.drop_columns([]).equals(table_b)
    rejects = sorted(tmp_path.glob("*rejects*"))
    assert len(rejects) == 2 and rejects[0].read_bytes() == rejects[1].read_bytes()
