"""A single large calcified mass of a limb: calcific myonecrosis, heterotopic ossification,
post-traumatic calcification and the calcified soft-tissue tumours weighed on the same signs.
Until 2026-12 the injury-born diagnoses said nothing of the ring-and-arc calcification of
cartilage and the tumours nothing of an old fracture, so a reader could not tell a considered
LR 1 from a forgotten one; and calcific myonecrosis' unreported injury was labelled derived
from a quote that measures something else (the referrer not linking the injury to the mass)."""

from __future__ import annotations

from calcinosis import KnowledgeBase, diagnose, parse_case

INJURY_BORN = ("calcific_myonecrosis", "heterotopic_ossification", "post_traumatic_calcification")
TUMOURS = ("synovial_sarcoma", "extraskeletal_chondroma", "extraskeletal_chondrosarcoma", "extraskeletal_osteosarcoma")
NO_CARTILAGE = (*INJURY_BORN, "synovial_sarcoma")


def _lr(report, name: str, feature: str) -> float:  # type: ignore[no-untyped-def]
    entry = next(d for d in report.differential if d.diagnosis == name)
    found = [e.likelihood_ratio for e in entry.evidence if e.feature == feature]
    return found[0] if found else 1.0


def test_the_rivals_of_a_calcified_limb_mass_state_each_others_signs(kb: KnowledgeBase) -> None:
    """The diagnoses that make no cartilage state the chondroid pattern, and the tumours state a
    fracture, each with its basis and sources, no more often than the presentation floor; the
    cartilage tumours still state the chondroid pattern far above it, and only they gain from it."""
    floor = kb.constants.presentation_floor.value
    for name in NO_CARTILAGE:
        spec = kb.disease(name).findings.get("pattern:chondroid")
        assert spec is not None, name
        assert spec.frequency <= floor + 1e-12 and spec.references and spec.estimate, name
    for name in TUMOURS:
        spec = kb.disease(name).findings.get("finding:fracture")
        assert spec is not None, name
        assert spec.frequency <= floor + 1e-12 and spec.references and spec.estimate, name
    for name in ("extraskeletal_chondroma", "extraskeletal_chondrosarcoma"):
        assert kb.disease(name).findings["pattern:chondroid"].frequency >= 10 * floor, name
    # on a thigh mass with rings and arcs, the cartilage tumours gain from the pattern and the
    # diagnoses that make no cartilage gain nothing from it
    case = {
        "patient": {"age": 50, "sex": "male"},
        "findings": ["growing_mass"],
        "imaging": [
            {"modality": "radiograph", "sites": ["thigh"], "patterns": ["chondroid"], "distribution": "single"}
        ],
    }
    report = diagnose(parse_case(case, kb), kb)
    for name in NO_CARTILAGE:
        assert _lr(report, name, "pattern:chondroid") <= 1 + 1e-9, name
    for name in ("extraskeletal_chondroma", "extraskeletal_chondrosarcoma"):
        assert _lr(report, name, "pattern:chondroid") > 10, name


def test_calcific_myonecrosis_unreported_injury_is_a_judgement(kb: KnowledgeBase) -> None:
    """Every patient of the two series had the injury when asked; how often a referral leaves it
    out is a judgement on the referrer's history and the radiograph, and is labelled so. It
    stays above the share of patients with no injury at all (0.5 of 15) and below the share of
    referrers who did not link the injury to the mass (8 of 10)."""
    block = kb.disease("calcific_myonecrosis").defining
    assert block is not None
    assert block.basis == "judgement"
    assert 0.5 / 15 < block.unreported_probability < 0.8
    assert "contributory factor" in block.reasoning


def test_a_peripherally_calcified_mass_by_the_knee_without_injury_is_read_as_a_synovial_sarcoma(
    kb: KnowledgeBase,
) -> None:
    """A written vignette: a man of 35 with a growing, painful 6 cm mass by the knee whose
    calcification is punctate and at its periphery, no injury reported. Synovial sarcoma is the
    textbook reading (calcification "usually eccentric or peripheral"; 6 of 6 calcified tumours
    of a 24-case series punctate at the periphery). Until the s35 audit the intake's reading of
    "peripheral" as a rim counted 0.03 for synovial sarcoma against 0.75 for calcific
    myonecrosis, and the myonecrosis' unreported injury (0.25) ignored that every published
    patient (22 of 22) names the injury, so a soft-tissue chondroma came first and calcific
    myonecrosis held 0.13 without any injury."""
    case = {
        "patient": {"age": 35, "sex": "male"},
        "findings": ["growing_mass", "pain"],
        "imaging": [
            {
                "modality": "radiograph",
                "sites": ["knee"],
                "patterns": ["punctate", "peripheral"],
                "distribution": "single",
                "size_cm": 6,
            }
        ],
    }
    report = diagnose(parse_case(case, kb), kb)
    ranked = [d.diagnosis for d in report.differential]
    assert ranked[0] == "synovial_sarcoma", ranked[:4]
    myo = next(d for d in report.differential if d.diagnosis == "calcific_myonecrosis")
    assert myo.probability < 0.05
    block = kb.disease("calcific_myonecrosis").defining
    assert block is not None and block.unreported_probability < 0.2
    assert "22 of 22" in block.reasoning
