"""A calcified mass at a joint: CPPD against synovial chondromatosis.

Synovial chondromatosis was silent on the head and neck, though the temporomandibular joint
held 3 of 38 articular cases of a whole health area (Gómez-Rodríguez 2006): a jaw-joint mass
weighed nothing for it. CPPD's face
took half its head-and-neck frequency, so the crowned dens, a neck lesion, counted as facial;
and its bone destruction counted the tumoral form alone, though 16 of 105 patients presenting
to a rheumatologist had severe destructive joint changes (Dieppe 1982)."""

from __future__ import annotations

from calcinosis import KnowledgeBase, diagnose, parse_case


def _lr(report, name: str, feature: str) -> float:  # type: ignore[no-untyped-def]
    entry = next(d for d in report.differential if d.diagnosis == name)
    found = [e.likelihood_ratio for e in entry.evidence if e.feature == feature]
    return found[0] if found else 1.0


def test_synovial_chondromatosis_states_the_jaw_joint(kb: KnowledgeBase) -> None:
    d = kb.disease("synovial_osteochondromatosis")
    head_neck = d.findings["site:head_neck"]
    assert head_neck.basis == "reported" and head_neck.n == 3 and head_neck.total == 38
    face = kb.feature_pos("site:face")
    spine = kb.feature_pos("site:spine")
    pos = kb.disease_pos("synovial_osteochondromatosis")
    assert kb.frequency[pos, face] > kb.baseline[face]
    assert kb.frequency[pos, spine] <= kb.baseline[spine]


def test_cppd_face_is_its_jaw_joint_masses_not_the_crowned_dens(kb: KnowledgeBase) -> None:
    """The face holds CPPD's temporomandibular masses only; the neck holds the crowned dens as
    well, so the face is stated below the head and neck's proportional share."""
    pos = kb.disease_pos("cppd")
    face, head_neck = kb.feature_pos("site:face"), kb.feature_pos("site:head_neck")
    share = kb.baseline[face] / kb.baseline[head_neck]
    assert "site:face" in kb.disease("cppd").findings
    assert kb.frequency[pos, face] < kb.frequency[pos, head_neck] * share


def test_cppd_counts_its_destructive_arthropathy(kb: KnowledgeBase) -> None:
    """Bone destruction beside knee chondrocalcinosis in an old woman counts for CPPD at least as
    much as the articular term alone gives (0.8 of the diagnosis x 16/105)."""
    spec = kb.disease("cppd").findings["imaging:bone_destruction"]
    assert spec.basis == "derived" and "dieppe1982" in spec.references
    assert spec.frequency >= 0.8 * 16 / 105
    case = {
        "patient": {"age": 78, "sex": "female"},
        "findings": ["pain"],
        "imaging": [
            {
                "modality": "radiograph",
                "sites": ["knee"],
                "patterns": ["chondrocalcinosis"],
                "bone_destruction": True,
            }
        ],
    }
    report = diagnose(parse_case(case, kb), kb)
    base = kb.baseline[kb.feature_pos("imaging:bone_destruction")]
    assert _lr(report, "cppd", "imaging:bone_destruction") >= 0.8 * 16 / 105 / base
