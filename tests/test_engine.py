"""Engine behaviour on small hand-written cases: warnings, classification basis, work-up, questions."""

from __future__ import annotations

from typing import Any

import pytest

from calcinosis import KnowledgeBase, diagnose, parse_case


def run(kb: KnowledgeBase, lang: str = "en", **extra: Any):  # type: ignore[no-untyped-def]
    data = {"patient": {"age": 45, "sex": "female"}, **extra}
    return diagnose(parse_case(data, kb), kb, lang=lang)


def test_contradiction_is_reported_and_set_aside(kb: KnowledgeBase) -> None:
    """A finding both present and absent is left out, with a warning naming both inputs."""
    report = run(kb, findings=["pain"], absent=["pain"])
    assert any(
        i.code == "case.contradiction" and "findings[0]" in i.message and "absent[0]" in i.message
        for i in report.issues
    )
    assert all("finding:pain" not in {c.feature for c in d.evidence} for d in report.differential)


def test_versions_and_disclaimer_on_every_result(kb: KnowledgeBase) -> None:
    """Code and knowledge versions, and the decision-support statement, travel with the result."""
    report = run(kb)
    assert report.metadata.kb_version == kb.version
    assert report.metadata.calcinosis_version
    assert "clinician" in report.metadata.disclaimer
    assert "clinicien" in run(kb, lang="fr").metadata.disclaimer


def test_classification_basis_follows_the_labs(kb: KnowledgeBase) -> None:
    """Normal calcium and phosphate: dystrophic rule consistent, metastatic not."""
    labs = [{"test": "calcium", "value": 2.3, "unit": "mmol/L"}, {"test": "phosphate", "value": 1.0, "unit": "mmol/L"}]
    report = run(kb, labs=labs)
    rules = {r.category: r.consistent for r in report.classification}
    assert report.phosphocalcic_status == "normal"
    assert rules["dystrophic"] is True and rules["metastatic"] is False and rules["iatrogenic"] is True
    high = run(kb, labs=[{"test": "phosphate", "value": 2.4, "unit": "mmol/L"}])
    assert high.phosphocalcic_status == "deranged"


def test_metastatic_needs_deranged_metabolism(kb: KnowledgeBase) -> None:
    """CKD on dialysis: a measured high phosphate moves weight from the normal-balance categories
    (dystrophic, idiopathic) to the deranged ones (metastatic, and secondary tumoral calcinosis,
    whose dialysis form is hyperphosphataemic)."""
    base = {"history": ["chronic_kidney_disease", "dialysis"], "findings": ["palpable_nodules"]}
    normal = run(
        kb,
        **base,
        labs=[
            {"test": "calcium", "value": 2.3, "unit": "mmol/L"},
            {"test": "phosphate", "value": 1.1, "unit": "mmol/L"},
        ],
    )
    high = run(
        kb,
        **base,
        labs=[
            {"test": "calcium", "value": 2.3, "unit": "mmol/L"},
            {"test": "phosphate", "value": 2.6, "unit": "mmol/L"},
        ],
    )

    def deranged(r):  # type: ignore[no-untyped-def]
        return r.category_probabilities["metastatic"] + r.category_probabilities["tumoral"]

    def normal_balance(r):  # type: ignore[no-untyped-def]
        return r.category_probabilities["dystrophic"] + r.category_probabilities["idiopathic"]

    assert deranged(high) > deranged(normal)
    assert normal_balance(high) < normal_balance(normal)


def test_workup_starts_with_radiographs_and_the_phosphocalcic_panel(kb: KnowledgeBase) -> None:
    """Nothing reported: radiographs first, then calcium, phosphate, PTH, vitamin D, renal function."""
    ids = [w.id for w in run(kb, findings=["palpable_nodules"]).workup_steps]
    assert ids[0] == "radiograph"
    assert {"radiograph", "calcium", "phosphate", "pth", "vitamin_d", "renal_function"} <= set(ids)
    done = run(
        kb,
        findings=["palpable_nodules"],
        imaging=[{"modality": "radiograph", "sites": ["hand"]}],
        labs=[
            {"test": t, "interpretation": "normal"}
            for t in ("calcium", "phosphate", "pth", "vitamin_d_25oh", "creatinine")
        ],
    )
    assert not {"radiograph", "calcium", "phosphate", "pth", "vitamin_d", "renal_function"} & {
        w.id for w in done.workup_steps
    }


