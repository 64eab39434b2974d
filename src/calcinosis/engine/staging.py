"""Porter 1988 and CEAP 2020 staging of chronic venous disease from a case's features.

Porter JM et al., reporting standards in venous disease (J Vasc Surg 1988), as given in seed 001;
Lurie F et al., the 2020 update of CEAP (J Vasc Surg Venous Lymphat Disord 2020;8:342-52). The
mapping from case features to criteria is in ``knowledge/staging.yaml``.
"""

from __future__ import annotations

import numpy as np

from calcinosis.engine.evidence import Evidence
from calcinosis.engine.results import CeapResult, CviStaging, PorterResult
from calcinosis.i18n import message
from calcinosis.kb.model import KnowledgeBase

__all__ = ["stage_cvi", "staging_relevant"]


def staging_relevant(ev: Evidence, kb: KnowledgeBase, posterior: np.ndarray | None = None) -> bool:
    """Venous disease is in play: a venous feature is present, or a venous diagnosis is likely (>= 10 %)."""
    rel = kb.staging.relevant_when
    if any(ev.present(f) for f in rel.features):
        return True
    if posterior is not None:
        return any(posterior[kb.disease_pos(d)] >= 0.10 for d in rel.diagnoses)
    return False


def stage_cvi(ev: Evidence, kb: KnowledgeBase, *, lang: str) -> CviStaging:
    """Porter stage (a range when the case format cannot grade a sign) and CEAP clinical class."""
    spec = kb.staging
    stage_min, stage_max, basis = 1, 1, []
    for stage in spec.porter.stages:
        for crit in stage.criteria:
            if ev.present(crit.feature):
                basis.append(f"{kb.features[crit.feature].label(lang)} → {stage.stage}")
                stage_min = max(stage_min, stage.stage)
                stage_max = max(stage_max, crit.ambiguous_with or stage.stage)
    stage_max = max(stage_max, stage_min)
    porter_text = next(s for s in spec.porter.stages if s.stage == stage_min)
    porter = PorterResult(
        stage_min=stage_min,
        stage_max=stage_max,
        description=porter_text.fr if lang == "fr" else porter_text.en,
        basis=basis,
    )
    chosen = spec.ceap.classes[0]
    ceap_basis: list[str] = []
    notes: list[str] = []
    for cl in spec.ceap.classes:
        for crit in cl.criteria:
            if ev.present(crit.feature):
                chosen = cl
                ceap_basis.append(f"{kb.features[crit.feature].label(lang)} → {cl.class_}")
                if crit.note is not None:
                    notes.append(crit.note.get(lang))
    criteria = [c.feature for s in spec.porter.stages for c in s.criteria]
    criteria += [c.feature for cl in spec.ceap.classes for c in cl.criteria]
    staged = any(f in ev.observations for f in criteria)
    if not staged:  # nothing venous said, present or absent: no stage to show (a clinical re-review)
        notes.insert(0, message("staging_nothing_reported", lang))
    symptoms = [f for f in spec.ceap.symptomatic_features if f in ev.observations]
    symptomatic = any(ev.present(f) for f in symptoms) if symptoms else None
    suffix = "" if symptomatic is None else ("s" if symptomatic else "a")
    ceap = CeapResult(
        clinical_class=f"{chosen.class_}{suffix}",
        symptomatic=symptomatic,
        description=chosen.fr if lang == "fr" else chosen.en,
        basis=ceap_basis,
        notes=notes,
    )
    missing = [spec.porter.decide.get(lang), spec.ceap.decide.get(lang)]
    return CviStaging(
        porter=porter,
        ceap=ceap,
        missing=missing,
        references=[*spec.porter.references, *spec.ceap.references],
        staged=staged,
    )
