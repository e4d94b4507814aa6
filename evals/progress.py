"""Progress bars: tqdm on stderr, drawn only when stderr is a terminal (nothing on a pipe or in
a log), with a size even where the terminal reports none: a pseudo-terminal opened by a program
reports 0 columns and 0 lines, and tqdm then draws an empty bar, or hides it below line 0."""

from __future__ import annotations

import os
import sys

from tqdm import tqdm

DEFAULT_SIZE = (80, 24)


def terminal_size() -> tuple[int, int]:
    """(columns, lines) of the terminal on stderr, each DEFAULT_SIZE's when it reports none."""
    try:
        size = os.get_terminal_size(sys.stderr.fileno())
        return size.columns or DEFAULT_SIZE[0], size.lines or DEFAULT_SIZE[1]
    except (OSError, ValueError, AttributeError):
        return DEFAULT_SIZE


def progress_bar(iterable=None, *, show: bool = True, **options) -> tqdm:
    """A tqdm bar on stderr; ``show=False`` (``--quiet``) never draws one."""
    columns, lines = terminal_size()
    return tqdm(iterable, file=sys.stderr, disable=None if show else True, ncols=columns,
                nrows=lines, **options)
