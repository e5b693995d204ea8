"""Record files: CSV with a header row, or JSON Lines, read one record at a time with its line number.

Every importer of records (deployments and incidents, work items and transitions, experiment events, DevLake
tables) reads its files through `iter_records`, so they share one set of rules:

- the format is named (`csv` or `jsonl`) or told by the file name (`.csv`, else JSON Lines);
- the file is read as UTF-8 (a byte-order mark is skipped); a byte that is not UTF-8 is an error naming its
  line and, in a CSV file, its column;
- a CSV file must have the `required` columns in its header; a row with more values than the header has
  columns, or a line that is not valid CSV, is an error naming the line;
- each non-blank line of a JSON Lines file must hold one JSON object (bounded in depth by `safeload`);
- the file is never held whole, so its size does not bound what can be read.

Each record comes with the line it ends on. Errors are `InputError`s naming the file and line.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from missionos import safeload
from missionos.encoding import not_utf8
from missionos.errors import FieldError, InputError

FORMATS = ("csv", "jsonl")
Record = tuple[int, dict[str, Any]]


def format_of(source: str, fmt: str | None = None, *, option: str = "--format") -> str:
    """`fmt` when given (checked), else `csv` for a `.csv` file name and `jsonl` for any other."""
    if fmt is not None:
        if fmt not in FORMATS:
            raise FieldError(option, "jsonl or csv")
        return fmt
    return "csv" if source.lower().endswith(".csv") else "jsonl"


def iter_records(
    path: Path,
    *,
    source: str | None = None,
    fmt: str | None = None,
    required: Sequence[str] = (),
    option: str = "--format",
) -> Iterator[Record]:
    """The records of the file at `path`, each with its line number (see the module's rules)."""
    name = source or str(path)
    kind = format_of(str(path) if source is None else source, fmt, option=option)
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except FileNotFoundError:
        raise InputError("no such file", source=name) from None
    except IsADirectoryError:
        raise InputError("expected a file, not a directory", source=name) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", source=name) from None
    with handle:
        try:
            yield from _csv(handle, name, required) if kind == "csv" else _jsonl(handle, name)
        except UnicodeDecodeError:
            raise not_utf8(path, source=name, csv_file=kind == "csv") from None


def records_of_text(
    text: str, *, source: str, fmt: str | None = None, required: Sequence[str] = (), option: str = "--format"
) -> list[Record]:
    """The records of a file already read as text (a request body, say), by the same rules."""
    kind = format_of(source, fmt, option=option)
    # lines end only at \r, \n or \r\n, as in a file (not at the other breaks str.splitlines knows)
    lines = io.StringIO(text.removeprefix("\ufeff"), newline="")
    return list(_csv(lines, source, required) if kind == "csv" else _jsonl(lines, source))


def _csv(lines: Iterable[str], source: str, required: Sequence[str]) -> Iterator[Record]:
    read = 0  # lines taken from the file: the line a parsing error is on

    def counted() -> Iterator[str]:
        nonlocal read
        for line in lines:
            read += 1
            yield line

    reader = csv.DictReader(counted())
    try:
        header = reader.fieldnames or []
        missing = [c for c in required if c not in header]
        if missing:
            raise InputError(
                f"header lacks column(s) {', '.join(missing)}; expected {','.join(required)}",
                source=source,
                line=1,
            )
        for row in reader:
            if None in row:
                raise InputError(
                    f"more values than the header has columns ({len(header)})",
                    source=source,
                    line=reader.line_num,
                )
            yield reader.line_num, row
    except csv.Error as exc:
        raise InputError(f"not valid CSV: {exc}", source=source, line=read) from None


def _jsonl(lines: Iterable[str], source: str) -> Iterator[Record]:
    for number, line in enumerate(lines, start=1):
        if line.strip():
            yield number, safeload.json_object_line(line, source=source, line=number)
