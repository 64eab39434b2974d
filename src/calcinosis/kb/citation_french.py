"""A citation's editorial notes in French, for the French outputs.

Readers of the literature record what they could not check inside the citation itself, in
English: "[Authors not seen.]", "(Journal, year, volume and pages not verified.)",
"(journal read from the DOI prefix; volume and pages not seen)". Those notes are the
project's words, not the cited work's, and a French report must not show them in English. This
module turns each note clause into French with its agreement ("Auteurs non relevés",
"Revue, année, volume et pages non vérifiés", "Titre non relevé"); titles, authors, journal
names and affiliations are left as written. A reference may instead carry its own
``citation_fr``, which wins. ``kb check`` flags a citation whose French form still holds an
English note (``untranslated_notes``).
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["french_citation", "untranslated_notes"]

# the items a note says were not seen: French words, gender and number ('m', 'f', 'mp', 'fp')
_ITEMS: dict[str, tuple[str, str]] = {
    "authors": ("auteurs", "mp"),
    "author": ("auteur", "m"),
    "author names": ("noms des auteurs", "mp"),
    "co-authors": ("co-auteurs", "mp"),
    "full author list": ("liste complète des auteurs", "f"),
    "title": ("titre", "m"),
    "exact title": ("titre exact", "m"),
    "english title": ("titre anglais", "m"),
    "book title": ("titre de l'ouvrage", "m"),
    "original title in portuguese": ("titre original en portugais", "m"),
    "journal": ("revue", "f"),
    "year": ("année", "f"),
    "volume": ("volume", "m"),
    "pages": ("pages", "fp"),
    "page": ("page", "f"),
    "end page": ("dernière page", "f"),
    "article number": ("numéro d'article", "m"),
    "case id": ("identifiant du cas", "m"),
    "doi": ("DOI", "m"),
    "meeting": ("congrès", "m"),
    "book": ("ouvrage", "m"),
    "initials": ("initiales", "fp"),
    "abstract": ("résumé", "m"),
}
# the participle and where the item was looked for
_VERBS = {"seen": "relevé", "verified": "vérifié", "displayed": "affiché", "shown": "affiché"}
_PLACES = {
    "on the stored record": "sur la notice conservée",
    "in the stored text": "dans le texte conservé",
    "on the page consulted": "sur la page consultée",
    "on the page seen": "sur la page consultée",
    "on the pages seen": "sur les pages consultées",
    "on the record": "sur la notice",
    "on the record read": "sur la notice lue",
    "on the page read": "sur la page lue",
    "on the copy read": "sur la copie lue",
    "in the stored excerpt": "dans l'extrait conservé",
}
_ITEM = "|".join(sorted((re.escape(k) for k in _ITEMS), key=len, reverse=True))


def _clause(negation: str) -> str:
    """A note's words: its items, 'not' (``negation``: required, or optional with '?'), the verb, a place."""
    return (
        rf"(?P<items>(?:{_ITEM})(?:(?:, | and )(?:{_ITEM}))*) (?P<neg>not ){negation}(?P<verb>seen|verified|displayed|shown)"
        rf"(?: (?P<place>{'|'.join(map(re.escape, _PLACES))}))?"
    )


_NOTE = re.compile(rf"^{_clause('?')}(?P<end>\.?)$", re.IGNORECASE)
# the same note written as a sentence of the citation ("... 1997;122:1083-9. Authors not seen.")
_INLINE = re.compile(rf"(?:(?<=^)|(?<=\. )|(?<=; )){_clause('')}(?=[.;]| \(|$)", re.IGNORECASE)
# whole clauses, as written by the readers
_CLAUSES = {
    "in French": "en français",
    "abstract": "résumé",
    "conference abstract": "résumé de congrès",
    "meeting abstract": "résumé de congrès",
    "EULAR congress abstract": "résumé du congrès de l'EULAR",
    "in Korean, English abstract": "en coréen, résumé en anglais",
    "review": "revue de la littérature",
    "case report": "observation",
    "case summary": "résumé de cas",
    "journal read from the DOI prefix": "revue déduite du préfixe du DOI",
    "Ann Rheum Dis, supplement": "Ann Rheum Dis, supplément",
    "Chinese, English abstract": "en chinois, résumé en anglais",
    "German calciphylaxis registry, RWTH Aachen": "registre allemand de la calciphylaxie, RWTH Aix-la-Chapelle",
    "the DOI prefix is that of J Travel Med": "le préfixe du DOI est celui de J Travel Med",
    "presented at the 1997 RSNA scientific assembly, received January 1998.": (
        "présenté à l'assemblée scientifique de la RSNA en 1997, reçu en janvier 1998."
    ),
    "the article analyses the factors associated with early tophaceous disease in gout of under 10 years": (
        "l'article analyse les facteurs associés à la goutte tophacée précoce, de moins de 10 ans d'évolution"
    ),
}
_PREFIXED = (  # a clause that begins with these words, the rest kept as written (a name, a list)
    (re.compile(r"^usually cited as ", re.IGNORECASE), "habituellement cité\u00a0: "),
    (re.compile(r"^data (?=\d)", re.IGNORECASE), "données "),
    (re.compile(r"^consulted in the online edition of the ", re.IGNORECASE), "consulté dans l'édition en ligne du "),
    (re.compile(r"^corresponding author ", re.IGNORECASE), "auteur correspondant\u00a0: "),
    (re.compile(r"^QxMD record ", re.IGNORECASE), "notice QxMD "),
    (re.compile(r"^study period (?=\d)", re.IGNORECASE), "période d'étude "),
    (re.compile(r"^oral presentation (?=\S)", re.IGNORECASE), "communication orale "),
)
_MONTHS = {
    "January": "janvier", "February": "février", "March": "mars", "April": "avril", "May": "mai", "June": "juin",
    "July": "juillet", "August": "août", "September": "septembre", "October": "octobre", "November": "novembre",
    "December": "décembre",
}  # fmt: skip
_PUBLISHED = re.compile(rf"^published online (\d{{1,2}} )?({'|'.join(_MONTHS)}) (\d{{4}})$")
_ARCHIVED = re.compile(r"^archived (\d{4}) edition$")
# a bracket or a parenthesis whose content may be a note: checked clause by clause
_ENCLOSED = re.compile(r"\[([^\[\]]*)\]|\(([^()]*)\)")
# words that say a clause is still an English note
_ENGLISH = re.compile(
    r"\b(?:not (?:seen|verified|displayed|shown)|seen|verified|usually cited|read from|consulted in|abstract"
    r"|published online|oral presentation|archived)\b"
)


