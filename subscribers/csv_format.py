"""The CSV format of SPEC.md, shared by import and export.

UTF-8 (a BOM is accepted on import), comma-separated, a header row. `email` is
required; `name`, `timezone` (IANA name) and `hour` (0-23) are optional; any other
column is ignored (and reported once). Export writes these columns plus `status`,
which an import ignores: an export re-imports cleanly.
"""

from __future__ import annotations

from dataclasses import dataclass

from subscribers.errors import ImportFileError

EMAIL = "email"
NAME = "name"
TIMEZONE = "timezone"
HOUR = "hour"
STATUS = "status"

IMPORTED = (EMAIL, NAME, TIMEZONE, HOUR)
EXPORTED = (*IMPORTED, STATUS)


@dataclass(frozen=True)
class Header:
    """Where each known column sits in a file's rows, and what else the header had."""

    positions: dict[str, int]
    ignored: tuple[str, ...]
    width: int

    @classmethod
    def parse(cls, cells: list[str], where: str) -> Header:
        positions: dict[str, int] = {}
        ignored: list[str] = []
        for index, cell in enumerate(cells):
            name = cell.strip().casefold()
            if name not in IMPORTED:
                if name:
                    ignored.append(cell.strip())
                continue
            if name in positions:
                raise ImportFileError(f"{where}: the header has two {name!r} columns")
            positions[name] = index
        if EMAIL not in positions:
            found = ", ".join(repr(cell.strip()) for cell in cells) or "nothing"
            raise ImportFileError(f"{where}: the header has no 'email' column (found {found})")
        return cls(positions=positions, ignored=tuple(ignored), width=len(cells))

    def cell(self, row: list[str], column: str) -> str:
        index = self.positions.get(column)
        if index is None or index >= len(row):
            return ""
        return row[index].strip()
