"""``calcinosis image quantify | compare | batch``.

Every parameter is checked before a study is read (``--threshold``, ``--pixel-spacing`` must be
finite numbers in range), the output folder before anything is measured, and every file is
written through :mod:`calcinosis.outputs` (existing results are replaced only with ``--force``).
Results are serialised in one place, :func:`_json`, as strict JSON: never NaN or Infinity.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from calcinosis.cli._common import KB_OPTION, LANG_OPTION, check_lang, handles_errors

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from calcinosis.imaging.compare import Comparison
    from calcinosis.imaging.ct import DepositMask
    from calcinosis.imaging.results import ImagingResult
    from calcinosis.imaging.volume import Volume

__all__ = ["app"]

app = typer.Typer(
    help="Measure calcified deposits on CT and radiographs (research and follow-up; check every deposit).",
    no_args_is_help=True,
)

FORCE_HELP = "Replace result files that already exist in --out."
STUDY_SUFFIXES = (".nii", ".nii.gz", ".dcm")


def _json(payload: Any) -> str:
    """The one serialisation of imaging results: strict JSON, never NaN or Infinity."""
    from calcinosis.errors import ImagingError

    try:
        return json.dumps(payload, ensure_ascii=False, indent=2, allow_nan=False)
    except ValueError as exc:
        raise ImagingError("err_result_not_finite", cause=str(exc)) from None


def _result_payload(result: ImagingResult) -> dict[str, Any]:
    payload = result.model_dump(mode="json")
    payload["case_imaging"] = result.case_imaging()
    return payload


def _refuse_existing(paths: Iterable[Path], *, force: bool) -> None:
    """Before any work: an existing result file is refused without --force (outputs checks it again when writing)."""
    from calcinosis.errors import OutputError

    if force:
        return
    existing = [p for p in paths if os.path.lexists(p)]
    if existing:
        more = f" (and {len(existing) - 1} more result files)" if len(existing) > 1 else ""
        raise OutputError(f"{existing[0]}: already exists{more}; pass --force to replace it", path=existing[0])


def _read(
    study: Path, *, pixel_spacing: float | None = None, bone_mask: Path | None = None
) -> tuple[Volume, npt.NDArray[np.bool_] | None]:
    """Read a study, and the bone mask when one is given (same grid)."""
    from calcinosis.errors import ImagingError
    from calcinosis.imaging.io import read_study

    volume = read_study(study, pixel_spacing_mm=pixel_spacing)
    if bone_mask is None or volume.modality == "radiograph":
        return volume, None
    mask = read_study(bone_mask).array > 0
    if mask.shape != volume.array.shape:
        raise ImagingError(
            "err_mask_shape", path=bone_mask, source=bone_mask, mask=mask.shape, shape=volume.array.shape
        )
    return volume, mask


def _measure_volume(
    volume: Volume,
    *,
    threshold: float,
    mask: npt.NDArray[np.bool_] | None = None,
    hand: bool | None = None,
    lang: str = "en",
) -> tuple[ImagingResult, list[DepositMask]]:
    """Measure a study with the method of its modality (a radiograph by hand region when it is a
    PA hand: ``hand`` True requires it, None looks for it, False never); the assumptions and the
    disclaimer in ``lang``."""
    from calcinosis.imaging.measure import measure_volume
    from calcinosis.imaging.radiograph import measure_radiograph

    if volume.modality == "radiograph":
        return measure_radiograph(volume, hand=hand, lang=lang)
    return measure_volume(volume, threshold=threshold, mask=mask, lang=lang)


def _measure(
    study: Path,
    *,
    threshold: float,
    pixel_spacing: float | None = None,
    bone_mask: Path | None = None,
    lang: str = "en",
) -> tuple[Volume, ImagingResult, list[DepositMask]]:
    """Read a study and measure it with the method of its modality."""
    volume, mask = _read(study, pixel_spacing=pixel_spacing, bone_mask=bone_mask)
    return (volume, *_measure_volume(volume, threshold=threshold, mask=mask, lang=lang))


@app.command("quantify")
@handles_errors
def quantify(
    study: Path = typer.Argument(
        ...,
        help="DICOM series folder, NIfTI file, DICOM CT file, or a radiograph (DICOM, or PNG with --pixel-spacing).",
    ),
    threshold: float = typer.Option(130.0, "--threshold", help="Calcium threshold in HU (CT)."),
    pixel_spacing: float | None = typer.Option(
        None, "--pixel-spacing", help="Pixel spacing at the patient in mm (PNG)."
    ),
    bone_mask: Path | None = typer.Option(
        None, "--bone-mask", help="Optional skeleton mask (NIfTI or DICOM, same grid): components inside it are bone."
    ),
    out: Path | None = typer.Option(None, "--out", help="Folder for result.json and the overlay PNGs."),
    seg: Path | None = typer.Option(
        None,
        "--seg",
        help="Write the deposits as a DICOM Segmentation (one segment per deposit) referencing the DICOM study.",
    ),
    labels: Path | None = typer.Option(
        None,
        "--labels",
        help="Write a label map (voxel value = deposit number): NIfTI .nii.gz/.nii, or a 16-bit .png for a radiograph.",
    ),
    hand: bool | None = typer.Option(
        None,
        "--hand/--no-hand",
        help="Radiograph: a PA hand, measured by region (default: by region when the hand's bones are recognised).",
    ),
    case: Path | None = typer.Option(
        None, "--case", help="Case file (YAML or JSON) to complete with the imaging entry of this measurement."
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write the case with the measured imaging entry here (with --case)."
    ),
    force: bool = typer.Option(False, "--force", help=FORCE_HELP + " Also replaces an existing -o file."),
    lang: str = LANG_OPTION,
    kb_path: Path | None = KB_OPTION,
) -> None:
    """Find and measure every calcified deposit; print the JSON result; write overlays with --out,
    a DICOM SEG with --seg, a label map with --labels, and the case with its measured imaging
    entry with --case CASE -o CASE2."""
    from calcinosis.errors import OutputError
    from calcinosis.imaging.ct import check_threshold
    from calcinosis.imaging.labelmap import check_label_path, write_label_map
    from calcinosis.imaging.overlay import overlay_paths, write_overlays
    from calcinosis.imaging.seg import check_seg_source, write_seg
    from calcinosis.imaging.texts import said, say
    from calcinosis.outputs import prepare_output_dir, write_output

    lang = check_lang(lang)
    check_threshold(threshold)
    inputs = [study] if bone_mask is None else [study, bone_mask]
    if labels is not None:
        check_label_path(labels)
    if (case is None) != (output is None):
        if output is None:
            raise OutputError(say("err_case_needs_output", lang))
        raise OutputError(say("err_output_needs_case", lang), path=output)
    files = [p for p in (seg, labels) if p is not None]
    _check_file_outputs(files, inputs=inputs, force=force)
    given_case = None
    if case is not None and output is not None:
        from calcinosis.case.reader import read_case
        from calcinosis.cli._common import load
        from calcinosis.outputs import check_output

        _distinct([*files, output])
        check_output(output, inputs=[*inputs, case], force=force, lang=lang)
        kb = load(kb_path)
        given_case = read_case(case, kb, lang=lang)  # a bad case is refused before the measurement
    if out is not None:
        prepare_output_dir(out, inputs=inputs)
    volume, mask = _read(study, pixel_spacing=pixel_spacing, bone_mask=bone_mask)
    if seg is not None:
        check_seg_source(volume)
    if labels is not None:
        check_label_path(labels, modality=volume.modality)
    if out is not None:
        results = [out / "result.json", *overlay_paths(volume, out)]
        _refuse_existing(results, force=force)
        _distinct([*results, *files])
    result, masks = _measure_volume(volume, threshold=threshold, mask=mask, hand=hand, lang=lang)
    text = _json(_result_payload(result))
    if result.hand is not None:
        _region_table(result, str(study), lang)
    if out is not None:
        write_output(out / "result.json", text, inputs=inputs, force=force)
        for path in write_overlays(volume, result, masks, out, force=force, inputs=inputs):
            typer.echo(say("out_overlay", lang, path=path), err=True)
    if labels is not None:
        path = write_label_map(volume, result, masks, labels, force=force, inputs=inputs)
        typer.echo(say("out_label_map", lang, path=path, count=len(result.deposits)), err=True)
    if seg is not None:
        written = write_seg(volume, result, masks, seg, force=force, inputs=inputs)
        for note in written.notes:
            typer.echo(say("out_note", lang, text=said(note, lang)), err=True)
        key = "out_seg_one" if written.segments == 1 else "out_seg"
        typer.echo(say(key, lang, path=written.path, count=written.segments, seconds=written.seconds), err=True)
    if given_case is not None and case is not None and output is not None:
        _write_case(given_case, result, volume, study=str(study), inputs=[*inputs, case], output=output,
                    force=force, lang=lang, kb_path=kb_path)  # fmt: skip
    typer.echo(text)


def _write_case(
    given: Any,
    result: ImagingResult,
    volume: Volume,
    *,
    study: str,
    inputs: list[Path],
    output: Path,
    force: bool,
    lang: str,
    kb_path: Path | None,
) -> None:
    """Write the case with the measurement's imaging entry (checked as any case is) to ``output``."""
    from calcinosis.case.document import case_yaml
    from calcinosis.case.reader import parse_case
    from calcinosis.cli._common import load
    from calcinosis.imaging.to_case import case_with_measurement, say, study_date
    from calcinosis.outputs import write_output

    date, note = study_date(volume, study, lang=lang)
    if note:
        typer.echo(note, err=True)
    updated, index, replaced = case_with_measurement(given, result, study=study, date=date)
    checked = parse_case(
        updated.model_dump(mode="json", exclude_none=True), load(kb_path), source=str(output), lang=lang
    )
    path = write_output(output, case_yaml(checked), inputs=inputs, force=force, lang=lang)
    action = say("action_replaced" if replaced else "action_added", lang)
    typer.echo(say("case_written", lang, path=path, index=index, action=action, study=study), err=True)


