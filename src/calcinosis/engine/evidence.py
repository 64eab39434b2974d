"""Turn a case into feature observations: present, absent, or (by default) unreported.

This is where "missing means not reported, never absent" is enforced: a feature is absent
only when the case says so (the ``absent`` list, a negative test, a measured normal value,
a reported site list that leaves the site out, a reported distribution or age). The rules
are listed in docs/authoring-knowledge.md, "Features".
"""

from __future__ import annotations

from pydantic import BaseModel

from calcinosis.case.labs import LabPanel
from calcinosis.case.model import Case
from calcinosis.issues import Issue, IssueLevel
from calcinosis.kb.model import KnowledgeBase

__all__ = ["Evidence", "Observation", "collect_evidence"]

# lab feature -> (tests in order of preference, status that makes it present)
LAB_FEATURES: dict[str, tuple[tuple[str, ...], str]] = {
    "lab:calcium_high": (("ionized_calcium", "corrected_calcium", "calcium"), "high"),
    "lab:calcium_low": (("ionized_calcium", "corrected_calcium", "calcium"), "low"),
    "lab:phosphate_high": (("phosphate",), "high"),
    "lab:phosphate_low": (("phosphate",), "low"),
    "lab:pth_high": (("pth",), "high"),
    "lab:pth_low": (("pth",), "low"),
    "lab:vitamin_d_25oh_high": (("vitamin_d_25oh",), "high"),
    "lab:vitamin_d_25oh_low": (("vitamin_d_25oh",), "low"),
    "lab:vitamin_d_1_25_high": (("vitamin_d_1_25",), "high"),
    "lab:alkaline_phosphatase_high": (("alkaline_phosphatase",), "high"),
    "lab:ck_high": (("ck",), "high"),
    "lab:fgf23_high": (("fgf23",), "high"),
    "lab:crp_high": (("crp",), "high"),
    "lab:esr_high": (("esr",), "high"),
    "lab:uric_acid_high": (("uric_acid",), "high"),
    "lab:ferritin_high": (("ferritin",), "high"),
    "lab:transferrin_saturation_high": (("transferrin_saturation",), "high"),
    "lab:eosinophilia": (("eosinophils",), "high"),
    "lab:pthrp_high": (("pthrp",), "high"),
    "lab:ace_high": (("ace",), "high"),
    "lab:inr_high": (("inr",), "high"),
    "lab:magnesium_low": (("magnesium",), "low"),
    "lab:urine_calcium_high": (("urine_calcium_24h",), "high"),
    "lab:tmp_gfr_high": (("tmp_gfr",), "high"),
    "lab:bicarbonate_high": (("bicarbonate",), "high"),
    "lab:amylase_high": (("amylase",), "high"),
    "lab:lipase_high": (("lipase",), "high"),
    "lab:wbc_high": (("wbc",), "high"),
    "lab:urea_high": (("urea",), "high"),
    "lab:albumin_low": (("albumin",), "low"),
}
_ABSENT_IF = {"high": ("normal", "low", "not_high"), "low": ("normal", "high", "not_low")}
# A feature whose absence only one assay can establish: in hyperphosphataemic tumoral calcinosis
# (GALNT3, FGF23 variants) intact FGF23 is low or normal while C-terminal FGF23 is high (Boyce
# 2020, Front Endocrinol 11:293): a normal intact FGF23 says nothing against raised FGF23 activity.
_ABSENCE_ONLY_FROM_ASSAY = {"lab:fgf23_high": "c_terminal"}
_OPPOSITE = {"high": "low", "low": "high"}
# Tests read by both a _high and a _low feature: a low reading sets only the _low feature present;
# "not high" is implied by it and setting it as well would count one measurement twice.
_PAIRED_TESTS: dict[tuple[str, ...], set[str]] = {}
for _tests, _state in LAB_FEATURES.values():
    _PAIRED_TESTS.setdefault(_tests, set()).add(_state)
_DISTRIBUTION_ORDER = ("single", "multiple_localized", "regional", "widespread")


