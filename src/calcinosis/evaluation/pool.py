"""Pool the case files of several evaluation folders, one patient per publication.

The project holds published patients in more than one place: the validation set of issue 11
(``tests/data/published``) and the gold cases of the note sets of issue 18
(``tests/data/notes``, ``notes-dev2``, ``notes-heldout*``; not ``notes-synth``, which is
written, not published), each coded from a published case report with its ``expected``
diagnosis and source. Pooled, they measure the engine on about 300 published patients
instead of 124, and the global constants can be fitted on all of them by cross-validation.

A few publications appear in two folders (a note set reused a report the validation set had
coded). Counting such a patient twice would weigh it double and, in cross-validation, put the
same patient on both sides of a fold; so a case whose publication was already taken from an
earlier folder is dropped, and the drop is reported. Inside one folder two cases of the same
publication are two patients of one report and are both kept. The publication is recognised by its DOI,
else its PMID, else its citation's first words; a case without a source is always kept.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from calcinosis.case.reader import read_case
from calcinosis.kb.model import KnowledgeBase

__all__ = ["PooledCases", "case_files", "pool_case_files", "publication_key"]

_DOI = re.compile(r"10\.\d{4,9}/[^\s;,)\]]+", re.IGNORECASE)
_PMID = re.compile(r"PMID:?\s*(\d{5,9})", re.IGNORECASE)
_CITATION_WORDS = 8


def publication_key(source: str | None) -> str | None:
    """A key that two citations of the same publication share: its DOI, else its PMID, else
    its first words (the authors and the start of the title, case and punctuation folded)."""
    if not source or not source.strip():
        return None
    if doi := _DOI.search(source):
        return "doi:" + doi.group(0).lower().rstrip(".")
    if pmid := _PMID.search(source):
        return "pmid:" + pmid.group(1)
    words = re.findall(r"\w+", source.lower())
    return "text:" + " ".join(words[:_CITATION_WORDS])


def case_files(folder: Path) -> list[Path]:
    """Every ``*.yaml``, ``*.yml`` and ``*.json`` file of ``folder``, sorted."""
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in (".yaml", ".yml", ".json") and p.is_file())


@dataclass
class PooledCases:
    """The case files kept, and each dropped file with the kept file of the same publication."""

    paths: list[Path] = field(default_factory=list)
    duplicates: list[tuple[Path, Path]] = field(default_factory=list)


def pool_case_files(folders: Sequence[Path], kb: KnowledgeBase) -> PooledCases:
    """The case files of ``folders`` in order; a case whose publication an earlier folder
    already gave is dropped (and listed with the case kept)."""
    if len(folders) == 1:  # nothing to drop: no case is read twice just to find its source
        return PooledCases(paths=case_files(folders[0]))
    pooled = PooledCases()
    earlier: dict[str, Path] = {}
    for folder in folders:
        this_folder: dict[str, Path] = {}
        for path in case_files(folder):
            expected = read_case(path, kb).expected
            key = publication_key(expected.source if expected else None)
            if key is not None and key in earlier:
                pooled.duplicates.append((path, earlier[key]))
                continue
            if key is not None:
                this_folder.setdefault(key, path)
            pooled.paths.append(path)
        earlier.update(this_folder)
    return pooled
