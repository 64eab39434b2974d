"""The words of the CDS Hooks card and of its errors, in English and French.

Kept beside the card rather than in ``messages.yaml``: they are read only here, and the French
is written as French (no-break spaces before ``: ; ? !`` through
:func:`calcinosis.i18n.french_typography`), not translated word for word.
"""

from __future__ import annotations

from calcinosis.i18n import french_typography

__all__ = ["key_name", "t"]

_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "Soft-tissue calcification: differential diagnosis",
        "description": "When the record shows a soft-tissue calcification (or a must-not-miss cause such as "
        "calciphylaxis is probable), a card with the category, the ranked differential with its reasons, the "
        "missing work-up and draft laboratory proposals. Decision support: the decision is the clinician's.",
        "lead": "Soft-tissue calcification: {name} most likely ({p})",
        "lead_mnm": "Soft-tissue calcification: {name} most likely ({p}), must not be missed",
        "lead_other": "Soft-tissue calcification: {name} most likely ({p}); {mnm} must not be missed ({q})",
        "mnm_only": "{mnm} to consider ({q}): must not be missed",
        "category": "**Category:** {name} ({p})",
        "leading": "**Leading diagnoses** (probability, strongest reasons)",
        "urgent": "**Urgent, before the calcinosis work-up**",
        "alerts": "**Must not be missed**",
        "warnings": "**Warnings**",
        "workup": "**Work-up still missing**",
        "unavailable": "**Not available from the record**",
        "not_sent": "{key}: not sent by the EHR",
        "no_data": "{key}: the EHR sent no data",
        "error": "{key}: the EHR answered with an error (“{words}”)",
        "error_plain": "{key}: the EHR answered with an error",
        "outcome_note": "{key}: the EHR reported “{words}”",
        "not_used": "**Not used from the record:** {n} element(s); the first {k}:",
        "not_used_all": "**Not used from the record:** {n} element(s):",
        "other_patient": "{ref}: names another patient ({other}): left out",
        "second_patient": "{ref}: a second Patient: left out",
        "unnamed": "**No calcification is recorded.** This card appears because {mnm} reaches {q} with {features} "
        "in the record; the differential assumes a soft-tissue calcification.",
        "footer": "calcinosis {version}, knowledge base {kb}. Decision support, computed from the coded record. "
        "The decision is the clinician's.",
        "source": "calcinosis (knowledge {kb})",
        "link": "Full report",
        "topic": "Soft-tissue calcification",
        "action": "Propose: {label}",
        "action_loinc": "Propose: {label} (LOINC {code})",
        "err_body": "the request body must be a JSON object",
        "err_request": "this is not a CDS Hooks 2.0 call of the patient-view service",
        "err_value": "must be a FHIR resource (a JSON object) or null",
        "err_entry": "Bundle.entry must be an array",
        "err_missing": "the 'patient' prefetch is missing: without the Patient (their birth date) no case can be built.",
        "err_null": "the 'patient' prefetch is empty (null): without the Patient no case can be built.",
        "err_outcome": "the EHR answered the 'patient' prefetch with an error (“{words}”).",
        "err_kind": "the 'patient' prefetch holds {kind}, not a Patient.",
        "err_no_fetch": "This service never fetches from the FHIR server itself (no outbound connections from a "
        "clinical network): the EHR must send the 'patient' prefetch.",
        "err_wrong_patient": "the prefetched Patient is Patient/{got} but the context's patient is Patient/{want}: "
        "no advice on the wrong patient",
    },
    "fr": {
        "title": "Calcification des tissus mous : diagnostic différentiel",
        "description": "Quand le dossier montre une calcification des tissus mous (ou qu'une cause à ne pas "
        "méconnaître comme la calciphylaxie est probable), une carte avec la catégorie, le diagnostic différentiel "
        "classé et ses raisons, le bilan manquant et des propositions d'examens biologiques. Aide à la décision : "
        "la décision revient au clinicien.",
        "lead": "Calcification des tissus mous : {name} en tête ({p})",
        "lead_mnm": "Calcification des tissus mous : {name} en tête ({p}), à ne pas méconnaître",
        "lead_other": "Calcification des tissus mous : {name} en tête ({p}) ; {mnm} à ne pas méconnaître ({q})",
        "mnm_only": "{mnm} à évoquer ({q}) : à ne pas méconnaître",
        "category": "**Catégorie\u00a0:** {name} ({p})",
        "leading": "**Principaux diagnostics** (probabilité, principales raisons)",
        "alerts": "**À ne pas méconnaître**",
        "warnings": "**Avertissements**",
        "urgent": "**Urgent, avant le bilan de la calcinose**",
        "workup": "**Bilan encore manquant**",
        "unavailable": "**Non disponible dans le dossier**",
        "not_sent": "{key} : non transmis par le DPI",
        "no_data": "{key} : le DPI n'a transmis aucune donnée",
        "error": "{key} : le DPI a répondu par une erreur (« {words} »)",
        "error_plain": "{key} : le DPI a répondu par une erreur",
        "outcome_note": "{key} : le DPI signale « {words} »",
        "not_used": "**Non utilisé dans le dossier\u00a0:** {n} élément(s), dont les {k} premiers :",
        "not_used_all": "**Non utilisé dans le dossier\u00a0:** {n} élément(s) :",
        "other_patient": "{ref} : concerne un autre patient ({other}) : écarté",
        "second_patient": "{ref} : un second Patient : écarté",
        "unnamed": "**Aucune calcification n'est enregistrée.** Cette carte apparaît parce que {mnm} atteint {q} "
        "avec {features} dans le dossier ; le diagnostic différentiel suppose une calcification des tissus mous.",
        "footer": "calcinosis {version}, base de connaissances {kb}. Aide à la décision, calculée à partir du dossier "
        "codé. La décision revient au clinicien.",
        "source": "calcinosis (connaissances {kb})",
        "link": "Compte rendu complet",
        "topic": "Calcification des tissus mous",
        "action": "Proposer : {label}",
        "action_loinc": "Proposer : {label} (LOINC {code})",
        "err_body": "le corps de la requête doit être un objet JSON",
        "err_request": "ce n'est pas un appel CDS Hooks 2.0 du service patient-view",
        "err_value": "doit être une ressource FHIR (un objet JSON) ou null",
        "err_entry": "Bundle.entry doit être un tableau",
        "err_missing": "le prefetch 'patient' manque : sans le Patient (sa date de naissance), aucun cas ne peut être construit.",
        "err_null": "le prefetch 'patient' est vide (null) : sans le Patient, aucun cas ne peut être construit.",
        "err_outcome": "le DPI a répondu au prefetch 'patient' par une erreur (« {words} »).",
        "err_kind": "le prefetch 'patient' contient {kind}, pas un Patient.",
        "err_no_fetch": "Ce service ne lit jamais le serveur FHIR lui-même (pas de connexion sortante depuis un réseau "
        "de soins) : le DPI doit transmettre le prefetch 'patient'.",
        "err_wrong_patient": "le Patient transmis est Patient/{got}, le contexte désigne Patient/{want} : "
        "pas de conseil sur le mauvais patient",
    },
}
for _key, _template in _TEXT["fr"].items():
    _TEXT["fr"][_key] = french_typography(_template)
_KEY_NAMES = {"fr": {"conditions": "pathologies", "medications": "prescriptions"}}


def t(key: str, lang: str, /, **values: object) -> str:
    """The text ``key`` of the card in ``lang`` (English unless French), formatted with ``values``."""
    return _TEXT["fr" if lang == "fr" else "en"][key].format(**values)


def key_name(key: str, lang: str) -> str:
    """A prefetch key as the card names it ('conditions' is 'pathologies' in French)."""
    return _KEY_NAMES.get(lang, {}).get(key, key)
