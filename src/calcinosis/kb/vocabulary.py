"""The case-format vocabulary: canonical terms, bilingual labels, aliases and the site tree."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from calcinosis.issues import closest, normalise_term

__all__ = ["GENDERS", "VOCABULARY_LISTS", "Term", "Vocabulary"]

GENDERS = ("m", "f")  # grammatical gender of a French label (agreement of the words around it)

# The lists of vocabulary.yaml, in the order of case-format.md.
VOCABULARY_LISTS = (
    "conditions",
    "exposures",
    "findings",
    "labs",
    "antibodies",
    "genetics",
    "sites",
    "tissues",
    "patterns",
    "distributions",
    "modalities",
    "sexes",
)


@dataclass(frozen=True)
class Term:
    """One vocabulary term."""

    id: str
    en: str
    fr: str
    aliases: tuple[str, ...] = ()
    parent: str | None = None
    gender: str = "m"  # grammatical gender of the French label: "m" or "f"
    plural: bool = False  # the French label is plural ("Varices", "Papules de Gottron")

    def label(self, lang: str) -> str:
        """The label in ``lang``."""
        return self.fr if lang == "fr" else self.en


@dataclass(frozen=True)
class Vocabulary:
    """All vocabulary lists, with alias resolution per list."""

    format_version: int
    lists: Mapping[str, Mapping[str, Term]]
    _lookup: Mapping[str, Mapping[str, str]] = field(default_factory=dict, repr=False)
    # list -> normalised spelling -> (candidate terms, why, per language): asked, never assumed
    ambiguous: Mapping[str, Mapping[str, tuple[tuple[str, ...], Mapping[str, str]]]] = field(
        default_factory=dict, repr=False
    )

    @classmethod
    def from_data(cls, data: Mapping[str, object]) -> Vocabulary:
        """Build from the parsed ``vocabulary.yaml``; raises ValueError on a malformed entry."""
        lists: dict[str, dict[str, Term]] = {}
        lookup: dict[str, dict[str, str]] = {}
        for name in VOCABULARY_LISTS:
            raw = data.get(name)
            if not isinstance(raw, dict):
                raise ValueError(f"vocabulary list {name!r} is missing")
            terms: dict[str, Term] = {}
            table: dict[str, str] = {}
            for term_id, spec in raw.items():
                if not isinstance(spec, dict) or not {"en", "fr"} <= spec.keys():
                    raise ValueError(f"{name}.{term_id}: needs en and fr labels")
                unknown = set(spec) - {"en", "fr", "gender", "plural", "aliases", "parent"}
                if unknown:
                    raise ValueError(f"{name}.{term_id}: unknown keys {sorted(unknown)}")
                if spec.get("gender") not in GENDERS:
                    raise ValueError(
                        f"{name}.{term_id}: the French label {spec['fr']!r} needs its grammatical gender "
                        f"(gender: m or f), got {spec.get('gender')!r}"
                    )
                if not isinstance(spec.get("plural", False), bool):
                    raise ValueError(f"{name}.{term_id}: plural is true or false, got {spec['plural']!r}")
                term = Term(
                    id=str(term_id),
                    en=str(spec["en"]),
                    fr=str(spec["fr"]),
                    aliases=tuple(str(a) for a in spec.get("aliases", [])),
                    parent=spec.get("parent"),
                    gender=str(spec["gender"]),
                    plural=bool(spec.get("plural", False)),
                )
                terms[term.id] = term
                for spelling in (term.id, term.en, term.fr, *term.aliases):
                    table.setdefault(normalise_term(spelling), term.id)
            for term_id in terms:  # canonical ids always win over another term's alias
                table[term_id] = term_id
            lists[name] = terms
            lookup[name] = table
        for term in lists["sites"].values():
            if term.parent is not None and term.parent not in lists["sites"]:
                raise ValueError(f"sites.{term.id}: unknown parent {term.parent!r}")
        ambiguous: dict[str, dict[str, tuple[tuple[str, ...], Mapping[str, str]]]] = {}
        raw_amb = data.get("ambiguous") or {}
        if not isinstance(raw_amb, dict):
            raise ValueError("ambiguous: expected a mapping of vocabulary lists")
        for name, entries in raw_amb.items():
            if name not in lists or not isinstance(entries, dict):
                raise ValueError(f"ambiguous.{name}: not a vocabulary list")
            for spelling, spec in entries.items():
                candidates = tuple(str(c) for c in spec.get("candidates", []))
                missing = [c for c in candidates if c not in lists[name]]
                if not candidates or missing:
                    raise ValueError(f"ambiguous.{name}.{spelling}: unknown candidates {missing or '(none)'}")
                if normalise_term(spelling) in lookup[name]:
                    raise ValueError(f"ambiguous.{name}.{spelling}: is also a term or alias")
                ambiguous.setdefault(name, {})[normalise_term(spelling)] = (candidates, dict(spec.get("why", {})))
        return cls(
            format_version=int(str(data.get("format_version", 1))),
            lists=lists,
            _lookup=lookup,
            ambiguous=ambiguous,
        )

    def ambiguity(self, list_name: str, text: str) -> tuple[tuple[str, ...], Mapping[str, str]] | None:
        """The terms a word could mean and why it is not read as one of them, or None."""
        return self.ambiguous.get(list_name, {}).get(normalise_term(text))

    def resolve(self, list_name: str, text: str) -> str | None:
        """The canonical term for ``text`` in ``list_name`` (id, label or alias), or None."""
        return self._lookup[list_name].get(normalise_term(text))

    def suggest(self, list_name: str, text: str) -> list[str]:
        """Closest canonical terms, for error messages."""
        table = self._lookup[list_name]
        hits = closest(text, table.keys(), n=6)
        seen: list[str] = []
        for hit in hits:
            if table[hit] not in seen:
                seen.append(table[hit])
        return seen[:3]

    def label(self, list_name: str, term_id: str, lang: str = "en") -> str:
        """The label of a canonical term."""
        return self.lists[list_name][term_id].label(lang)

    def site_ancestors(self, site: str) -> tuple[str, ...]:
        """Sites above ``site`` in the tree, nearest first."""
        return self._ancestors[site]

    @property
    def _ancestors(self) -> Mapping[str, tuple[str, ...]]:
        cached = self.__dict__.get("_ancestor_cache")
        if cached is None:
            cached = {}
            for site in self.lists["sites"]:
                out: list[str] = []
                parent = self.lists["sites"][site].parent
                while parent is not None:
                    out.append(parent)
                    parent = self.lists["sites"][parent].parent
                cached[site] = tuple(out)
            object.__setattr__(self, "_ancestor_cache", cached)
        return cached

    def related_sites(self, site: str) -> frozenset[str]:
        """``site`` with every site above and below it in the tree."""
        cached: dict[str, frozenset[str]] | None = self.__dict__.get("_related_cache")
        if cached is None:
            cached = {}
            for s in self.lists["sites"]:
                below = {t for t in self.lists["sites"] if s in self._ancestors[t]}
                cached[s] = frozenset({s, *self._ancestors[s], *below})
            object.__setattr__(self, "_related_cache", cached)
        return cached[site]

    def site_root(self, site: str) -> str:
        """The top-level region of ``site``."""
        chain = [site, *self.site_ancestors(site)]
        return chain[-1]