def _region_table(result: ImagingResult, study: str, lang: str) -> None:
    """The deposits of a hand radiograph by region, on stderr (stdout keeps the JSON)."""
    from rich.console import Console
    from rich.table import Table

    from calcinosis.cli._common import keep_no_break_spaces, safe
    from calcinosis.i18n import decimal
    from calcinosis.imaging.to_case import region_label, say

    assert result.hand is not None
    table = Table(title=safe(say("region_table_title", lang, study=study)))
    for key in ("col_region", "col_deposit_mm2", "col_coverage", "col_density", "col_grade", "col_ids"):
        table.add_column(say(key, lang), justify="left" if key in ("col_region", "col_ids") else "right")

    def num(x: float | None, digits: int) -> str:
        return "" if x is None else decimal(x, lang, digits)

    for r in result.hand.regions:
        if not r.deposits and r.deposit_mm2 == 0:
            continue
        table.add_row(
            region_label(r.region, lang), num(r.deposit_mm2, 1), num(r.coverage_percent, 2),
            num(r.density_ratio, 2), "" if r.density_grade is None else str(r.density_grade),
            ", ".join(str(i) for i in r.deposits),
        )  # fmt: skip
    if result.hand.outside_deposits:
        table.add_row(say("outside", lang), num(result.hand.outside_mm2, 1), "", "", "",
                      ", ".join(str(i) for i in result.hand.outside_deposits))  # fmt: skip
    keep_no_break_spaces()
    console = Console(stderr=True)
    console.print(table)
    console.print(safe(say("score_note", lang), 400))


