"""Output for people first: aligned columns, colour only on a terminal, progress on long work;
`--json` for scripts (one JSON document, or one JSON object a line for streams)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

_COLOURS = {"red": "31", "green": "32", "yellow": "33", "blue": "34", "grey": "90", "bold": "1"}


@dataclass
class Output:
    stream: IO[str] = field(default_factory=lambda: sys.stdout)
    as_json: bool = False
    colour: bool | None = None

    def __post_init__(self) -> None:
        if self.colour is None:
            # https://no-color.org: NO_COLOR set to anything turns colour off.
            self.colour = self.stream.isatty() and "NO_COLOR" not in os.environ and not self.as_json

    def paint(self, text: str, colour: str) -> str:
        return f"\x1b[{_COLOURS[colour]}m{text}\x1b[0m" if self.colour else text

    def line(self, text: str = "") -> None:
        print(text, file=self.stream, flush=True)

    def heading(self, text: str) -> None:
        self.line(self.paint(text, "bold"))

    def json(self, document: Any) -> None:
        print(json.dumps(document, default=str, sort_keys=False), file=self.stream, flush=True)

    def table(self, headers: Sequence[str], rows: Iterable[Sequence[Any]], colours: Sequence[str | None] = ()) -> None:
        """Columns as wide as their widest cell; `colours[i]` paints row i (colour after alignment)."""
        cells = [[_cell(value) for value in row] for row in rows]
        widths = [max([len(header), *(len(row[i]) for row in cells)]) for i, header in enumerate(headers)]
        self.line(self.paint(_joined(headers, widths), "grey"))
        for index, row in enumerate(cells):
            text = _joined(row, widths)
            colour = colours[index] if index < len(colours) else None
            self.line(self.paint(text, colour) if colour else text)


class Progress:
    """ "n of N" on one rewritten line of stderr, only when stderr is a terminal."""

    def __init__(self, what: str, total: int | None = None, stream: IO[str] | None = None) -> None:
        self._what, self._total, self._done = what, total, 0
        self._stream = stream or sys.stderr
        self._shown = self._stream.isatty()

    def step(self, count: int = 1) -> None:
        self._done += count
        if self._shown:
            total = f" of {self._total}" if self._total is not None else ""
            self._stream.write(f"\r{self._what}: {self._done}{total}")
            self._stream.flush()

    def close(self) -> None:
        if self._shown and self._done:
            self._stream.write("\n")
            self._stream.flush()


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _joined(cells: Sequence[str], widths: Sequence[int]) -> str:
    return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()


def age(seconds: float | None) -> str | None:
    """A duration as a person reads it: 42s, 7m03s, 2h05m, 3d04h."""
    if seconds is None:
        return None
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    if seconds < 86400:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 86400}d{seconds % 86400 // 3600:02d}h"
