"""The few FHIR codes the reader and the writer share beyond ``knowledge/codes.yaml``: value
codes for present/absent and positive/negative, interpretation flags, DICOM modalities, and
the project's own codes for what no code system names (the presenting calcification, an
imaging entry, calcinosis' own report)."""

from __future__ import annotations

from calcinosis.kb.codes import OWN_SYSTEM_PREFIX, SYSTEMS

__all__ = [
    "ABSENT_VALUES",
    "AGE_CODE",
    "AGE_UNITS",
    "CASE_ID_SYSTEM",
    "DATA_ABSENT_REASON_URL",
    "DCM_MODALITIES",
    "DCM_SYSTEM",
    "DOSE_DEPENDENT",
    "DURATION_URL",
    "IMAGING_CODE",
    "INTERPRETATION_SYSTEM",
    "MODALITY_TO_DCM",
    "NEGATIVE",
    "ONSET_DELAY_URL",
    "OUTPUT_CODE",
    "POSITIVE",
    "POSITIVE_VALUES",
    "POSTMENOPAUSAL_CODE",
    "PRESENTING",
    "PRESENTING_CODES",
    "own_system",
]


def own_system(list_name: str) -> str:
    """The project's code system for one vocabulary list (``urn:calcinosis:vocabulary:<list>``)."""
    return OWN_SYSTEM_PREFIX + list_name


SNOMED = SYSTEMS["snomed"]
INTERPRETATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
"""HL7 v3 ObservationInterpretation: H, HH, HU high; L, LL, LU low; N normal; POS, NEG."""

POSITIVE_VALUES = frozenset({(SNOMED, "10828004"), (SNOMED, "52101004")})
"""SNOMED CT qualifier values 10828004 |Positive| and 52101004 |Present|."""
ABSENT_VALUES = frozenset({(SNOMED, "260385009"), (SNOMED, "2667000")})
"""SNOMED CT qualifier values 260385009 |Negative| and 2667000 |Absent|."""
POSITIVE: dict[str, str] = {"system": SNOMED, "code": "10828004", "display": "Positive"}
NEGATIVE: dict[str, str] = {"system": SNOMED, "code": "260385009", "display": "Negative"}

AGE_CODE = (SYSTEMS["loinc"], "30525-0")
"""LOINC 30525-0 |Age|: an age stated directly (valueQuantity in a, mo, wk or d). calcinosis writes
the case's age so: a case knows an age, not a birth date."""
DATA_ABSENT_REASON_URL = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
"""The core extension that says why an element has no value (here ``unknown``: the Patient's
birth date, which a case does not hold)."""
AGE_UNITS = {"a": 1.0, "mo": 1 / 12, "wk": 7 / 365.25, "d": 1 / 365.25}
POSTMENOPAUSAL_CODE = (own_system("patient"), "postmenopausal")

CASE_ID_SYSTEM = "urn:calcinosis:case-id"
"""Patient.identifier system carrying the case id, so that a written case reads back with its id."""
DURATION_URL = "urn:calcinosis:extension:duration-months"
"""Extension (valueDecimal, months) on the Condition of the calcification: the case format's
``duration_months``, exact. The Condition's ``onsetAge`` says it to any system (the age less
the duration), but an age in completed years may be below the duration (a 1-year-old with 18
months of lesions), and a decimal age does not give the months back to the digit."""
ONSET_DELAY_URL = "urn:calcinosis:extension:onset-days-after"
"""Extension (valueDecimal, days) on the Condition or MedicationStatement of an exposure or a
condition: the case format's ``onset_days_after``, exact, whether or not the dates are known."""

DCM_SYSTEM = "http://dicom.nema.org/resources/ontology/DCM"
DCM_MODALITIES: dict[str, str] = {
    "CT": "ct",
    "CR": "radiograph",
    "DX": "radiograph",
    "MR": "mri",
    "US": "ultrasound",
    "PT": "pet_ct",
    "MG": "mammography",
}
"""DICOM modality (PS3.16 CID 29) → case-format modality. NM is not mapped: a nuclear-medicine
study is not necessarily a bone scintigraphy, and the reader does not guess which."""
MODALITY_TO_DCM: dict[str, str] = {
    "ct": "CT",
    "radiograph": "DX",
    "mri": "MR",
    "ultrasound": "US",
    "pet_ct": "PT",
    "mammography": "MG",
    "bone_scintigraphy": "NM",
}

PRESENTING = (own_system("presentation"), "soft_tissue_calcification")
PRESENTING_CODES = frozenset(
    {
        PRESENTING,
        (SYSTEMS["hpo"], "HP:0003761"),  # Calcinosis
        (SYSTEMS["hpo"], "HP:0025520"),  # Calcinosis cutis
        (SYSTEMS["hpo"], "HP:0007618"),  # Subcutaneous calcification
        (SYSTEMS["hpo"], "HP:0010766"),  # Ectopic calcification
        (SYSTEMS["hpo"], "HP:0100249"),  # Calcification of muscles
        (SYSTEMS["hpo"], "HP:0025477"),  # Periarticular calcification
        (SYSTEMS["icd10"], "L94.2"),  # Calcinosis cutis
        (SYSTEMS["icd10cm"], "L94.2"),
    }
)
"""The calcification itself, whose body sites and onset are the case's sites and duration
(HPO terms and the ICD-10 code from reference/codes.md, "Generic terms for the engine's own
output", checked in HPO 2025-01-16 and the WHO ICD-10 2019 tabular list)."""

IMAGING_CODE = (own_system("imaging"), "imaging_entry")
"""An Observation holding one imaging entry of the case format (method = modality,
bodySite = first site, components = tissues, patterns, distribution, size and flags)."""
OUTPUT_CODE = (own_system("output"), "calcinosis_differential")
"""calcinosis' DiagnosticReport: the category and the ranked differential."""

DOSE_DEPENDENT = frozenset(
    {
        "vitamin_d_high_dose",
        "calcium_supplements_high_dose",
        "milk_alkali_intake",
        "high_phosphate_intake",
        "long_term_corticosteroids",
        "iv_calcium",
    }
)
"""Exposures that a drug code alone does not establish: the engine reasons on a high dose, a
long course or the intravenous route, which a prescription's code does not say. The reader
reports such a drug instead of adding the exposure; the project's own code (what calcinosis
writes, or a clinician's explicit statement) is read as it is."""