class Observation(BaseModel):
    """One feature as the case reports it, and which inputs say so."""

    feature: str
    present: bool
    basis: list[str]
    implied: bool = False  # implied by a stronger observation of the same measurement: read, not scored
    closed_world: bool = False  # a site absent only because the reported sites leave it out


class Evidence(BaseModel):
    """All observed features of a case (unreported ones are simply not here)."""

    observations: dict[str, Observation] = {}
    warnings: list[Issue] = []
    conflicts: list[str] = []

    def set(
        self, feature: str, present: bool, basis: str, *, implied: bool = False, closed_world: bool = False
    ) -> None:
        """Record an observation; a later contradictory one is reported, not silently merged.

        ``implied`` marks a state that a stronger reading of the same measurement already
        carries (eGFR below 60 when it is below 15): management reads it, scoring does not
        count it twice. A direct observation of the same state clears the mark.
        """
        current = self.observations.get(feature)
        if current is None:
            self.observations[feature] = Observation(
                feature=feature, present=present, basis=[basis], implied=implied, closed_world=closed_world
            )
        elif current.present == present:
            if basis not in current.basis:
                current.basis.append(basis)
            current.implied = current.implied and implied
            current.closed_world = current.closed_world and closed_world
        else:
            current.basis.append(basis)
            if feature not in self.conflicts:
                self.conflicts.append(feature)


def _lab_observations(ev: Evidence, panel: LabPanel, kb: KnowledgeBase) -> None:
    for feature, (tests, wanted) in LAB_FEATURES.items():
        for test in tests:
            summary = panel.tests.get(test)
            if summary is None or summary.status == "unknown":
                continue
            driving = next(
                (r for r in summary.readings if r.index == summary.driving_index),
                summary.readings[0],
            )
            shown = f"{driving.value:g} {driving.unit}" if driving.value is not None else driving.status
            where = f"labs[{driving.index}]" if driving.index >= 0 else "derived"
            qual = f"{driving.qualifier} " if driving.qualifier else ""
            basis = f"{where} {test} {qual}{shown}: {summary.status.replace('_', ' ')} ({driving.reference})"
            paired = _OPPOSITE[wanted] in _PAIRED_TESTS[tests]
            if summary.status == wanted:
                ev.set(feature, True, basis)
            elif summary.status in _ABSENT_IF[wanted] and not (paired and summary.status == _OPPOSITE[wanted]):
                assay = _ABSENCE_ONLY_FROM_ASSAY.get(feature)
                if assay is None or driving.assay == assay:
                    ev.set(feature, False, basis)
            break
    # kidney function: eGFR (entered or computed) first, else creatinine
    egfr = panel.tests.get("egfr")
    creat = panel.tests.get("creatinine")
    reduced, failure = kb.threshold("egfr_reduced"), kb.threshold("egfr_failure")
    if egfr is not None and egfr.readings[0].value_si is not None:
        value = min(r.value_si for r in egfr.readings if r.value_si is not None)
        src = "derived eGFR (CKD-EPI 2021)" if egfr.readings[0].index < 0 else f"labs[{egfr.readings[0].index}] egfr"
        # one measurement, one likelihood: below 15 implies below 60 (read, not scored twice)
        ev.set("lab:egfr_below_60", value < reduced, f"{src} {value:g} mL/min/1.73m2", implied=value < failure)
        ev.set("lab:egfr_below_15", value < failure, f"{src} {value:g} mL/min/1.73m2")
    elif egfr is not None and egfr.status in ("low", "normal"):
        ev.set(
            "lab:egfr_below_60",
            egfr.status == "low",
            f"labs[{egfr.readings[0].index}] egfr: {egfr.status}",
        )
        if egfr.status == "normal":
            ev.set("lab:egfr_below_15", False, f"labs[{egfr.readings[0].index}] egfr: normal")
    elif creat is not None and creat.status in ("high", "normal", "low", "not_high"):
        r = creat.readings[0]
        shown = f"{r.value:g} {r.unit}" if r.value is not None else creat.status
        basis = f"labs[{creat.driving_index if creat.driving_index is not None else r.index}] creatinine {shown}: {creat.status}"
        ev.set("lab:egfr_below_60", creat.status == "high", basis)
        if creat.status != "high":
            ev.set("lab:egfr_below_15", False, basis)
    product = panel.derived_value("calcium_phosphate_product")
    if product is not None:
        limit = kb.threshold("calcium_phosphate_product_mg2_dl2")
        ev.set(
            "lab:calcium_phosphate_product_high",
            product > limit,
            f"derived calcium × phosphate product {product:g} mg²/dL² (threshold {limit:g})",
        )


