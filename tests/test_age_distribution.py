"""Age as a likelihood over the patient's age: exclusive bands, each diagnosis' share of them
from its age distribution (median and quartiles, mean and SD, or median and range, with the
source) or, without one, from its infant / child / 60+ frequencies (issue 11, item 3)."""

from __future__ import annotations

import math
from pathlib import Path
from statistics import NormalDist
from typing import Any

import numpy as np
import pytest
import yaml
from pydantic import ValidationError
from typer.testing import CliRunner

from calcinosis import KnowledgeBase, diagnose, load_kb, parse_case
from calcinosis.cli.main import app
from calcinosis.engine.diagnose import analyse
from calcinosis.errors import KnowledgeBaseError
from calcinosis.kb.age import AgeBand, age_band_errors, band_masses
from calcinosis.kb.check import check_kb
from calcinosis.kb.schema import AgeDistribution
from calcinosis.kb.views import diagnosis_detail

JUDGED = "judgement for the test: a plain summary of an imagined series"


def _age(**kw: Any) -> AgeDistribution:
    return AgeDistribution(basis="judgement", estimate=JUDGED, **kw)


def _band_features(kb: KnowledgeBase) -> list[str]:
    return [b.feature for b in kb.age_bands]


@pytest.mark.parametrize(
    ("age", "band"),
    [
        (0.5, "patient:age_under_1"),
        (1, "patient:age_1_to_9"),
        (9.99, "patient:age_1_to_9"),
        (10, "patient:age_10_to_17"),
        (17.9, "patient:age_10_to_17"),
        (18, "patient:age_18_to_29"),
        (44, "patient:age_30_to_44"),
        (59, "patient:age_45_to_59"),
        (60, "patient:age_60_to_74"),
        (75, "patient:age_75_plus"),
        (101, "patient:age_75_plus"),
    ],
)
def test_an_age_is_scored_in_exactly_one_band(kb: KnowledgeBase, age: float, band: str) -> None:
    _, ev, scores = analyse(parse_case({"patient": {"age": age, "sex": "male"}}, kb), kb)
    scored = {kb.feature_ids[p] for p in scores.feature_pos}
    assert scored & set(_band_features(kb)) == {band}
    assert not scored & {"patient:infant", "patient:child", "patient:older"}
    assert "patient:child" in ev.observations  # still read, for management


def test_every_diagnosis_has_a_distribution_over_the_bands(kb: KnowledgeBase) -> None:
    cols = [kb.feature_pos(f) for f in _band_features(kb)]
    bands = kb.frequency[:, cols]
    assert np.allclose(bands.sum(axis=1), 1.0)
    sourced = [i for i, d in enumerate(kb.diseases) if d.age is not None]
    assert (bands > 0).all()  # a band inside a coarse one has the coarse band's floor, shared
    # each band's likelihood ratio at least the share of patients at atypical ages (the bands'
    # floor, alike in every band), but those below an age that defines the diagnosis and those
    # of a form whose age defines it
    band_list = [b for b in kb.age_bands if b.feature in _band_features(kb)]
    atypical = kb.constants.age_atypical_share.value
    for i in sourced:
        age = kb.diseases[i].age
        assert age is not None
        kept = [j for j, b in enumerate(band_list) if age.defined_from is None or b.high > age.defined_from]
        ratios = bands[i, kept] / kb.baseline[cols][kept]
        assert ratios.min() >= 0.99 * atypical, kb.diseases[i].id
    assert math.isclose(kb.baseline[cols].sum(), 1.0)
    assert (kb.baseline[cols] > 0).all()


def test_the_bands_keep_the_coarse_baselines(kb: KnowledgeBase) -> None:
    """The reference population's under-1, under-18 and 60+ shares are those of features.yaml."""
    base = {f: kb.baseline[kb.feature_pos(f)] for f in _band_features(kb)}
    infant, child, older = (kb.features[f].baseline for f in ("patient:infant", "patient:child", "patient:older"))
    assert math.isclose(base["patient:age_under_1"], infant)
    under_18 = [f for b, f in zip(kb.age_bands, _band_features(kb), strict=True) if b.high <= 18]
    assert math.isclose(sum(base[f] for f in under_18), child)
    assert math.isclose(base["patient:age_60_to_74"] + base["patient:age_75_plus"], older)


