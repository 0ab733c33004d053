"""The whole catalog as one value, and the problems found when validating one.

:class:`Catalog` is what an import file holds and what an export writes: the
hall, departments, queues, windows and items (the protocol's own models).
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from hallcore.errors import HallError
from protocol.models.catalog import Department, Item, Queue, Window

#: The value of ``format:`` at the top of a catalog file.
FORMAT_VERSION = 1


class HallInfo(BaseModel):
    """The hall as the catalog names it (``hall:`` in the file)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    note: str = Field(default="", max_length=4000, description="free text, e.g. 'sample data'")


class Catalog(BaseModel):
    """A complete, validated catalog (in file order)."""

    model_config = ConfigDict(frozen=True)

    hall: HallInfo
    departments: tuple[Department, ...] = ()
    queues: tuple[Queue, ...] = ()
    windows: tuple[Window, ...] = ()
    items: tuple[Item, ...] = ()

    def department(self, dept_id: str) -> Department | None:
        return next((d for d in self.departments if d.id == dept_id), None)

    def item(self, item_id: str) -> Item | None:
        return next((i for i in self.items if i.id == item_id), None)


@dataclass(frozen=True)
class ImportProblem:
    """One thing wrong with an import: the file, where in it, the field, and what is wrong.

    *where* is a path like ``items[12].materials[2]`` (YAML) or ``row 14``
    (CSV); *field* the field name (``copies``), empty for the whole entry.
    """

    file: str
    where: str
    field: str
    message: str
    line: int | None = None

    @property
    def location(self) -> str:
        if self.where and self.field:
            return f"{self.where}.{self.field}" if not self.where.startswith("row") else f"{self.where}, {self.field}"
        return self.where or self.field

    def __str__(self) -> str:
        location = self.location
        if self.line and not location.startswith("line"):
            location = f"{location} (line {self.line})" if location else f"line {self.line}"
        return f"{self.file}: {location}: {self.message}" if location else f"{self.file}: {self.message}"

    def as_dict(self) -> dict:
        return {"file": self.file, "where": self.where, "field": self.field, "message": self.message,
                "line": self.line, "text": str(self)}


class CatalogError(HallError, ValueError):
    """A catalog change was refused; ``problems`` says why, one line each."""

    def __init__(self, problems: list[ImportProblem] | str):
        if isinstance(problems, str):
            problems = [ImportProblem("catalog", "", "", problems)]
        self.problems = list(problems)
        shown = "\n".join(str(p) for p in self.problems[:20])
        more = f"\n... and {len(self.problems) - 20} more" if len(self.problems) > 20 else ""
        super().__init__(f"{len(self.problems)} problem(s):\n{shown}{more}")


__all__ = ["FORMAT_VERSION", "HallInfo", "Catalog", "ImportProblem", "CatalogError"]
