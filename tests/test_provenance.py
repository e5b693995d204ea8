"""Every file under `tests/data/` is listed with its SHA-256 in a `PROVENANCE*.md` of its folder or above."""

import hashlib
import re
from pathlib import Path

import pytest

from tests.datafiles import DATA

NOTES = {"LICENSE", "NOTICE", "README.md"}
# a row names its file first, then its SHA-256 later on the same line
ROW = re.compile(r"^[^`\n]*`([^`\n]+)`[^\n]*`([0-9a-f]{64})`", re.MULTILINE)


def _listed() -> dict[Path, str]:
    """The SHA-256 each provenance file gives, keyed by the absolute path of the file it describes."""
    listed: dict[Path, str] = {}
    for provenance in DATA.rglob("PROVENANCE*.md"):
        for name, digest in ROW.findall(provenance.read_text(encoding="utf-8")):
            for base in (provenance.parent, DATA):  # a row's path is relative to its folder, or to tests/data
                candidate = (base / name).resolve()
                if candidate.is_file():
                    listed[candidate] = digest
                    break
    return listed


def _data_files() -> list[Path]:
    return sorted(
        p.resolve()
        for p in DATA.rglob("*")
        if p.is_file() and p.name not in NOTES and not p.name.startswith("PROVENANCE")
    )


def test_the_data_folder_is_not_empty() -> None:
    assert len(_data_files()) >= 20


@pytest.mark.parametrize("path", _data_files(), ids=lambda p: p.relative_to(DATA.resolve()).as_posix())
def test_each_data_file_is_listed_with_its_sha256(path: Path) -> None:
    listed = _listed()
    assert path in listed, f"{path.relative_to(DATA.resolve())} is listed in no PROVENANCE*.md"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == listed[path], (
        f"{path.name} changed since it was listed"
    )
