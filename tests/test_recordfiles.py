"""The one reader of record files (CSV with a header, JSON Lines) that every importer uses."""

from __future__ import annotations

from pathlib import Path

import pytest

from missionos import recordfiles
from missionos.errors import FieldError, InputError


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_csv_rows_come_with_the_line_they_end_on_and_a_byte_order_mark_is_skipped(tmp_path: Path) -> None:
    path = _write(tmp_path, "d.csv", b'\xef\xbb\xbfid,note\n1,plain\n2,"two\nlines"\n3,last\n')
    assert list(recordfiles.iter_records(path)) == [
        (2, {"id": "1", "note": "plain"}),
        (4, {"id": "2", "note": "two\nlines"}),
        (5, {"id": "3", "note": "last"}),
    ]


def test_a_csv_row_with_more_values_than_the_header_is_refused_naming_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "d.csv", b"id,note\n1,a\n2,b,extra\n")
    with pytest.raises(InputError, match="more values than the header has columns") as caught:
        list(recordfiles.iter_records(path))
    assert caught.value.line == 3 and caught.value.source == str(path)


def test_a_csv_header_must_hold_the_required_columns(tmp_path: Path) -> None:
    path = _write(tmp_path, "d.csv", b"id,title\n1,a\n")
    with pytest.raises(InputError, match=r"header lacks column\(s\) created_at") as caught:
        list(recordfiles.iter_records(path, required=("id", "created_at")))
    assert caught.value.line == 1


def test_a_byte_that_is_not_utf8_names_its_line_and_column(tmp_path: Path) -> None:
    path = _write(tmp_path, "d.csv", b"id,title\n1,ok\n2,caf\xe9\n")
    with pytest.raises(InputError, match=r"title: expected UTF-8 text, found the byte 0xe9") as caught:
        list(recordfiles.iter_records(path))
    assert caught.value.line == 3


def test_json_lines_skip_blank_lines_and_need_one_object_per_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "e.jsonl", b'{"a": 1}\n\n  \n{"a": "x\\u2028y"}\r\n')
    assert list(recordfiles.iter_records(path)) == [(1, {"a": 1}), (4, {"a": "x\u2028y"})]
    bad = _write(tmp_path, "bad.jsonl", b'{"a": 1}\n[1, 2]\n')
    with pytest.raises(InputError, match="expected a JSON object") as caught:
        list(recordfiles.iter_records(bad))
    assert caught.value.line == 2


def test_text_is_read_by_the_same_rules_as_a_file(tmp_path: Path) -> None:
    # A raw U+2028 inside a JSON string is not a line break in a file, and not in text either.
    body = '\ufeff{"id": "1", "note": "a\u2028b"}\n{"id": "2"}\n'
    path = _write(tmp_path, "e.jsonl", body.encode())
    from_file = list(recordfiles.iter_records(path))
    assert recordfiles.records_of_text(body, source="e.jsonl") == from_file
    assert [line for line, _ in from_file] == [1, 2]
    csv_body = "id,note\n1,a\n"
    from_text = recordfiles.records_of_text(csv_body, source="upload", fmt="csv")
    assert from_text == [(2, {"id": "1", "note": "a"})]


def test_missing_files_folders_and_unknown_formats_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        list(recordfiles.iter_records(tmp_path / "absent.csv"))
    with pytest.raises(InputError, match="expected a file, not a directory"):
        list(recordfiles.iter_records(tmp_path))
    with pytest.raises(FieldError) as caught:
        list(recordfiles.iter_records(tmp_path / "x.csv", fmt="xml", option="--input-format"))
    assert caught.value.field == "--input-format"


def test_a_line_that_is_not_valid_csv_names_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "d.csv", b"id,note\n1,a\n2," + b"x" * 200_000 + b"\n")  # past csv's field limit
    with pytest.raises(InputError, match="not valid CSV: field larger than field limit") as caught:
        list(recordfiles.iter_records(path))
    assert caught.value.line == 3
