"""The words of ``calcinosis batch`` in English and French.

The shared ``messages.yaml`` belongs to the case reader and the engine; these few sentences
are the batch part's own (table columns, cells, counts). French gets its typography (no-break
spaces before ``:`` ``;`` ``?`` ``!``) from :func:`calcinosis.i18n.french_typography`.
"""

from __future__ import annotations

from functools import cache

__all__ = ["say"]

_TEXT: dict[str, tuple[str, str]] = {
    # table columns (checked before any row is read)
    "columns_bad": (
        "{source}: the columns of the table are not understood",
        "{source} : colonnes du tableau non comprises",
    ),
    "column_unknown": ("unknown column", "colonne inconnue"),
    "column_alias": (
        "column {name!r} names a term by a synonym; columns use the canonical term",
        "la colonne {name!r} nomme un terme par un synonyme ; les colonnes emploient le terme canonique",
    ),
    "column_separator": (
        "the header looks separated by {sep!r}: a CSV table is separated by commas (re-export it, or write Parquet)",
        "l'en-tête semble séparé par {sep!r} : un tableau CSV est séparé par des virgules (l'exporter à nouveau, ou écrire du Parquet)",
    ),
    "column_twice": ("column {name!r} appears {n} times", "la colonne {name!r} figure {n} fois"),
    "column_required": (
        "the table has no {name!r} column (every case needs age and sex)",
        "le tableau n'a pas de colonne {name!r} (chaque cas exige l'âge et le sexe)",
    ),
    "column_no_unit": (
        "lab value column {name!r} has no unit: add a column {unit_col!r} or put the unit in the name, e.g. {example!r}",
        "la colonne de valeurs {name!r} n'a pas d'unité : ajouter une colonne {unit_col!r} ou mettre l'unité dans le nom, par exemple {example!r}",
    ),
    "column_two_units": (
        "lab test {test!r} has both a unit column and a unit in a column name: keep one",
        "l'examen {test!r} a à la fois une colonne d'unité et une unité dans un nom de colonne : n'en garder qu'une",
    ),
    "column_unit_unknown": (
        "unit {unit!r} in column {name!r} does not fit test {test!r}",
        "l'unité {unit!r} de la colonne {name!r} ne convient pas à l'examen {test!r}",
    ),
    "column_needs_value": (
        "column {name!r} needs the value column {value_col!r}",
        "la colonne {name!r} exige la colonne de valeurs {value_col!r}",
    ),
    "column_expected": ("a column named as in docs/batch.md", "une colonne nommée comme dans docs/batch.md"),
    "one_of": ("one of: {items}", "l'un de : {items}"),
    # cells
    "cell_bool": ("expected true, false or empty, got {value}", "attendu : true, false ou vide ; reçu {value}"),
    "cell_flag": (
        "expected true or empty, got {value} (case format v1 has no absent {what}: leave the cell empty)",
        "attendu : true ou vide ; reçu {value} (le format de cas v1 n'exprime pas l'absence d'un {what} : laisser la cellule vide)",
    ),
    "what_site": ("site", "site"),
    "what_pattern": ("pattern", "aspect"),
    "what_tissue": ("tissue", "tissu"),
    # inputs
    "input_unknown_kind": (
        "{source}: give a folder of case files, a .jsonl file of cases, a .csv or .parquet table",
        "{source} : donner un dossier de fichiers de cas, un fichier .jsonl de cas, un tableau .csv ou .parquet",
    ),
    "input_missing": ("{source}: no such file or folder", "{source} : fichier ou dossier introuvable"),
    "input_registry_csv": (
        "{source}: this registry export holds results, not cases; export the visits as JSON Lines "
        "(calcinosis registry export visits.jsonl) and give that file",
        "{source} : cet export du registre contient des résultats, pas des cas ; exporter les visites en JSON Lines "
        "(calcinosis registry export visits.jsonl) et donner ce fichier",
    ),
    "input_unreadable": ("{source}: cannot be read ({reason})", "{source} : illisible ({reason})"),
    "input_no_extra": (
        "reading and writing tables needs pyarrow: pip install 'calcinosis[batch]'",
        "lire et écrire des tableaux exige pyarrow : pip install 'calcinosis[batch]'",
    ),
    "dask_no_extra": (
        "--dask needs Dask distributed: pip install 'calcinosis[batch]'",
        "--dask exige Dask distributed : pip install 'calcinosis[batch]'",
    ),
    "line_not_object": (
        "expected a case (a JSON object), got {type}",
        "attendu : un cas (un objet JSON) ; reçu {type}",
    ),
    "line_not_registry": (
        "expected a registry visit (an object with patient, date and case), got keys {keys}",
        "attendu : une visite du registre (un objet avec patient, date et case) ; reçu les clés {keys}",
    ),
    "line_too_long": ("line longer than {limit} bytes", "ligne de plus de {limit} octets"),
    # outputs and the run
    "out_suffix": (
        "{path}: the output is written as .parquet or .csv (by its suffix)",
        "{path} : la sortie s'écrit en .parquet ou .csv (selon son suffixe)",
    ),
    "strict_failed": (
        "{source}, row {row}{column}: {text} (--strict: stopped at the first bad row; nothing was written)",
        "{source}, ligne {row}{column} : {text} (--strict : arrêt à la première ligne fautive ; rien n'a été écrit)",
    ),
    "column_part": (", column {column}", ", colonne {column}"),
    "duplicate_id": (
        "case id {id} is also that of row {first} ({source}): give each case its own id "
        "(two results under one id cannot be told apart)",
        "l'identifiant de cas {id} est aussi celui de la ligne {first} ({source}) : donner à chaque cas son propre "
        "identifiant (deux résultats sous un même identifiant ne se distinguent pas)",
    ),
    "counts": (
        "rows in {rows_in}, scored {scored}, rejected {rejected}",
        "lignes lues {rows_in}, évaluées {scored}, refusées {rejected}",
    ),
    "written": (
        "results: {out}; rejects: {rejects}; summary: {summary}",
        "résultats : {out} ; refus : {rejects} ; résumé : {summary}",
    ),
    "written_explain": ("full results: {explain}", "résultats complets : {explain}"),
    "progress": ("scoring", "évaluation"),
    "rate": ("{rate} cases/s", "{rate} cas/s"),
    "bad_dask": (
        "--dask takes tcp://HOST:PORT or local:N (N workers on 127.0.0.1), not {value!r}",
        "--dask prend tcp://HÔTE:PORT ou local:N (N nœuds de calcul sur 127.0.0.1), pas {value!r}",
    ),
    "bad_number": (
        "{option} must be a whole number from 1 to {high}, not {value}",
        "{option} doit être un entier de 1 à {high}, pas {value}",
    ),
    "partitions_need_dask": (
        "--partitions shapes a Dask run: give --dask too (a local run goes by chunks of rows)",
        "--partitions règle un calcul Dask : donner aussi --dask (un calcul local procède par paquets de lignes)",
    ),
    "worker_kb": (
        "a Dask worker holds knowledge base {worker} but this run uses {here}: install the same calcinosis on the workers",
        "un nœud de calcul Dask détient la base de connaissances {worker} mais ce calcul emploie {here} : installer le même calcinosis sur tous les nœuds",
    ),
    "non_finite": (
        "the scoring gave a non-finite probability for row(s) {rows} (a bug: please report it); nothing was written",
        "le calcul a donné une probabilité non finie pour la ou les lignes {rows} (une erreur du logiciel : merci de la signaler) ; rien n'a été écrit",
    ),
}


@cache
def _template(key: str, lang: str) -> str:
    from calcinosis.i18n import french_typography

    en, fr = _TEXT[key]
    return french_typography(fr) if lang == "fr" else en


def say(key: str, lang: str, /, **values: object) -> str:
    """The sentence ``key`` in ``lang`` ('en' or 'fr'), formatted with ``values``."""
    template = _template(key, "fr" if lang == "fr" else "en")
    return template.format(**values) if values else template
