"""A least-recently-used map bounded by the total size of its values, shared by a process's
threads: what the serving path keeps between messages (a conversation's known events, its
tracker fold, its story log, events' JSON) is kept in one of these (pure: no Django)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class SizedLru(Generic[V]):
    """At most ``capacity`` in all of the sizes given with the values; the least recently used
    are forgotten first, and a value larger than the capacity is not kept."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            self._entries.move_to_end(key)
            return entry[0]

    def pop(self, key: Hashable) -> V | None:
        """The value, no longer kept (for one user at a time)."""
        with self._lock:
            entry = self._entries.pop(key, None)
            if entry is None:
                return None
            self._size -= entry[1]
            return entry[0]

    def put(self, key: Hashable, value: V, size: int = 1) -> None:
        with self._lock:
            previous = self._entries.pop(key, None)
            if previous is not None:
                self._size -= previous[1]
            if size > self.capacity:
                return
            self._entries[key] = (value, size)
            self._size += size
            while self._size > self.capacity:
                _, (_, forgotten) = self._entries.popitem(last=False)
                self._size -= forgotten

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._size = 0

    def __len__(self) -> int:
        return len(self._entries)
