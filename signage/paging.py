"""Paging a long list (the rolling item list 事项一览表, the queue panel) at a readable pace.

Pure: each page stays for ``page_s`` seconds of monotonic time; when the list
grows or shrinks the current page is kept if it still exists.
"""

from __future__ import annotations

from typing import Sequence, TypeVar

T = TypeVar("T")


class Pager:
    def __init__(self, page_s: float, per_page: int):
        if per_page < 1:
            raise ValueError("per_page must be at least 1")
        self.page_s = page_s
        self.per_page = per_page
        self.index = 0
        self._since: float | None = None

    def pages(self, count: int) -> int:
        return max(1, -(-count // self.per_page))

    def tick(self, count: int, now: float) -> int:
        """The page to show now for a list of *count* rows."""
        pages = self.pages(count)
        if self._since is None:
            self._since = now
        if self.index >= pages:
            self.index, self._since = 0, now
        elif now - self._since >= self.page_s:
            steps = int((now - self._since) // self.page_s)
            self.index = (self.index + steps) % pages
            self._since += steps * self.page_s
        return self.index

    def slice(self, rows: Sequence[T], now: float) -> tuple[tuple[T, ...], int, int]:
        """(rows of the current page, page index, page count)."""
        index = self.tick(len(rows), now)
        start = index * self.per_page
        return tuple(rows[start:start + self.per_page]), index, self.pages(len(rows))
