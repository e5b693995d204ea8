"""Naming where a text file stops being UTF-8: its line, its field (CSV column or JSON key), the byte."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from missionos.errors import InputError


def not_utf8(path: Path, *, source: str | None = None, csv_file: bool | None = None) -> InputError:
    """The error for the first byte of `path` that is not UTF-8 (a Latin-1 or Windows-1252 export, say),
    naming its line and, in a CSV file, its column (else the JSON key before it)."""
    as_csv = path.suffix.lower() == ".csv" if csv_file is None else csv_file
    header: list[str] = []
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            try:
                text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                return _error(raw, exc, number, header, as_csv, source or str(path))
            if number == 1 and as_csv:
                header = next(csv.reader([text]), [])
    return InputError("expected UTF-8 text", source=source or str(path))


def _error(
    raw: bytes, exc: UnicodeDecodeError, line: int, header: list[str], as_csv: bool, source: str
) -> InputError:
    before = raw[: exc.start].decode("utf-8", errors="replace")
    field = ""
    if as_csv:
        column = len(next(csv.reader([before + "x"]), [""])) - 1
        if line > 1 and 0 <= column < len(header):
            field = f"{header[column].strip()}: "
    else:
        keys = re.findall(r'"([^"\\]+)"\s*:', before)
        field = f"{keys[-1]}: " if keys else ""
    return InputError(
        f"{field}expected UTF-8 text, found the byte 0x{raw[exc.start]:02x} (save the file as UTF-8; it "
        "looks like Latin-1 or Windows-1252)",
        source=source,
        line=line,
    )
