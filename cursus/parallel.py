"""Work spread over the machine's cores: forked processes that inherit what they work on."""

from __future__ import annotations

import mmap
import multiprocessing
import os
import queue
import struct
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


class Cursor:
    """An index shared by this process and the processes it forks afterwards: each ``take`` returns
    the next one, never the same to two processes. Work taken this way goes to whoever is free."""

    def __init__(self):
        # Anonymous memory is shared with processes forked later (multiprocessing.Value would do the
        # same after importing ctypes, a twentieth of a build's start).
        self._next = mmap.mmap(-1, 8)
        self._lock = multiprocessing.get_context("fork").Lock()

    def take(self) -> int:
        with self._lock:
            (index,) = struct.unpack_from("q", self._next)
            struct.pack_into("q", self._next, 0, index + 1)
        return index


class Partner:
    """A forked process that shares one list of work with this one, then goes its own way.

    ``share(function, items, then)`` forks the partner; both processes compute ``function(item)``,
    each taking the next item whenever it is free, and each sends every result to the other as it is
    done, so that both end up holding every result in order. This process returns them; the partner
    goes on with ``then(results)``, whose outcome ``result`` waits for. Forked before the work, the
    partner starts small and takes over no memory pages of the work, as a process forked after it
    would. The results must be picklable; ``function`` and ``items`` need not be.
    """

    def __init__(self, name: str):
        self.name = name
        self.call: ForkedCall | None = None

    @property
    def started(self) -> bool:
        return self.call is not None

    def share(self, function: Callable[[T], R], items: Sequence[T], then: Callable[[list[R]], object]) -> list[R]:
        """Compute ``function`` over *items* with the partner; return every result, in order."""
        context = multiprocessing.get_context("fork")
        here, there = context.Pipe(duplex=True)
        cursor = Cursor()

        def partner():
            here.close()
            return then(_share_out(function, items, cursor, there))

        self.call = ForkedCall(partner, self.name)
        there.close()
        try:
            return _share_out(function, items, cursor, here)
        except (EOFError, OSError):  # the partner failed: it sent why through its result
            self.call.result()
            raise RuntimeError(f"the process {self.name} ended unexpectedly") from None
        finally:
            here.close()

    def result(self):
        """Wait for the partner; return what ``then`` returned, or raise what it raised."""
        return self.call.result()

    def stop(self) -> None:
        """End the partner if it still runs."""
        if self.call is not None:
            self.call.stop()


def _share_out(function: Callable[[T], R], items: Sequence[T], cursor: Cursor, connection) -> list[R]:
    """Compute ``function`` for the items this process takes from *cursor*, send each result through
    *connection* and receive the other process's; return all results in order.

    A thread sends, so that this one goes on computing while the other process is not reading; this
    one takes in what has arrived after every item, so that little is left to take in at the end."""
    results: dict[int, R] = {}
    outbox: queue.SimpleQueue = queue.SimpleQueue()
    sender = threading.Thread(target=_send_all, args=(outbox, connection), name="cursus-share", daemon=True)
    sender.start()
    done = False
    try:
        while (index := cursor.take()) < len(items):
            results[index] = function(items[index])
            outbox.put((index, results[index]))
            done = _take_in(connection, results, block=False) or done
        outbox.put(_END)
        while not done:
            done = _take_in(connection, results, block=True)
    finally:
        # After a failure the other process must not see an end mark: it sees this one go away.
        outbox.put(_QUIT)
        sender.join()
    return [results[index] for index in range(len(items))]


_END, _QUIT = object(), object()
"""What the sending thread is told after the results: send the end mark (None); stop sending."""


def _send_all(outbox: queue.SimpleQueue, connection) -> None:
    """Send every result put in *outbox* until told to stop; stop early if the other side is gone."""
    try:
        while (message := outbox.get()) is not _QUIT:
            connection.send(None if message is _END else message)
    except (OSError, ValueError):
        pass


def _take_in(connection, results: dict, block: bool) -> bool:
    """Take in the results that have arrived (waiting for one if *block*); tell whether the other
    process sent its end mark."""
    while block or connection.poll():
        message = connection.recv()
        if message is None:
            return True
        index, result = message
        results[index] = result
        block = False
    return False
