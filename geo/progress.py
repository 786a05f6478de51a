"""Progress bars for long steps (tqdm on stderr; silent unless enabled)."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

from tqdm import tqdm

T = TypeVar("T")


class Steps:
    """A bar over named steps: ``steps.step("areas")`` advances and labels it."""

    def __init__(self, total: int, *, desc: str, enabled: bool = False) -> None:
        self._bar = tqdm(total=total, desc=desc, disable=not enabled, file=sys.stderr, leave=False)
        self._started = False

    def step(self, label: str) -> None:
        if self._started:
            self._bar.update(1)
        self._started = True
        self._bar.set_postfix_str(label, refresh=True)

    def close(self) -> None:
        if self._started:
            self._bar.update(1)
        self._bar.close()


def track(
    items: Iterable[T], *, desc: str, total: int | None = None, enabled: bool = False
) -> Iterator[T]:
    """Iterate with a progress bar when ``enabled``."""
    yield from tqdm(
        items, desc=desc, total=total, disable=not enabled, file=sys.stderr, leave=False
    )