def test_radiographs_of_the_affected_areas_need_an_area_and_wait_in_calciphylaxis(kb: KnowledgeBase) -> None:
    """A clinical re-review: a hypercalcaemia with no deposit was asked for 'plain radiographs of
    the affected areas first', and a calciphylaxis on dialysis had them before its calcium, PTH
    and INR. No lesion, no such step; calciphylaxis leading, its own laboratory panel first (its
    soft-tissue imaging step, mammography technique or CT, stays)."""
    systemic = run(kb, findings=["hypercalcemia_symptoms", "weight_loss"])
    assert "radiograph" not in [w.id for w in systemic.workup_steps]
    placed = run(kb, findings=["hypercalcemia_symptoms", "weight_loss"], sites=["hand"])
    assert placed.workup_steps[0].id == "radiograph"
    dialysis = run(kb, history=["dialysis"], findings=["retiform_purpura", "skin_necrosis", "pain"], sites=["thigh"])
    assert dialysis.differential[0].diagnosis == "calciphylaxis"
    ids = [w.id for w in dialysis.workup_steps]
    assert "radiograph" not in ids and ids[0] != "radiograph" and len(ids) > 1


def test_questions_are_about_unreported_items(kb: KnowledgeBase) -> None:
    """Next best questions never ask about what the case already says."""
    report = run(kb, history=["chronic_kidney_disease"], findings=["skin_necrosis", "pain"])
    asked = {q.feature for q in report.next_questions}
    assert not asked & {"condition:chronic_kidney_disease", "finding:skin_necrosis", "finding:pain"}
    gains = [q.expected_information_bits for q in report.next_questions]
    assert gains == sorted(gains, reverse=True)


def test_french_output(kb: KnowledgeBase) -> None:
    """Names, reasons and work-up come in French with --lang fr."""
    report = run(kb, lang="fr", patient={"age": 50, "sex": "male"}, findings=["scrotal_nodules"])
    top = report.differential[0]
    assert top.name == kb.disease(top.diagnosis).names.fr
    assert any("RV" in t for t in top.for_)
    assert report.workup and "Radiographies" in report.workup[0]


def test_a_low_reading_counts_once(kb: KnowledgeBase) -> None:
    """Low PTH sets lab:pth_low present and leaves lab:pth_high out (implied, not counted twice)."""
    from calcinosis.case.labs import interpret_labs
    from calcinosis.engine.evidence import collect_evidence

    case = parse_case(
        {
            "patient": {"age": 50, "sex": "male"},
            "labs": [{"test": "pth", "value": 5, "unit": "pg/mL"}, {"test": "ace", "interpretation": "low"}],
        },
        kb,
    )
    ev = collect_evidence(case, interpret_labs(case, kb), kb)
    assert ev.observations["lab:pth_low"].present is True
    assert "lab:pth_high" not in ev.observations
    assert ev.observations["lab:ace_high"].present is False  # no paired low feature: the reading is the only evidence


def test_a_site_left_out_never_pushes_a_reported_one_down_the_ranks(kb: KnowledgeBase) -> None:
    """Sites share a dependency group, ranked by what each counts. The sites a case leaves out
    (absent only by the closed world) count at ``unlisted_site_weight`` (0), so the two it
    reports (the hand and the elbow) keep the weights 1 and rho for every diagnosis, however
    much the left-out shoulder would have weighed; the upper limb both imply is read, not
    scored again."""
    from calcinosis.case.labs import interpret_labs
    from calcinosis.engine.evidence import collect_evidence
    from calcinosis.engine.scoring import score

    assert kb.constants.unlisted_site_weight.value == 0
    case = parse_case({"id": "hand-elbow", "patient": {"age": 50, "sex": "female"}, "sites": ["hand", "elbow"]}, kb)
    ev = collect_evidence(case, interpret_labs(case, kb), kb)
    assert ev.observations["site:shoulder"].closed_world and not ev.observations["site:shoulder"].present
    assert ev.observations["site:upper_limb"].implied and ev.observations["site:upper_limb"].present
    s = score(ev, kb, case)
    ids = [kb.feature_ids[j] for j in s.feature_pos]
    assert "site:upper_limb" not in ids
    reported = [ids.index("site:hand"), ids.index("site:elbow")]
    rho = kb.constants.dependency_damping.value
    for d in range(len(kb.diseases)):
        assert sorted(s.weight[d, reported].tolist()) == [rho, 1.0], kb.diseases[d].id