def test_quartiles_are_where_the_source_puts_them() -> None:
    age = _age(median=40, iqr=[35, 60])  # nothing measurable below 0
    below_median, above = band_masses(age, [0, 40])
    assert math.isclose(below_median, 0.5, rel_tol=1e-6) and math.isclose(above, 0.5, rel_tol=1e-6)
    q1, _, _, q4 = band_masses(age, [0, 35, 40, 60])
    assert math.isclose(q1, 0.25, abs_tol=1e-6) and math.isclose(q4, 0.25, abs_tol=1e-6)


def test_mean_and_sd_is_a_normal_and_the_mass_below_zero_is_removed() -> None:
    child = _age(mean=5, sd=5)  # 16 % of a plain normal lies below 0
    masses = band_masses(child, [0, 5, 10])
    assert math.isclose(sum(masses), 1.0)
    # each side of the mean within one SD holds 34.1 % of the normal, renormalised by the 84.1 %
    # kept: what was below 0 is not piled up in the youngest band
    assert math.isclose(masses[0], 0.34134 / 0.84134, rel_tol=1e-4) and math.isclose(masses[0], masses[1])
    assert math.isclose(band_masses(_age(mean=50, sd=10), [0, 50])[0], 0.5, rel_tol=1e-6)


def test_a_median_with_its_range_and_an_age_in_days() -> None:
    # the youngest and the oldest patient two standard deviations from the median
    masses = band_masses(_age(median=10, range=[2, 60]), [0, 2, 10, 60])
    tail = NormalDist().cdf(-2)
    assert all(
        math.isclose(m, x, rel_tol=1e-6) for m, x in zip(masses, [tail, 0.5 - tail, 0.5 - tail, tail], strict=True)
    )
    neonate = _age(median=10, iqr=[5, 20], unit="days")
    assert band_masses(neonate, [0, 1, 18])[0] > 0.999


def test_a_childhood_summary_keeps_its_median_and_what_it_can_of_its_quartiles() -> None:
    """Each half holds half the mass even when it stops at birth, so the median is the
    source's; a quartile is too whenever a half-normal can reach it, and the flattest half,
    uniform from birth, comes closest when none can."""
    masses = band_masses(_age(median=10, iqr=[5, 20]), [0, 5, 10, 20])
    assert all(math.isclose(m, 0.25, rel_tol=1e-6) for m in masses)
    below_q1, q1_to_median, *_ = band_masses(_age(median=20, iqr=[7, 45]), [0, 7, 20, 45])
    assert math.isclose(below_q1 + q1_to_median, 0.5) and math.isclose(below_q1, 0.5 * 7 / 20)


