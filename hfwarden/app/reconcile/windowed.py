"""Handing many calls to a thread pool a window at a time (issue 19). A pass with 5,000 transitions
submitted them all at once: 5,000 waiting futures and work items, each future with its condition and
locks, ~6 MB alive at once on top of the calls themselves. The pool starts them in the same order."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future
from functools import partial
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def in_window(pool: Executor, work: Callable[[T], R], items: Sequence[T], window: int) -> list[R]:
    """`work(item)` on `pool` for every item, submitted in order, at most `window` of them submitted and
    not finished at once; their results in the items' order. An exception raised by `work` is raised here
    once every item has finished (the earliest item's), as `Future.result()` would raise it."""
    results: list[R | None] = [None] * len(items)
    failures: dict[int, BaseException] = {}
    slots = threading.Semaphore(window)

    def settle(index: int, future: Future[R]) -> None:
        try:
            results[index] = future.result()
        except BaseException as exc:  # handed to the caller's thread below
            failures[index] = exc
        finally:
            slots.release()

    for index, item in enumerate(items):
        slots.acquire()
        future = pool.submit(work, item)
        future.add_done_callback(partial(settle, index))
    for _ in range(window):  # every slot back: every item has finished
        slots.acquire()
    if failures:
        raise failures[min(failures)]
    return results  # type: ignore[return-value]  # every item settled without failure: no None is left
