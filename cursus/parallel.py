"""Work spread over the machine's cores: forked processes that inherit what they work on."""

from __future__ import annotations

import multiprocessing
import os
import threading
from typing import Callable, Sequence, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_TASK: tuple[Callable, Sequence] | None = None
"""The function and items of the ``fork_map`` at hand; forked workers inherit it instead of receiving it."""


def cores() -> int:
    """Return the number of cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def can_fork() -> bool:
    """Tell whether worker processes can be forked safely: on a platform with fork, from a process
    without other threads (``cursus serve`` has some, so it works in one process)."""
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def fork_map(function: Callable[[T], R], items: Sequence[T], jobs: int) -> list[R]:
    """Return ``[function(item) for item in items]``, computed by *jobs* forked processes when *jobs* > 1.

    The workers are forked after the call starts, so *function* and *items* need not be picklable;
    the results must be. Results come back in the order of *items*.
    """
    jobs = min(jobs, len(items))
    if jobs < 2 or not can_fork():
        return [function(item) for item in items]
    global _TASK
    _TASK = (function, items)
    try:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            # Small chunks: the last one decides how long one worker waits for the other.
            return pool.map(_run, range(len(items)), chunksize=max(1, len(items) // (jobs * 12)))
    finally:
        _TASK = None


def _run(index: int):
    function, items = _TASK
    return function(items[index])


class ForkedCall:
    """``function()`` running in a forked process while this one goes on; ``result`` waits for it.

    Its result, or the exception it raised, is pickled back; an exception that cannot be pickled
    comes back as a RuntimeError with the same text."""

    def __init__(self, function: Callable[[], R], name: str):
        self.name = name
        context = multiprocessing.get_context("fork")
        self.receive, send = context.Pipe(duplex=False)
        self.process = context.Process(target=self._work, args=(function, send), daemon=True)
        self.process.start()
        send.close()

    @staticmethod
    def _work(function: Callable[[], R], send) -> None:
        try:
            outcome = ("done", function())
        except BaseException as exc:  # sent to the parent, which raises it
            outcome = ("failed", exc)
        try:
            send.send(outcome)
        except Exception:  # something that cannot be pickled
            send.send(("failed", RuntimeError(f"{type(outcome[1]).__name__}: {outcome[1]}")))

    def result(self) -> R:
        """Wait for the process; return what the function returned, or raise what it raised."""
        try:
            kind, value = self.receive.recv()
        except EOFError:
            kind, value = "failed", RuntimeError(f"the process {self.name} ended unexpectedly")
        finally:
            self.process.join()
        if kind == "failed":
            raise value
        return value

    def stop(self) -> None:
        """End the process if it still runs."""
        if self.process.is_alive():
            self.process.terminate()
        self.process.join()
