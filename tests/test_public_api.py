"""The public surface: a small, sorted, complete __all__."""

import calcinosis


def test_all_is_sorted_and_complete() -> None:
    """__all__ is sorted, and every name in it resolves (lazily imported)."""
    assert calcinosis.__all__ == sorted(calcinosis.__all__)
    assert set(calcinosis.__all__) == {*calcinosis._LAZY, "__version__"}
    for name in calcinosis.__all__:
        assert getattr(calcinosis, name) is not None


def test_versions_are_exposed(kb: calcinosis.KnowledgeBase) -> None:
    """Code and knowledge versions are both available."""
    assert calcinosis.__version__
    assert kb.version.count(".") >= 1
