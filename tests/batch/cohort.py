"""A small random cohort in case format v1, and the same cases as flat-table rows.

The conversion to rows is written here independently of ``calcinosis.batch.columns`` (from
the column naming of docs/batch.md), so that reading the table back is tested against it.
"""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path
from typing import Any

import yaml

from calcinosis.kb.model import KnowledgeBase

LAB_UNITS = {"calcium": ["mmol/L", "mg/dL"], "phosphate": ["mmol/L", "mg/dL"], "albumin": ["g/L"]}
LAB_VALUES = {
    ("calcium", "mmol/L"): (1.9, 3.2),
    ("calcium", "mg/dL"): (7.8, 12.5),
    ("phosphate", "mmol/L"): (0.6, 2.6),
    ("phosphate", "mg/dL"): (2.0, 7.5),
    ("albumin", "g/L"): (25, 48),
}


def random_case(rng: random.Random, kb: KnowledgeBase, i: int) -> dict[str, Any]:
    """A valid case dict using only what one flat-table row can hold (one imaging study, one value per test)."""
    lists = kb.vocabulary.lists

    def pick(name: str, k: int) -> list[str]:
        return rng.sample(sorted(lists[name]), k)

    age = round(rng.uniform(0.5, 90), 1)
    case: dict[str, Any] = {"id": f"c{i:03d}", "patient": {"age": age, "sex": rng.choice(["female", "male"])}}
    if case["patient"]["sex"] == "female" and age > 50 and rng.random() < 0.5:
        case["patient"]["postmenopausal"] = rng.random() < 0.8
    findings = pick("findings", rng.randint(0, 5))
    if findings:
        case["findings"] = findings[: max(1, len(findings) - 1)]
        if len(findings) > 1:
            case["absent"] = findings[-1:]
    if rng.random() < 0.6:
        case["history"] = pick("conditions", rng.randint(1, 2))
    if rng.random() < 0.3:
        exposure = pick("exposures", 1)
        case["exposures"] = exposure
        if rng.random() < 0.5:
            case["onset_days_after"] = {exposure[0]: float(rng.randint(1, 60))}
    if rng.random() < 0.5:
        case["sites"] = pick("sites", rng.randint(1, 2))
    if rng.random() < 0.5:
        case["duration_months"] = float(min(rng.randint(1, 48), int(age * 12)))
    labs = []
    for test in ("calcium", "phosphate", "albumin"):
        if rng.random() < 0.6:
            unit = rng.choice(LAB_UNITS[test])
            low, high = LAB_VALUES[(test, unit)]
            labs.append({"test": test, "value": round(rng.uniform(low, high), 2), "unit": unit})
    if rng.random() < 0.4:
        labs.append({"test": "pth", "interpretation": rng.choice(["high", "normal", "low"])})
    if labs:
        case["labs"] = labs
    if rng.random() < 0.3:
        case["antibodies"] = [{"name": pick("antibodies", 1)[0], "result": rng.choice(["positive", "negative"])}]
    if rng.random() < 0.1:
        case["genetics"] = [{"gene": pick("genetics", 1)[0], "result": "pathogenic_variant"}]
    if rng.random() < 0.7:
        study: dict[str, Any] = {"modality": rng.choice(["radiograph", "ct", "ultrasound", "mri"])}
        if rng.random() < 0.8:
            study["patterns"] = pick("patterns", rng.randint(1, 2))
        if rng.random() < 0.6:
            study["tissues"] = pick("tissues", rng.randint(1, 2))
        if rng.random() < 0.4:
            study["sites"] = pick("sites", 1)
        if rng.random() < 0.5:
            study["distribution"] = rng.choice(sorted(lists["distributions"]))
        if rng.random() < 0.3:  # a single deposit is never symmetric (the case reader refuses it)
            study["symmetric"] = rng.random() < 0.5 and study.get("distribution") != "single"
        if rng.random() < 0.3:
            study["size_cm"] = round(rng.uniform(0.2, 8), 1)
        case["imaging"] = [study]
    return case


def cohort(kb: KnowledgeBase, n: int, seed: int = 17) -> list[dict[str, Any]]:
    """``n`` random valid cases."""
    rng = random.Random(seed)
    return [random_case(rng, kb, i) for i in range(n)]


def as_row(case: dict[str, Any]) -> dict[str, str]:
    """One case as a flat-table row of text cells (the CSV form)."""
    row = {"id": case["id"], "age": repr(case["patient"]["age"]), "sex": case["patient"]["sex"]}
    if "postmenopausal" in case["patient"]:
        row["postmenopausal"] = str(case["patient"]["postmenopausal"]).lower()
    for key, prefix in (("history", "history"), ("exposures", "exposure"), ("findings", "finding")):
        for term in case.get(key, []):
            row[f"{prefix}:{term}"] = "true"
    for term in case.get("absent", []):
        row[f"finding:{term}"] = "false"
    for term in case.get("sites", []):
        row[f"site:{term}"] = "true"
    for term, days in case.get("onset_days_after", {}).items():
        row[f"onset_days_after:{term}"] = repr(days)
    if "duration_months" in case:
        row["duration_months"] = repr(case["duration_months"])
    for lab in case.get("labs", []):
        if "value" in lab:
            row[f"lab:{lab['test']}"] = repr(lab["value"])
            row[f"lab:{lab['test']}:unit"] = lab["unit"]
        if "interpretation" in lab:
            row[f"lab:{lab['test']}:interpretation"] = lab["interpretation"]
    for ab in case.get("antibodies", []):
        row[f"antibody:{ab['name']}"] = ab["result"]
    for gene in case.get("genetics", []):
        row[f"gene:{gene['gene']}"] = gene["result"]
    for study in case.get("imaging", []):
        row["imaging:modality"] = study["modality"]
        for key, prefix in (("patterns", "pattern"), ("tissues", "tissue"), ("sites", "site")):
            for term in study.get(key, []):
                row[f"imaging:{prefix}:{term}"] = "true"
        for key in ("distribution", "symmetric", "size_cm"):
            if key in study:
                value = study[key]
                row[f"imaging:{key}"] = str(value).lower() if isinstance(value, bool) else str(value)
    return row


def header(rows: list[dict[str, str]]) -> list[str]:
    """Every column of ``rows``, in the order first seen (lab values before their units)."""
    names: list[str] = ["id", "age", "sex"]
    for row in rows:
        names.extend(k for k in row if k not in names)
    return names


def write_csv(path: Path, rows: list[dict[str, str]], names: list[str] | None = None) -> Path:
    """The rows as a CSV file (empty cells for what a row does not state)."""
    names = names or header(rows)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=names, restval="")
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_jsonl(path: Path, cases: list[dict[str, Any]]) -> Path:
    """The cases as JSON Lines."""
    path.write_text("".join(json.dumps(c) + "\n" for c in cases), encoding="utf-8")
    return path


def write_folder(folder: Path, cases: list[dict[str, Any]]) -> Path:
    """The cases as YAML files (and every third as JSON), named in input order."""
    folder.mkdir()
    for i, case in enumerate(cases):
        if i % 3 == 2:
            (folder / f"{case['id']}.json").write_text(json.dumps(case), encoding="utf-8")
        else:
            (folder / f"{case['id']}.yaml").write_text(yaml.safe_dump(case), encoding="utf-8")
    return folder