def collect_evidence(case: Case, panel: LabPanel, kb: KnowledgeBase) -> Evidence:
    """Observed features of ``case``, with the input behind each one and consistency warnings."""
    ev = Evidence()
    vocab = kb.vocabulary
    for i, term in enumerate(case.history):
        ev.set(f"condition:{term}", True, f"history[{i}] {term}")
    for i, term in enumerate(case.exposures):
        ev.set(f"exposure:{term}", True, f"exposures[{i}] {term}")
    for i, term in enumerate(case.findings):
        ev.set(f"finding:{term}", True, f"findings[{i}] {term}")
    for key in case.onset_days_after:
        namespace = "exposure" if key in vocab.lists["exposures"] else "condition"
        if f"{namespace}:{key}" not in ev.observations:
            listed_in = "exposures" if namespace == "exposure" else "history"
            ev.warnings.append(
                Issue.warning(
                    "case.onset_implies_exposure",
                    f"onset_days_after names {key!r}, which is not listed in {listed_in}; it was counted as present",
                    f"onset_days_after.{key}",
                )
            )
            ev.set(f"{namespace}:{key}", True, f"onset_days_after.{key}")
    for i, term in enumerate(case.absent):
        for namespace, list_name in (
            ("finding", "findings"),
            ("condition", "conditions"),
            ("exposure", "exposures"),
        ):
            if term in vocab.lists[list_name]:
                ev.set(f"{namespace}:{term}", False, f"absent[{i}] {term}")
                break

    # sites: reported ones and their ancestors are present; with a reported site list, the
    # sites neither above nor below a reported one are absent
    reported: dict[str, str] = {}
    for i, s in enumerate(case.sites):
        reported.setdefault(s, f"sites[{i}] {s}")
    for j, img in enumerate(case.imaging):
        for i, s in enumerate(img.sites):
            reported.setdefault(s, f"imaging[{j}].sites[{i}] {s}")
    if reported:
        for s, basis in reported.items():
            ev.set(f"site:{s}", True, basis)
            for anc in vocab.site_ancestors(s):
                ev.set(f"site:{anc}", True, basis)
        if "generalized" not in reported:
            listed = ", ".join(reported)
            related = set().union(*(vocab.related_sites(r) for r in reported))
            for s in vocab.lists["sites"]:
                if s not in related:
                    ev.set(f"site:{s}", False, f"sites reported ({listed}) do not include it", closed_world=True)

    widest: tuple[int, str] | None = None
    for j, img in enumerate(case.imaging):
        for i, t in enumerate(img.tissues):
            ev.set(f"tissue:{t}", True, f"imaging[{j}].tissues[{i}] {t}")
        for i, p in enumerate(img.patterns):
            ev.set(f"pattern:{p}", True, f"imaging[{j}].patterns[{i}] {p}")
        if img.distribution is not None:
            rank = _DISTRIBUTION_ORDER.index(img.distribution)
            if widest is None or rank > widest[0]:
                widest = (rank, f"imaging[{j}].distribution {img.distribution}")
        for flag in ("symmetric", "bone_destruction", "uptake", "along_muscle_fibers"):
            value = getattr(img, flag)
            if value is True:
                ev.set(f"imaging:{flag}", True, f"imaging[{j}].{flag} true")
            elif value is False and not any(getattr(o, flag) is True for o in case.imaging):
                ev.set(f"imaging:{flag}", False, f"imaging[{j}].{flag} false")
    if widest is not None:
        for rank, name in enumerate(_DISTRIBUTION_ORDER):
            ev.set(f"distribution:{name}", rank == widest[0], widest[1])
    sizes = [(img.size_cm, j) for j, img in enumerate(case.imaging) if img.size_cm is not None]
    if sizes:
        size, j = max(sizes)
        limit = kb.threshold("large_deposit_cm")
        ev.set(
            "imaging:large_deposit",
            size >= limit,
            f"imaging[{j}].size_cm {size:g} (threshold {limit:g} cm)",
        )

    for i, ab in enumerate(case.antibodies):
        ev.set(f"antibody:{ab.name}", ab.result == "positive", f"antibodies[{i}] {ab.name} {ab.result}")
    for i, g in enumerate(case.genetics):
        ev.set(
            f"gene:{g.gene}",
            g.result == "pathogenic_variant",
            f"genetics[{i}] {g.gene} {g.result.replace('_', ' ')}",
        )

    pt = case.patient
    if pt.sex in ("female", "male"):
        ev.set("patient:female", pt.sex == "female", f"patient.sex {pt.sex}")
    age_basis = f"patient.age {pt.age:g}"
    ev.set("patient:infant", pt.age < kb.threshold("infant_age_years"), age_basis)
    ev.set("patient:child", pt.age < kb.threshold("child_age_years"), age_basis)
    ev.set("patient:older", pt.age >= kb.threshold("older_age_years"), age_basis)
    band = (
        "patient:age_under_1"
        if pt.age < kb.threshold("infant_age_years")
        else "patient:age_1_to_17"
        if pt.age < kb.threshold("child_age_years")
        else "patient:age_18_to_59"
        if pt.age < kb.threshold("older_age_years")
        else "patient:age_60_plus"
    )
    ev.set(band, True, age_basis)
    if pt.postmenopausal is not None:
        ev.set(
            "patient:postmenopausal",
            pt.postmenopausal,
            f"patient.postmenopausal {str(pt.postmenopausal).lower()}",
        )
    elif pt.sex == "male":
        ev.set("patient:postmenopausal", False, "patient.sex male")

    if case.duration_months is not None:
        d = case.duration_months
        basis = f"duration_months {d:g}"
        ev.set("course:long_standing", d >= kb.threshold("long_standing_months"), basis)
        ev.set("course:recent_onset", d < kb.threshold("recent_onset_months"), basis)
    if case.onset_days_after:
        key, days = min(case.onset_days_after.items(), key=lambda kv: kv[1])
        limit = kb.threshold("onset_soon_after_days")
        ev.set(
            "course:onset_soon_after",
            days <= limit,
            f"onset_days_after.{key} {days:g} (threshold {limit:g} days)",
        )

    _lab_observations(ev, panel, kb)

    # what a reported feature implies (features.yaml implies): read, never scored twice
    for fid, implied in kb.implies.items():
        obs = ev.observations.get(fid)
        if obs is not None and obs.present:
            for other in implied:
                if other not in ev.observations:
                    ev.set(other, True, f"implied by {obs.basis[0]}", implied=True)

    # contradictions: a feature both present and absent is reported and set aside
    for fid in ev.conflicts:
        obs = ev.observations.pop(fid)
        ev.warnings.append(
            Issue(
                level=IssueLevel.WARNING,
                code="case.contradiction",
                message=f"{fid} is reported both present and absent ({'; '.join(obs.basis)}); it was left out of the reasoning",
                location=obs.basis[0].split(" ")[0],
            )
        )
    if "pregnancy" in case.history and (pt.sex == "male" or not 9 <= pt.age <= 60):
        ev.warnings.append(
            Issue.warning(
                "case.implausible",
                f"pregnancy is in the history of a patient of sex {pt.sex} aged {pt.age:g}: check the entry",
                "history",
            )
        )
    if pt.postmenopausal and (pt.sex == "male" or pt.age < 30):
        ev.warnings.append(
            Issue(
                level=IssueLevel.WARNING,
                code="case.implausible",
                message=f"postmenopausal is true for a patient of sex {pt.sex} aged {pt.age:g}: check the entry",
                location="patient.postmenopausal",
            )
        )
    return ev
