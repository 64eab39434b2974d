"""The public surface: a small, sorted, complete __all__."""

import types

import calcinosis


def test_all_is_sorted_and_complete() -> None:
    """__all__ is sorted and names every public non-module attribute."""
    assert calcinosis.__all__ == sorted(calcinosis.__all__)
    public = {
        name
        for name, value in vars(calcinosis).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert public == set(calcinosis.__all__) - {"__version__"}


def test_versions_are_exposed(kb: calcinosis.KnowledgeBase) -> None:
    """Code and knowledge versions are both available."""
    assert calcinosis.__version__
    assert kb.version.count(".") >= 1
