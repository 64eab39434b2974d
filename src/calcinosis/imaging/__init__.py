"""Measurement of calcified deposits on CT and radiographs (research and follow-up use).

Needs the ``imaging`` extra: ``pip install 'calcinosis[imaging]'``.
"""
