"""Shared fixtures: the shipped knowledge base, the dev cases of ../shared, hypothesis profile."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, settings

from calcinosis import KnowledgeBase, load_kb
from calcinosis.kb.loader import default_kb_path

# CI=true loads hypothesis' "ci" profile (deadline=None, derandomize=True). Local runs get the
# same timing tolerance so a busy 2-core machine never flakes on deadlines.
settings.register_profile("dev", deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow])
if not os.environ.get("CI"):
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

REPO = Path(__file__).resolve().parents[1]
# ../shared beside the checkout (CI, development machines), else the copy kept with the tests
# for a clone on its own (tests/data/shared/README.md); CALCINOSIS_SHARED names another folder
SHARED = Path(
    os.environ.get(
        "CALCINOSIS_SHARED",
        REPO.parent / "shared" if (REPO.parent / "shared" / "cases").is_dir() else REPO / "tests" / "data" / "shared",
    )
)
DEV_CASES = sorted((SHARED / "cases").glob("dev-*.yaml"))
PUBLISHED_CASES = REPO / "tests" / "data" / "published" / "cases"  # the validation set
# a scleroderma's fingertip nodules: a case of calcinosis cutis, for the tests that read what its
# plan and education say (and what other diagnoses' plans no longer say)
SCLERODERMA_FINGERTIPS: dict[str, Any] = {
    "patient": {"age": 50, "sex": "female"},
    "history": ["systemic_sclerosis"],
    "findings": ["palpable_nodules", "raynaud_phenomenon", "sclerodactyly"],
    "sites": ["fingertips"],
}


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    """The knowledge base shipped in the package."""
    return load_kb()


@pytest.fixture(scope="session")
def shared() -> Path:
    """The ../shared folder (seeds, seed facts, dev cases)."""
    if not (SHARED / "cases").is_dir():
        pytest.fail(f"shared folder not found at {SHARED}: set CALCINOSIS_SHARED")
    return SHARED


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the shipped knowledge, with a cache folder of its own (cache and loader tests)."""
    monkeypatch.setenv("CALCINOSIS_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "kb"
    shutil.copytree(default_kb_path(), folder)
    return folder


def edited_disease(tmp_path: Path, disease: str, edit: Callable[[dict[str, Any]], Any]) -> Path:
    """A copy of the shipped knowledge with ``diseases/<disease>.yaml`` changed by ``edit``
    (given the parsed file), for the tests of what the loader and kb check say about it."""
    root = tmp_path / "kb"
    shutil.copytree(default_kb_path(), root)
    path = root / "diseases" / f"{disease}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return root


def forearm_extravasation(age: float, sex: str = "female") -> dict[str, Any]:
    """A calcium infusion's extravasation at the forearm, a nodule felt there: the case several
    reviews read at different ages (a newborn's, an adult's)."""
    return {
        "patient": {"age": age, "sex": sex},
        "exposures": ["iv_calcium", "calcium_extravasation"],
        "findings": ["palpable_nodules"],
        "sites": ["forearm"],
    }


DIALYSIS_CT_RAISED_PHOSPHATE: dict[str, Any] = {
    "patient": {"age": 60, "sex": "male"},
    "history": ["dialysis", "chronic_kidney_disease"],
    "labs": [{"test": "phosphate", "value": 2.3, "unit": "mmol/L"}],
    "imaging": [{"modality": "ct", "tissues": ["artery", "visceral"]}],
}
"""A haemodialysis patient with arterial and visceral calcification on CT and a raised phosphate
(a CKD-mineral and bone disorder), read by the management and the leaflet tests."""


def assert_plain_leaflet_texts(variants: list[Any]) -> None:
    """A condition's own leaflet texts read easily (Flesch reading ease 60 or more in both
    languages, no clause over 25 words) and are written as the file writes French: a space before
    ':' ';' '?' '!' (the renderer makes it the no-break one), never glued to the word."""
    import re

    from calcinosis.reports.readability import reading_ease

    for v in variants:
        assert reading_ease(v.en, "en") >= 60 and reading_ease(v.fr, "fr") >= 60, v.section
        assert not re.search(r"\w[:;?!](\s|$)", v.fr), v.section
        for lang, text in (("en", v.en), ("fr", v.fr)):
            for clause in re.split(r"[.!?;:]\s", text):
                assert len(clause.split()) <= 25, (v.section, lang, clause)


# --- Written vignettes for the behaviours earlier clinical reviews found on published-fresh cases
# (that set is measured, never a fixture): each keeps only what the tests that share it read.

WRIST_TENDON_DEPOSIT: dict[str, Any] = {
    "patient": {"age": 30, "sex": "male"},
    "findings": ["pain", "swelling"],
    "sites": ["wrist"],
    "duration_months": 0.5,
    "imaging": [{"modality": "radiograph", "sites": ["wrist"], "tissues": ["tendon"], "patterns": ["tendon_deposit"]}],
}
"""A young man's acute calcific tendinitis at the wrist: two weeks of pain, now swollen, a tendon
deposit on the radiograph (its acute mimics, its leaflet away from the shoulder)."""

KIDNEY_DEPOSITS_HYPERCALCAEMIA: dict[str, Any] = {
    "patient": {"age": 55, "sex": "male"},
    "findings": ["hypercalcemia_symptoms"],
    "labs": [
        {"test": "calcium", "value": 3.8, "unit": "mmol/L"},
        {"test": "pth", "interpretation": "low"},
        {"test": "creatinine", "value": 2.9, "unit": "mg/dL"},
    ],
    "imaging": [{"modality": "ct", "tissues": ["visceral"], "patterns": ["punctate"]}],
}
"""A man with a severe PTH-independent hypercalcaemia, an eGFR below 30 and punctate deposits in
the kidneys on CT, its cause not yet known: deposits only in an organ, a metastatic category."""

PREGNANT_MUSCLE_DEPOSIT: dict[str, Any] = {
    "patient": {"age": 28, "sex": "female"},
    "history": ["pregnancy"],
    "findings": ["pain"],
    "sites": ["back"],
    "imaging": [
        {
            "modality": "ultrasound",
            "sites": ["back"],
            "tissues": ["muscle"],
            "patterns": ["zonal"],
            "distribution": "single",
        }
    ],
}
"""A pregnant woman with back pain and one intramuscular deposit calcified at its rim on
ultrasound: a myositis ossificans in pregnancy (no bone scan, no radiograph before delivery)."""

BEDBOUND_AFTER_COMA: dict[str, Any] = {
    "patient": {"age": 35, "sex": "male"},
    "history": ["closed_head_injury", "immobility"],
    "findings": ["joint_restriction"],
    "sites": ["hip"],
    "duration_months": 18,
    "imaging": [{"modality": "radiograph", "sites": ["hip"], "tissues": ["periarticular"], "symmetric": True}],
}
"""A man bedbound a year and a half after a head injury and a coma, both hips stiffened by
periarticular bone on the radiograph: a neurogenic heterotopic ossification."""

INFANT_HYPERCALCAEMIA_NEPHROCALCINOSIS: dict[str, Any] = {
    "patient": {"age": 0.1, "sex": "female"},
    "labs": [{"test": "calcium", "interpretation": "high"}],
    "imaging": [{"modality": "ultrasound", "sites": ["abdomen"], "tissues": ["visceral"]}],
}
"""A baby of five weeks with a raised calcium and a nephrocalcinosis on the renal ultrasound, no
PTH measured and no cancer known (a newborn's fat necrosis among the causes)."""

BOY_THIGH_AFTER_BLOW: dict[str, Any] = {
    "patient": {"age": 12, "sex": "male"},
    "history": ["trauma_local"],
    "findings": ["pain", "swelling"],
    "sites": ["thigh"],
    "duration_months": 1.5,
    "imaging": [
        {"modality": "radiograph", "sites": ["thigh"]},
        {"modality": "ultrasound", "sites": ["thigh"], "tissues": ["muscle"], "distribution": "single"},
    ],
}
"""A boy of 12 six weeks after a blow to the thigh, a painful swelling and a calcified mass in
the muscle: a child's myositis ossificans."""

TRUNCAL_NECROSIS_NO_KIDNEY_DISEASE: dict[str, Any] = {
    "patient": {"age": 40, "sex": "female"},
    "findings": ["skin_necrosis"],
    "absent": ["chronic_kidney_disease"],
}
"""A young woman with a spreading skin necrosis of the trunk and no kidney disease: a
non-uraemic calciphylaxis among other causes of a necrosis."""


# ---- written cases read by the management and the work-up tests (clinical reviews' vignettes,
# kept to the items each behaviour needs; the measured-unseen set is never a fixture)
KNOWN_CREST_JOINT_MASSES: dict[str, Any] = {
    "patient": {"age": 58, "sex": "female"},
    "history": ["limited_systemic_sclerosis"],
    "findings": ["pain", "periarticular_mass"],
    "sites": ["elbow", "knee"],
}
"""A woman with a known limited systemic sclerosis (CREST) and painful masses around her joints."""

DIALYSIS_SHOULDER_MASS: dict[str, Any] = {
    "patient": {"age": 60, "sex": "male"},
    "history": ["dialysis"],
    "findings": ["swelling", "pain"],
    "sites": ["shoulder"],
    "labs": [{"test": "calcium", "interpretation": "low"}, {"test": "phosphate", "interpretation": "high"}],
}
"""A man long on haemodialysis with a painful swelling at the shoulder, a low calcium and a raised
phosphate (a CKD-mineral and bone disorder leads, a secondary tumoral calcinosis behind it)."""

KNEE_MASS_MILD_PAIN: dict[str, Any] = {
    "patient": {"age": 55, "sex": "male"},
    "findings": ["pain"],
    "sites": ["knee"],
    "duration_months": 48,
    "absent": ["trauma_local", "swelling", "palpable_nodules"],
    "imaging": [
        {
            "modality": "radiograph",
            "sites": ["knee"],
            "tissues": ["periarticular"],
            "patterns": ["amorphous"],
            "distribution": "single",
            "bone_destruction": False,
        }
    ],
}
"""A man with years of mild knee pain and one amorphous calcified deposit beside the knee, no
injury, no swelling, nothing felt, no bone destroyed (a calcific tendinitis in play, with nothing
acute about it; without the site rule it would be asked about shoulder pain)."""
