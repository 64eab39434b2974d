"""The progress bar of a batch run: cases done, rate and time left, on stderr.

Rich draws it only on a terminal; in a pipe, a log file or a test it stays silent, so that
the output of a scheduled job holds the counts and not hundreds of redrawn lines.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from calcinosis.batch._text import say

__all__ = ["batch_progress"]


class _Rate(ProgressColumn):
    """Cases per second, in the run's language."""

    def __init__(self, lang: str) -> None:
        super().__init__()
        self.lang = lang

    def render(self, task: Task) -> Text:
        """The current rate, or nothing before the first chunk."""
        speed = task.finished_speed or task.speed
        if not speed:
            return Text("")
        shown = f"{speed:,.0f}".replace(",", "\u202f") if self.lang == "fr" else f"{speed:,.0f}"
        return Text(say("rate", self.lang, rate=shown))


@contextlib.contextmanager
def batch_progress(total: int, lang: str, enabled: bool = True) -> Iterator[Callable[[int], None]]:
    """A function that advances the bar by a number of rows (a no-op when the bar is off)."""
    console = Console(stderr=True)
    if not enabled or not console.is_terminal:
        yield lambda n: None
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        _Rate(lang),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task(say("progress", lang), total=total)
        yield lambda n: progress.advance(task, n)