def _check_file_outputs(paths: list[Path], *, inputs: list[Path], force: bool) -> None:
    """Before any work: --seg and --labels are distinct files, not an input, not inside an input folder
    (a file added to a DICOM series folder would break the series), and not existing without --force."""
    from calcinosis.errors import OutputError
    from calcinosis.outputs import check_output

    _distinct(paths)
    for path in paths:
        for source in inputs:
            if source.is_dir() and _is_inside(path, source):
                raise OutputError(
                    f"{path}: is inside the input folder {source}; a file written there would become part of the "
                    "study (choose a path outside it)",
                    path=path,
                )
        check_output(path, inputs=inputs, force=force)


def _distinct(paths: list[Path]) -> None:
    """One path for two outputs would leave only the one written last: refused before any work."""
    from calcinosis.errors import OutputError

    seen: dict[str, Path] = {}
    for path in paths:
        key = os.path.normcase(os.path.abspath(path))
        if key in seen:
            raise OutputError(
                f"{path}: given for two outputs ({seen[key]} and {path}); give each its own file", path=path
            )
        seen[key] = path


def _is_inside(path: Path, folder: Path) -> bool:
    """Whether ``path`` would be written in ``folder`` or below it (links resolved, as the write would)."""
    try:
        return Path(os.path.realpath(path.parent)).is_relative_to(os.path.realpath(folder))
    except OSError:
        return False


