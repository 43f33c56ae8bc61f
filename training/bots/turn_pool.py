"""The REST webhook's threads: they take a place in the process's turn gate before they take a
request, and keep it from one waiting request to the next.

With a thread pool whose threads each took a request and then waited for the gate, every thread
held a request while one computed and the gate went from thread to thread in no set order. Here
idle threads wait for a place holding no request (requests wait in order, in the pool's queue);
the thread in place runs the queued requests one after the other, and gives its place up only
when a turn outside the pool waits for one (the websocket channel, the HTTP API, or one of its
own turns back from its action server). A turn that waits on its action server's answer hands
its place to an idle thread, which takes the next request meanwhile (a connection made or refused
at once is not waited for: ``training.runtime.action_http``). Measured (servers of both versions up
at once, loaded in turn, 8 pairs): the back-to-back p99 lower in every pair (median 440 -> 350
ms), CPU per message unchanged. (One thread alone, no hand-offs at all, cost 6% less CPU, but a
turn waiting on a slow action server would hold up every conversation of its process.)

A new request wakes the thread that went idle last, not the one idle longest: the same one or
two threads, and their database connections, take request after request while the others
sleep (woken in turn, every thread and every PostgreSQL backend behind its connection went
cold between two requests of its own).
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any

from training.serving import TurnGate


class _Job:
    __slots__ = ("args", "fn", "future")

    def __init__(self, future: Future[Any], fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        self.future, self.fn, self.args = future, fn, args

    def run(self) -> None:
        if not self.future.set_running_or_notify_cancel():
            return
        try:
            result = self.fn(*self.args)
        except BaseException as error:  # handed to whoever waits on the future
            self.future.set_exception(error)
        else:
            self.future.set_result(result)


class TurnPool(Executor):
    """``threads`` threads taking requests through ``gate`` (an ``Executor``: ``submit``)."""

    def __init__(self, threads: int, gate: TurnGate, name: str = "parley-rest") -> None:
        self._gate = gate
        self._lock = threading.Lock()
        # the idle threads' wake-ups, the latest idle last: a new request wakes that one
        self._idle: list[threading.Condition] = []
        self._jobs: collections.deque[_Job] = collections.deque()
        self._chore: Callable[[], None] | None = None
        self._chore_round = 0
        self._chores_left = 0
        self._chores_done = threading.Condition(self._lock)
        self._stopping = False
        self.threads = [
            threading.Thread(target=self._work, name=f"{name}-{n}", daemon=True)
            for n in range(threads)
        ]
        for thread in self.threads:
            thread.start()

    @property
    def idle_threads(self) -> int:
        """Threads waiting for a request."""
        with self._lock:
            return len(self._idle)

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        if kwargs:
            raise TypeError("TurnPool.submit takes positional arguments only")
        future: Future[Any] = Future()
        with self._lock:
            if self._stopping:
                raise RuntimeError("the pool is shut down")
            self._jobs.append(_Job(future, fn, args))
            if self._idle:
                self._idle.pop().notify()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """The threads end once the queued requests have run."""
        with self._lock:
            self._stopping = True
            self._wake_all()
        if wait:
            for thread in self.threads:
                thread.join()

    def on_every_thread(self, chore: Callable[[], None], timeout: float = 30) -> None:
        """Run ``chore`` once on each thread, between requests, and wait until all have."""
        with self._lock:
            self._chore = chore
            self._chore_round += 1
            self._chores_left = len(self.threads)
            self._wake_all()
            if not self._chores_done.wait_for(lambda: self._chores_left == 0, timeout):
                raise TimeoutError(f"the pool's threads did not all run {chore!r}")

    def _next(self) -> _Job | None:
        with self._lock:
            return self._jobs.popleft() if self._jobs else None

    def _wake_all(self) -> None:
        while self._idle:
            self._idle.pop().notify()

    def _work(self) -> None:
        chores_seen = 0
        wake = threading.Condition(self._lock)
        while True:
            with self._lock:
                while not self._jobs and self._chore_round == chores_seen:
                    if self._stopping:
                        return
                    self._idle.append(wake)
                    wake.wait()
                    if wake in self._idle:  # woken by no one (spurious)
                        self._idle.remove(wake)
                chore = self._chore if self._chore_round != chores_seen else None
                chores_seen = self._chore_round
            if chore is not None:
                self._run_chore(chore)
                continue
            with self._gate.place():
                while (job := self._next()) is not None:
                    job.run()
                    if self._gate.turns_waiting():
                        break  # theirs first: this thread queues again behind them

    def _run_chore(self, chore: Callable[[], None]) -> None:
        try:
            chore()
        finally:
            with self._lock:
                self._chores_left -= 1
                if self._chores_left == 0:
                    self._chores_done.notify_all()
