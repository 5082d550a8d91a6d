"""Progress bars for long work, shown on a terminal and silent in logs."""

from __future__ import annotations

from tqdm.auto import tqdm


def progress_bar(total: int, *, enabled: bool = True, **kwargs) -> tqdm:
    """A tqdm bar over ``total`` items.

    With ``enabled`` the bar still stays off when stderr is not a terminal (CI
    logs, redirected output), where redrawn bars would only add thousands of
    lines; ``enabled=False`` turns it off everywhere.
    """
    return tqdm(total=total, disable=None if enabled else True, mininterval=0.2, **kwargs)
