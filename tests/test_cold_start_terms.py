"""Folding terms (vocabulary look-up, French elision) skips Unicode decomposition for ASCII text,
which the knowledge base does a thousand times per start (issue #17): the result must be the one
of the full decomposition for any text, ASCII or not."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from calcinosis.i18n import elides
from calcinosis.issues import normalise_term


def decomposed_normalise_term(text: str) -> str:
    """The former implementation: every text decomposed (NFKD), one replace per separator."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    for ch in " -'\u2019/.,()":
        stripped = stripped.replace(ch, "_")
    while "__" in stripped:
        stripped = stripped.replace("__", "_")
    return stripped.strip("_")


def decomposed_elides(word: str) -> bool:
    """The former implementation of :func:`calcinosis.i18n.elides`."""

    def folded(w: str) -> str:
        return "".join(c for c in unicodedata.normalize("NFKD", w.lower()) if not unicodedata.combining(c))

    text = folded(word.lstrip("«( "))
    if not text:
        return False
    if text.startswith("h"):
        return not any(text.startswith(folded(h)) for h in ("hanche", "haltère", "hernie", "haut", "hauteur"))
    return text[0] in "aeiouy"


WORDS = st.one_of(
    st.text(),
    st.text(alphabet=" -'\u2019/.,()_aAéÉhHœŒﬁ\u0301\u00a0\u202fİ"),
    st.sampled_from(["Sclérodermie  systémique", "Ehlers-Danlos", "(Hanche)", "« Haltère »", "ÉPAULE", "hôpital"]),
)


@given(WORDS)
def test_normalise_term_is_the_decomposed_folding(text: str) -> None:
    assert normalise_term(text) == decomposed_normalise_term(text)


@given(WORDS)
def test_elision_is_the_decomposed_one(word: str) -> None:
    assert elides(word) is decomposed_elides(word)


def test_folding_examples() -> None:
    assert normalise_term("Sclérodermie  systémique") == "sclerodermie_systemique"
    assert normalise_term(" Raynaud's (phenomenon) ") == "raynaud_s_phenomenon"
    assert elides("épaule") and elides("hôpital") and not elides("Hanche") and not elides("haltères")