def test_a_man_is_not_postmenopausal_by_his_sex_alone(kb: KnowledgeBase) -> None:
    """A man's sex says he is not postmenopausal: read (management and the questions see it),
    not scored again beside the sex (P(not postmenopausal | man) is 1 for every diagnosis)."""
    from calcinosis.engine.diagnose import analyse

    _, ev, scores = analyse(parse_case({"patient": {"age": 60, "sex": "male"}, "sites": ["hand"]}, kb), kb)
    observed = ev.observations["patient:postmenopausal"]
    assert not observed.present and observed.implied
    assert kb.feature_pos("patient:postmenopausal") not in scores.feature_pos.tolist()
    assert kb.feature_pos("patient:female") in scores.feature_pos.tolist()


def test_a_transplants_immunosuppressants_are_read_not_scored(kb: KnowledgeBase) -> None:
    """Immunosuppressants given for a kidney transplant say nothing of a dermatomyositis (0.6 of
    its patients take them, 0.05 of others: they pushed a connective tissue disease up a
    post-transplant calcinosis, a clinical review): with the transplant, the differential is the
    transplant's alone, and the basis says why; without it, they still count. Corticosteroids,
    a cause of calciphylaxis whatever they are given for, still count with the transplant."""
    from calcinosis import parse_case

    def run(history: list[str], exposures: list[str]) -> Any:
        base = {"patient": {"age": 45, "sex": "female"}, "findings": ["palpable_nodules"], "sites": ["thigh"]}
        return diagnose(parse_case({**base, "history": history, "exposures": exposures}, kb), kb)

    def posterior(report: Any) -> dict[str, float]:
        return {d.diagnosis: d.probability for d in report.differential}

    transplant = run(["kidney_transplant"], [])
    with_drugs = run(["kidney_transplant"], ["immunosuppressants"])
    assert posterior(with_drugs) == posterior(transplant)
    assert [i.location for i in with_drugs.issues if i.code == "case.not_scored"] == ["exposures[0]"]
    scored = [c for d in with_drugs.differential for c in d.evidence if c.feature == "exposure:immunosuppressants"]
    assert scored == []
    from calcinosis.case.labs import interpret_labs
    from calcinosis.engine.evidence import collect_evidence

    case = parse_case(
        {
            "patient": {"age": 45, "sex": "female"},
            "history": ["kidney_transplant"],
            "exposures": ["immunosuppressants"],
        },
        kb,
    )
    obs = collect_evidence(case, interpret_labs(case, kb), kb).observations["exposure:immunosuppressants"]
    assert obs.present and obs.implied and obs.basis[-1] == "not scored: given for history[0] kidney_transplant"
    alone = posterior(run([], ["immunosuppressants"]))
    assert alone["dermatomyositis"] > posterior(run([], []))["dermatomyositis"]
    steroids = posterior(run(["kidney_transplant"], ["long_term_corticosteroids"]))
    assert steroids["calciphylaxis"] != posterior(transplant)["calciphylaxis"]


def test_a_reason_s_frequencies_give_its_likelihood_ratio_for_a_low_state_read_absent(kb: KnowledgeBase) -> None:
    """A code review: a normal calcium's 'not low' is scored among the readings not raised
    (features.yaml opposite_states) and its sentence said so, but the JSON frequency and baseline
    stayed the raw ones, so that (1 - frequency) / (1 - baseline) was not the ratio shown. Every
    reason of a low state read absent now carries the frequencies its ratio is computed from."""

    case = {
        "patient": {"age": 60, "sex": "female"},
        "history": ["dialysis"],
        "findings": ["skin_necrosis", "pain"],
        "sites": ["thigh"],
        "labs": [{"test": "calcium", "interpretation": "normal"}, {"test": "pth", "interpretation": "normal"}],
    }
    lows = set(kb.opposite_states.values())
    seen = 0
    for d in diagnose(parse_case(case, kb), kb).differential:
        for c in d.evidence:
            if c.feature in lows and c.state == "absent":
                seen += 1
                assert (1 - c.frequency) / (1 - c.baseline) == pytest.approx(c.likelihood_ratio, abs=2e-3)
    assert seen