@app.command("compare")
@handles_errors
def compare(
    before: Path = typer.Argument(..., help="Earlier study (DICOM folder, NIfTI, or radiograph)."),
    after: Path = typer.Argument(..., help="Later study of the same patient, same kind and view."),
    threshold: float = typer.Option(130.0, "--threshold", help="Calcium threshold in HU (CT)."),
    pixel_spacing: float | None = typer.Option(
        None, "--pixel-spacing", help="Pixel spacing at the patient in mm (PNG)."
    ),
    out: Path | None = typer.Option(None, "--out", help="Folder for comparison.json."),
    force: bool = typer.Option(False, "--force", help=FORCE_HELP),
    lang: str = LANG_OPTION,
) -> None:
    """Match deposits between two studies; per-deposit and total change, new and vanished deposits;
    for two hand radiographs, the change of each region (table on stderr).

    Studies that cannot be compared are refused with the reason: different modalities, a
    degenerate study, or fields of view of very different physical extent.
    """
    from calcinosis.imaging.compare import body_centroid_mm, check_comparable, compare_results
    from calcinosis.imaging.ct import check_threshold
    from calcinosis.outputs import prepare_output_dir, write_output

    lang = check_lang(lang)
    check_threshold(threshold)
    if out is not None:
        prepare_output_dir(out, inputs=[before, after])
        _refuse_existing([out / "comparison.json"], force=force)
    v1, _ = _read(before, pixel_spacing=pixel_spacing)
    v2, _ = _read(after, pixel_spacing=pixel_spacing)
    check_comparable(v1, v2)  # before the (long) measurement
    c1, c2 = body_centroid_mm(v1), body_centroid_mm(v2)
    r1, _ = _measure_volume(v1, threshold=threshold, lang=lang)
    r2, _ = _measure_volume(v2, threshold=threshold, lang=lang)
    shift = (c2[0] - c1[0], c2[1] - c1[1], c2[2] - c1[2])
    result = compare_results(r1, r2, shift_mm=shift, lang=lang)
    text = _json(result.model_dump(mode="json"))
    if out is not None:
        write_output(out / "comparison.json", text, inputs=[before, after], force=force)
    typer.echo(text)
    if result.regions:
        _region_change_table(result, lang)


def _region_change_table(result: Comparison, lang: str) -> None:
    """Each hand region's deposit area at both visits and its change class, on stderr (stdout keeps
    the JSON), with the rule the classes follow."""
    from rich.console import Console
    from rich.table import Table

    from calcinosis.cli._common import keep_no_break_spaces, safe
    from calcinosis.i18n import decimal, message
    from calcinosis.imaging.to_case import region_label

    def num(x: float | None, digits: int, sign: bool = False) -> str:
        if x is None:
            return ""
        shown = decimal(abs(x) if sign else x, lang, digits)
        return (("+" if x >= 0 else "-") + shown + "\u00a0%") if sign else shown

    def label(change: str | None) -> str:
        return "" if change is None else message(f"reg_region_class_{change}", lang)

    table = Table(title=message("reg_region_title", lang))
    table.add_column(message("reg_region_col_region", lang))
    for head in ("img_col_before_mm2", "img_col_after_mm2", "reg_region_col_change", "reg_region_col_class"):
        table.add_column(message(head, lang), justify="right")
    for r in result.regions:
        if r.before_mm2 == 0 and r.after_mm2 == 0:
            continue
        table.add_row(
            region_label(r.region, lang), num(r.before_mm2, 1), num(r.after_mm2, 1),
            num(r.change_percent, 1, sign=True), label(r.change),
        )  # fmt: skip
    table.add_row(
        message("reg_region_total", lang),
        "",
        "",
        num(result.hand_change_percent, 1, sign=True),
        label(result.hand_change),
    )
    keep_no_break_spaces()
    console = Console(stderr=True)
    console.print(table)
    if result.change_rule:  # the rule and its source in the output's language
        from calcinosis.imaging.compare import region_rule_text

        console.print(safe(region_rule_text(lang), 600))


