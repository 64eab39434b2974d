"""A measurement feeds the case: the imaging entry it supports, with where it came from.

The entry holds what the measurement showed, in case-format terms: the modality, the sites of
the hand regions that hold deposits (a hand radiograph; other studies have no anatomy to name),
the patterns, the distribution, the largest dimension of the largest deposit, and ``measured``
(the study, its date from DICOM StudyDate when present, and the method with its rule). The
diagnosis then names that study in the basis of every item of the entry. Tissues are never
written: no method here tells skin, fat, fascia or muscle apart.

An entry measured on the same study (same ``measured.study``) is replaced, not duplicated; the
other entries, clinician-entered ones included, are kept as they are.

.. versionadded:: 0.7.0
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from calcinosis._version import __version__
from calcinosis.case.model import Case
from calcinosis.imaging.results import ImagingResult
from calcinosis.imaging.texts import say
from calcinosis.imaging.volume import Volume

__all__ = ["case_with_measurement", "imaging_entry", "method_text", "region_label", "say", "study_date"]


def region_label(region: str, lang: str) -> str:
    """A hand region in words: ``index_distal`` -> 'index, distal phalanx'."""
    if "_" in region:
        finger, phalanx = region.split("_", 1)
        return f"{say('finger_' + finger, lang)}, {say('phalanx_' + phalanx, lang)}"
    return say(f"region_{region}", lang)


def study_date(volume: Volume, study: str, *, lang: str = "en") -> tuple[str | None, str | None]:
    """The ISO date of a DICOM study (StudyDate), and a note when the file's date is not a date.

    NIfTI and PNG studies carry no date: (None, None).
    """
    if not volume.geometry.dicom_files:
        return None, None
    import pydicom

    try:
        ds = pydicom.dcmread(volume.geometry.dicom_files[0], stop_before_pixels=True, specific_tags=["StudyDate"])
        value = str(ds.get("StudyDate", "") or "").strip()
    except Exception:  # the study was read already; a header that cannot be re-read gives no date
        return None, None
    if not value:
        return None, None
    try:
        return dt.datetime.strptime(value, "%Y%m%d").date().isoformat(), None
    except ValueError:
        return None, say("note_bad_date", lang, study=study, value=value)


def method_text(result: ImagingResult) -> str:
    """How the study was measured: command, version and the rule of its modality."""
    from calcinosis.imaging.radiograph import BACKGROUND_MM

    if result.modality == "radiograph":
        rule = (
            f"radiograph, deposits seeded above {result.threshold_hu:g} noise units over a {BACKGROUND_MM:g} mm "
            "top-hat background"
        )
        if result.hand is not None:
            rule += "; PA hand regions from the bone shafts"
    else:
        rule = f"CT, calcium threshold {result.threshold_hu:g} HU, bone components removed"
    return f"calcinosis image quantify {__version__}: {rule}"


def imaging_entry(result: ImagingResult, *, study: str, date: str | None) -> dict[str, Any]:
    """The case-format imaging entry of a measurement, with its provenance under ``measured``."""
    entry = dict(result.case_imaging())
    measured: dict[str, str] = {"study": study, "method": method_text(result)}
    if date is not None:
        measured["date"] = date
    entry["measured"] = measured
    return entry


def case_with_measurement(case: Case, result: ImagingResult, *, study: str, date: str | None) -> tuple[Case, int, bool]:
    """The case with the measurement's imaging entry: (case, index of the entry, replaced?).

    An entry measured on the same study is replaced in place; otherwise the entry is added last.
    """
    data = case.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    data.setdefault("patient", case.patient.model_dump(mode="json", exclude_none=True))
    entries: list[dict[str, Any]] = list(data.get("imaging", []))
    entry = imaging_entry(result, study=study, date=date)
    index = next(
        (
            i
            for i, e in enumerate(entries)
            if isinstance(e.get("measured"), dict) and e["measured"].get("study") == study
        ),
        None,
    )
    replaced = index is not None
    if index is None:
        entries.append(entry)
        index = len(entries) - 1
    else:
        entries[index] = entry
    data["imaging"] = entries
    return Case.model_validate(data), index, replaced