def _agreement(genders: list[str]) -> str:
    """The participle's ending for the items: feminine only if all are, plural if several."""
    plural = len(genders) > 1 or genders[0].endswith("p")
    feminine = all(g.startswith("f") for g in genders)
    return ("e" if feminine else "") + ("s" if plural else "")


def _note(clause: str, first: bool) -> str | None:
    """One clause of a note in French, or None when it is no note this module knows;
    ``first``: the clause opens its bracket (its capital is kept)."""
    if clause in _CLAUSES:
        return _CLAUSES[clause]
    m = _NOTE.match(clause)
    if m is not None:
        return _said(m, first) + m.group("end")
    for pattern, french in _PREFIXED:
        if pattern.match(clause):
            return pattern.sub(french, clause, count=1)
    published = _PUBLISHED.match(clause)
    if published is not None:
        day, month, year = published.groups()
        on = f"le {day}" if day else "en "  # 'le 3 mars 2020', 'en décembre 2024'
        return f"publié en ligne {on}{_MONTHS[month]} {year}"
    archived = _ARCHIVED.match(clause)
    if archived is not None:
        return f"édition {archived.group(1)} archivée"
    return None


def _said(m: re.Match[str], first: bool) -> str:
    """A matched note clause in French, with its agreement; capitalised if ``first`` and it was."""
    words = re.split(r", | and ", m.group("items"))
    items = [_ITEMS[w.lower()] for w in words]
    names = [name for name, _ in items]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " et " + names[-1]
    if first and m.group("items")[0].isupper():
        listed = listed[0].upper() + listed[1:]
    participle = _VERBS[m.group("verb").lower()] + _agreement([g for _, g in items])
    place = f" {_PLACES[m.group('place')]}" if m.group("place") else ""
    return f"{listed} {'non ' if m.group('neg') else ''}{participle}{place}"


def _enclosed(content: str) -> str:
    """The clauses of a bracket or a parenthesis, each note in French, the rest as written;
    when one was put in French, the clauses are joined as French writes it (a narrow no-break
    space before ';')."""
    clauses = content.split("; ")
    french = [_note(clause, k == 0) for k, clause in enumerate(clauses)]
    if not any(french):
        return content
    return "\u202f; ".join(f or clause for f, clause in zip(french, clauses, strict=True))


# a space typed before ':', ';', '?' or '!' that ends a word: a French title written as French
# writes it ('comprimé (chlorhydrate de diltiazem) : résumé'), whose space must not break
_SPACED_SIGN = re.compile(r"(?<=\S)[ \t]+([:;?!])(?=[\s)\]»]|$)")


def _no_break_spaces(text: str) -> str:
    """The spaces already typed before ': ; ? !' made the no-break ones French reads (a no-break
    space before ':', a narrow one before the others); a sign typed without a space, as an
    English title is, stays as written (a French clinician report read '(chlorhydrate de
    diltiazem) : résumé' with a plain space, where every other text of the report had its own)."""
    return _SPACED_SIGN.sub(lambda m: ("\u00a0" if m.group(1) == ":" else "\u202f") + m.group(1), text)


@lru_cache(maxsize=1024)
def french_citation(citation: str) -> str:
    """``citation`` with its editorial notes in French (titles, names and places as written,
    a French title's spaces before ': ; ? !' made no-break); remembered, as every French report
    writes the same few dozen citations."""

    def one(m: re.Match[str]) -> str:
        if m.group(1) is not None:
            return f"[{_enclosed(m.group(1))}]"
        return f"({_enclosed(m.group(2))})"

    return _no_break_spaces(_INLINE.sub(lambda m: _said(m, True), _ENCLOSED.sub(one, citation)))


def untranslated_notes(citation: str) -> list[str]:
    """The clauses of ``citation``'s French form that still read as English notes: inside a
    bracket or a parenthesis, or anywhere a note's words are left."""
    french = french_citation(citation)
    out = []
    for m in _ENCLOSED.finditer(french):
        for clause in re.split(r"\u202f?; ", m.group(1) or m.group(2) or ""):
            if _ENGLISH.search(clause):
                out.append(clause)
    outside = _ENCLOSED.sub("", french)
    out += [m.group() for m in re.finditer(r"[^.;]*\bnot (?:seen|verified|displayed|shown)\b[^.;]*", outside)]
    # a reader's dates and editions written as a sentence of the citation (a French report read
    # 'Springer; accepted 10 September 2020', 'Chapters on ... consulted in the online edition')
    out += [m.group() for m in re.finditer(r"[^.;]*\b(?:accepted \d|consulted in the online edition)[^.;]*", outside)]
    return out