def _output_names(studies: list[Path]) -> dict[Path, str]:
    """One result file name per study that no other study (nor summary.csv) can take: the study's
    whole name plus .json (``scan/`` -> scan.json, ``scan.nii.gz`` -> scan.nii.gz.json), with a
    number added if two names still meet (case-insensitive file systems)."""
    used = {"summary.csv"}
    names: dict[Path, str] = {}
    for study in studies:
        name = f"{study.name}.json"
        k = 2
        while name.lower() in used:
            name = f"{study.name}-{k}.json"
            k += 1
        used.add(name.lower())
        names[study] = name
    return names


def _is_same(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


@app.command("batch")
@handles_errors
def batch(
    folder: Path = typer.Argument(
        ..., help="Folder of studies: DICOM series sub-folders, NIfTI files, DICOM radiographs."
    ),
    out: Path = typer.Option(..., "--out", help="Folder for one JSON per study and summary.csv."),
    threshold: float = typer.Option(130.0, "--threshold", help="Calcium threshold in HU (CT)."),
    force: bool = typer.Option(False, "--force", help=FORCE_HELP),
    lang: str = LANG_OPTION,
) -> None:
    """Quantify every study of a folder, with a progress bar; a study that fails is reported and skipped.

    Each study's result goes to its own file named after the study's whole name (``p1/`` ->
    p1.json, ``p1.nii.gz`` -> p1.nii.gz.json); summary.csv lists every study with its status, its
    output file and the error, and is written even when every study fails.
    """
    import csv
    import io

    from rich.progress import Progress

    from calcinosis.errors import CalcinosisError, ImagingError
    from calcinosis.imaging.ct import check_threshold
    from calcinosis.imaging.texts import say
    from calcinosis.outputs import prepare_output_dir, write_output

    lang = check_lang(lang)
    check_threshold(threshold)
    if not folder.is_dir():
        raise ImagingError("err_not_study_folder", path=folder)
    prepare_output_dir(out, inputs=[folder])
    studies = sorted(
        p
        for p in folder.iterdir()
        if not p.name.startswith(".")
        and (p.is_dir() or (p.is_file() and p.name.lower().endswith(STUDY_SUFFIXES)))
        and not _is_same(p, out)
    )
    names = _output_names(studies)
    _refuse_existing([out / "summary.csv", *(out / n for n in names.values())], force=force)
    rows: list[dict[str, object]] = []
    with Progress(transient=True) as progress:
        task = progress.add_task(say("out_progress", lang), total=len(studies))
        for study in studies:
            target = out / names[study]
            try:
                _, result, _ = _measure(study, threshold=threshold, lang=lang)
                write_output(target, _json(_result_payload(result)), inputs=[study], force=force)
                row: dict[str, object] = {
                    "study": study.name,
                    "status": "ok",
                    "output": target.name,
                    "deposits": len(result.deposits),
                    "total_volume_mm3": result.total_volume_mm3,
                    "error": "",
                }
            except Exception as exc:  # one bad study never stops the batch; KeyboardInterrupt still does
                text = (exc.text(lang) if isinstance(exc, ImagingError) else str(exc)).strip()
                if not isinstance(exc, CalcinosisError):
                    text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
                row = {
                    "study": study.name,
                    "status": "error",
                    "output": "",
                    "deposits": "",
                    "total_volume_mm3": "",
                    "error": text or type(exc).__name__,
                }
            rows.append(row)
            progress.advance(task)
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=["study", "status", "output", "deposits", "total_volume_mm3", "error"])
    writer.writeheader()
    writer.writerows(rows)
    summary = write_output(out / "summary.csv", buffer.getvalue(), inputs=[folder], force=force)
    failed = sum(r["status"] == "error" for r in rows)
    typer.echo(say("out_batch_done", lang, measured=len(rows) - failed, failed=failed, path=summary))