def test_a_mixture_is_the_weighted_sum_of_its_parts() -> None:
    newborns = {"median": 10, "iqr": [5, 20], "unit": "days"}
    adults = {"mean": 60, "sd": 10}
    mixed = _age(mixture=[{**newborns, "weight": 0.7}, {**adults, "weight": 0.3}])
    under_1, _, over_18 = band_masses(mixed, [0, 1, 18])
    assert math.isclose(under_1, 0.7, abs_tol=1e-4) and math.isclose(over_18, 0.3, abs_tol=1e-4)
    with pytest.raises(ValidationError, match="sum to 1"):
        _age(mixture=[{**newborns, "weight": 0.7}, {**adults, "weight": 0.4}])
    with pytest.raises(ValidationError, match="not both"):
        _age(median=40, iqr=[30, 50], mixture=[{**newborns, "weight": 1}])


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"median": 40}, "one summary"),
        ({"median": 40, "iqr": [30, 60], "sd": 5}, "one summary"),
        ({"mean": 40, "iqr": [30, 60]}, "one summary"),
        ({"median": 40, "iqr": [45, 60]}, "must hold the median"),
        ({"median": 40, "range": [60, 20]}, "must hold the median"),
    ],
)
def test_a_summary_that_is_not_one_of_the_three_is_refused(fields: dict[str, Any], words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        _age(**fields)


def test_a_reported_age_needs_its_count_population_and_source() -> None:
    with pytest.raises(ValidationError, match="needs n, population and references"):
        AgeDistribution(median=40, iqr=(30, 60), basis="reported", estimate=JUDGED)


def test_band_layout_errors_name_what_is_wrong() -> None:
    inf = math.inf
    a, b, c, d = (f"patient:age_{x}" for x in "abcd")
    good = [AgeBand(a, 0, 1), AgeBand(b, 1, 18), AgeBand(c, 18, 60), AgeBand(d, 60, inf)]
    assert age_band_errors(good, [1, 18, 60]) == []
    gap = [AgeBand(a, 0, 1), AgeBand(b, 2, 60), AgeBand(d, 60, inf)]
    assert any(f"{a} ends at 1 but {b} starts at 2" in e for e in age_band_errors(gap, [1, 18, 60]))
    closed = [AgeBand(a, 0, 18), AgeBand(b, 18, 100)]
    errors = age_band_errors(closed, [1, 18, 60])
    assert any("must be open" in e for e in errors) and any("1, 60 must be band edges" in e for e in errors)
    wrong_kind = [AgeBand("patient:female", 0, 1), *good[1:]]
    assert any("an age band is a patient:age_* feature" in e for e in age_band_errors(wrong_kind, [1, 18, 60]))


def _edit(root: Path, disease: str, edit: Any) -> None:
    path = root / "diseases" / f"{disease}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _without_coarse_ages(data: dict[str, Any]) -> None:
    data["findings"] = [
        f for f in data["findings"] if f["feature"] not in ("patient:infant", "patient:child", "patient:older")
    ]
    data.pop("age", None)


def test_a_distribution_decides_the_bands_and_is_explained(root: Path, kb: KnowledgeBase) -> None:
    """A diagnosis given a narrow adult distribution: its share of each band follows it, the
    coarse 60+ frequency is the sum of its bands, and the reason names the summary."""

    def young_adults(data: dict[str, Any]) -> None:
        _without_coarse_ages(data)
        data["age"] = {"median": 35, "iqr": [30, 40], "basis": "judgement", "estimate": JUDGED}

    _edit(root, "gout", young_adults)
    edited = load_kb(root, cache=False)
    d = edited.disease_pos("gout")
    share = {f: edited.frequency[d, edited.feature_pos(f)] for f in _band_features(edited)}
    floor = edited.constants.frequency_floor.value  # the atypical share is the bands' floor
    spec = edited.diseases[d].age
    assert spec is not None
    atypical = edited.constants.age_atypical_share.value
    base = edited.baseline[[edited.feature_pos(f) for f in _band_features(edited)]]
    own = np.array(band_masses(spec, [b.low for b in edited.age_bands]))
    masses = np.maximum((1 - atypical) * own + atypical * base, floor)
    assert np.allclose(list(share.values()), masses / masses.sum())
    assert share["patient:age_30_to_44"] > 0.5  # three quarters of the distribution fall in 30-44
    assert share["patient:age_75_plus"] < 0.05  # the atypical share and the floor only
    older = edited.frequency[d, edited.feature_pos("patient:older")]
    assert math.isclose(older, share["patient:age_60_to_74"] + share["patient:age_75_plus"])
    case = parse_case({"patient": {"age": 36, "sex": "male"}, "findings": ["visible_tophi"]}, edited)
    report = diagnose(case, edited)
    gout = next(x for x in report.differential if x.diagnosis == "gout")
    band = next(e for e in gout.evidence if e.feature == "patient:age_30_to_44")
    base = edited.baseline[edited.feature_pos("patient:age_30_to_44")]
    assert edited.features["patient:age_30_to_44"].baseline == base
    assert band.likelihood_ratio == pytest.approx(share["patient:age_30_to_44"] / base, rel=1e-3)
    assert band.likelihood_ratio > 1
    assert "nan" not in band.text
    source = edited.source(d, edited.feature_pos("patient:age_30_to_44"))
    assert "median 35 years (IQR 30–40)" in (source.estimate or "")


def test_without_a_distribution_the_coarse_likelihood_ratio_is_kept(root: Path) -> None:
    """A diagnosis that states only an infant / child / 60+ frequency keeps one likelihood
    ratio across the finer bands of each coarse band (18-59, 60+), the one the coarse band has."""

    def coarse_only(data: dict[str, Any]) -> None:
        _without_coarse_ages(data)
        data["findings"].append(
            {"feature": "patient:older", "frequency": 0.5, "basis": "judgement", "estimate": JUDGED}
        )

    _edit(root, "gout", coarse_only)
    kb = load_kb(root, cache=False)
    d = kb.disease_pos("gout")
    assert kb.diseases[d].age is None
    adult = [kb.feature_pos(f) for f in ("patient:age_18_to_29", "patient:age_30_to_44", "patient:age_45_to_59")]
    older = [kb.feature_pos(f) for f in ("patient:age_60_to_74", "patient:age_75_plus")]
    for cols in (adult, older):
        lr = kb.frequency[d, cols] / kb.baseline[cols]
        assert np.allclose(lr, lr[0])
    base_older = kb.features["patient:older"].baseline
    # 0.5 as stated, less a little for the under-1 band raised to the floor (renormalised)
    assert math.isclose(kb.frequency[d, older].sum(), 0.5, rel_tol=0.01)
    assert math.isclose(kb.baseline[older].sum(), base_older)


def test_an_age_stated_twice_is_an_error(root: Path) -> None:
    def both(data: dict[str, Any]) -> None:
        data["age"] = {"median": 50, "iqr": [40, 60], "basis": "judgement", "estimate": JUDGED}
        data["findings"] = [f for f in data["findings"] if f["feature"] != "patient:older"]
        data["findings"].append(
            {"feature": "patient:older", "frequency": 0.3, "basis": "judgement", "estimate": JUDGED}
        )

    _edit(root, "gout", both)
    with pytest.raises(KnowledgeBaseError) as err:
        load_kb(root, cache=False)
    assert any(i.code == "kb.age_twice" and "gout" in i.location for i in err.value.issues)


def test_the_knowledge_view_shows_the_age_and_its_bands(kb: KnowledgeBase) -> None:
    """What kb show and the API give a reader: the summary in their language, the basis, and
    the share of each band with its likelihood ratio, as the engine scores them."""
    english = diagnosis_detail(kb, "calciphylaxis", "en").age
    french = diagnosis_detail(kb, "calciphylaxis", "fr").age
    assert english is not None and french is not None
    assert "median 70 years (IQR 61–76)" in english.summary and "1,420 patients" in english.summary
    assert "médiane 70 ans (écart interquartile 61–76)" in french.summary and "1\u202f420 patients" in french.summary
    assert math.isclose(sum(b.frequency for b in english.bands), 1.0)
    d = kb.disease_pos("calciphylaxis")
    for band in english.bands:
        j = kb.feature_pos(band.feature)
        assert band.frequency == kb.frequency[d, j] and math.isclose(band.lr, band.frequency / kb.baseline[j])
    assert english.basis == "derived" and "brandenburg2017" in english.references


def test_kb_show_prints_the_age_in_each_language() -> None:
    runner = CliRunner()
    english = runner.invoke(app, ["kb", "show", "gout"])
    assert english.exit_code == 0, english.output
    assert "age at presentation: mean 64.1 years (SD 14), 47 patients" in english.output
    assert "reported; 47 New Zealand people" in english.output and "Age 60 to 74 years" in english.output
    french = runner.invoke(app, ["kb", "show", "gout", "--lang", "fr"])
    assert french.exit_code == 0, french.output
    assert "âge à la présentation\u00a0: moyenne 64,1 ans (écart type 14), 47 patients" in french.output
    assert "New Zealand" not in french.output  # the population is written in English: not shown
    assert "Âge de 60 à 74 ans" in french.output


def test_kb_check_wants_an_age_for_every_diagnosis(root: Path, kb: KnowledgeBase) -> None:
    """Silent on age, a diagnosis would take the baseline in every band (an error); with only
    coarse frequencies it is a warning; the shipped knowledge has neither."""
    assert not [i for i in check_kb(kb) if i.code in ("kb.age_silent", "kb.age_coarse")]

    def coarse_only(data: dict[str, Any]) -> None:
        _without_coarse_ages(data)
        data["findings"].append(
            {"feature": "patient:older", "frequency": 0.5, "basis": "judgement", "estimate": JUDGED}
        )

    _edit(root, "gout", coarse_only)
    _edit(root, "cppd", _without_coarse_ages)
    found = {(i.code, i.level.value, i.location) for i in check_kb(load_kb(root, cache=False))}
    assert ("kb.age_coarse", "warning", "diseases/gout.yaml") in found
    assert ("kb.age_silent", "error", "diseases/cppd.yaml") in found


def test_an_age_that_defines_the_diagnosis_leaves_the_younger_bands_at_the_floor(root: Path, kb: KnowledgeBase) -> None:
    """Adult dermatomyositis is defined from 18 (a child's is juvenile dermatomyositis): every
    band below 18 gets the knowledge's least frequency, not a share of the patients at atypical
    ages, so a 2-month-old with weakness and nodules reads as juvenile dermatomyositis; an age
    that is not a band edge is refused."""
    floor = kb.constants.frequency_floor.value
    d = kb.disease_pos("dermatomyositis")
    share = {b.feature: kb.source(d, kb.feature_ids.index(b.feature)).frequency for b in kb.age_bands}
    young = [b.feature for b in kb.age_bands if b.high <= 18]
    assert young and all(share[f] <= 1.5 * floor for f in young)  # the floor, then normalised
    assert all(share[b.feature] > 10 * floor for b in kb.age_bands if b.low >= 30 and b.high <= 60)
    assert "defined from age 18" in kb.source(d, kb.feature_ids.index(young[0])).estimate
    infant = parse_case(
        {"patient": {"age": 0.2, "sex": "female"}, "findings": ["palpable_nodules", "muscle_weakness"]}, kb
    )
    report = diagnose(infant, kb)
    found = {d.diagnosis: d for d in report.differential}
    adult_dm = found["dermatomyositis"].probability if "dermatomyositis" in found else 0.0
    assert adult_dm < found["juvenile_dermatomyositis"].probability / 10
    if "dermatomyositis" in found:  # its age reason says how far below its ages the infant is
        age = next(e for e in found["dermatomyositis"].evidence if e.feature == "patient:age_under_1")
        assert age.likelihood_ratio < 0.1 and age.frequency <= 1.5 * floor

    _edit(root, "dermatomyositis", lambda data: data["age"].update(defined_from=17))
    with pytest.raises(KnowledgeBaseError) as err:
        load_kb(root, cache=False)
    assert any(i.code == "kb.age_defined_from" and "dermatomyositis" in i.location for i in err.value.issues)


def _band_ratios(kb: KnowledgeBase, row: int) -> dict[str, float]:
    """Each band's likelihood ratio for one row of the compiled knowledge."""
    return {
        b.feature: kb.frequency[row, kb.feature_pos(b.feature)] / kb.baseline[kb.feature_pos(b.feature)]
        for b in kb.age_bands
    }


def test_an_age_far_from_a_diagnosis_counts_alike_in_every_band(kb: KnowledgeBase) -> None:
    """The bands' floor is the share of patients at atypical ages, a floor on the likelihood
    ratio: a diagnosis whose series put (almost) no patient in a band gets about that share as
    its ratio there, an infant's band as an old patient's. Floored on the mass at 0.02, the
    reference population's own share of infants, systemic sclerosis, lupus, overlap syndrome,
    calciphylaxis and CKD had a ratio of 0.96 for an infant (issue 11)."""
    atypical = kb.constants.age_atypical_share.value
    under_1 = kb.age_bands[0]
    assert under_1.high == 1
    adults = 0
    for i, d in enumerate(kb.diseases):
        if d.age is None or d.age.by_definition:
            continue
        own = band_masses(d.age, [b.low for b in kb.age_bands])
        ratios = _band_ratios(kb, i)
        for j, b in enumerate(kb.age_bands):
            if own[j] < 1e-4:  # the diagnosis' own distribution puts no patient there
                assert ratios[b.feature] <= 1.2 * atypical, (d.id, b.feature)
        adults += own[0] < 1e-4
    assert adults >= 10
    for adult_ctd in ("systemic_sclerosis", "systemic_lupus_erythematosus", "overlap_syndrome"):
        assert _band_ratios(kb, kb.disease_pos(adult_ctd))[under_1.feature] <= 1.2 * atypical


def test_a_sparse_infant_does_not_read_as_a_connective_tissue_disease(kb: KnowledgeBase) -> None:
    """A 6-month-old with calcified nodules and nothing else. Juvenile dermatomyositis rarely
    calcifies before the first birthday: onset at or below 3 years in 19 of 78 children (mean
    27 months; Patwardhan 2012, doi:10.1186/1546-0096-10-34) and before 5 in 55 of 157 (UK and
    Ireland cohort, doi:10.1002/acr.21753), calcinosis following onset by 1 to 3 years; its
    distribution puts 1.5 % of its calcinosis under 1 year, below the 2 % of all calcinosis
    that infants make (features.yaml), so an infant's age must count against it (ratio below
    1), and against the adult connective-tissue diseases far more. The bound, 2 %, is that
    onset share rounded up: the connective-tissue diseases together stay under it (they had
    4.6 % while the bands were floored on the mass, overlap syndrome alone 1.4 %)."""
    infant = parse_case({"patient": {"age": 0.5, "sex": "female"}, "findings": ["palpable_nodules"]}, kb)
    found = {d.diagnosis: d.probability for d in diagnose(infant, kb).differential}
    ctd = ("juvenile_dermatomyositis", "dermatomyositis", "polymyositis", "systemic_sclerosis",
           "systemic_lupus_erythematosus", "overlap_syndrome", "lupus_panniculitis")  # fmt: skip
    assert sum(found.get(d, 0.0) for d in ctd) < 0.02
    assert found.get("juvenile_dermatomyositis", 0.0) < 0.02
    jdm = _band_ratios(kb, kb.disease_pos("juvenile_dermatomyositis"))
    assert jdm["patient:age_under_1"] < 1 < jdm["patient:age_10_to_17"]


def test_a_child_on_dialysis_is_not_scored_as_an_atypical_adult_for_ckd_mbd(kb: KnowledgeBase) -> None:
    """CKD-MBD's age was that of adult haemodialysis (DOPPS enrols adults only), so a child had
    only the share of patients at atypical ages. Children make about 0.7 % of those with kidney
    failure (USRDS 2012: aged 0-19, 0.46 % of dialysis, 2.9 % of transplant recipients, 1.0 % of
    incident patients) and calcify on dialysis (4 of 32 children on peritoneal dialysis, Child
    Kidney Dis 2021, doi:10.3339/jkspn.2021.25.2.117); at their age at kidney replacement
    therapy (ANZDATA: median 11, IQR 5-15, doi:10.1016/j.ekir.2023.07.006) they lift the child
    bands well above that floor, while the adult bands keep their order (oldest most likely)."""
    atypical = kb.constants.age_atypical_share.value
    ckd = _band_ratios(kb, kb.disease_pos("ckd_mineral_bone_disorder"))
    for band in ("patient:age_1_to_9", "patient:age_10_to_17"):
        assert ckd[band] > 1.3 * atypical, band
        assert ckd[band] < 0.5  # still far below an adult's: 0.7 % of the patients
    assert ckd["patient:age_18_to_29"] < ckd["patient:age_45_to_59"] < ckd["patient:age_75_plus"]
    # calciphylaxis gets no paediatric part: children develop it only exceptionally
    # (Pediatr Nephrol 2014, doi:10.1007/s00467-013-2746-7)
    cua = _band_ratios(kb, kb.disease_pos("calciphylaxis"))
    assert cua["patient:age_1_to_9"] < ckd["patient:age_1_to_9"]
