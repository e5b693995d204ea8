"""The shipped NIST content: provenance verified at load, baselines resolved, other OSCAL files loaded."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from missionos.compliance import catalog
from missionos.errors import InputError
from tests.datafiles import OSCAL

SHARED = OSCAL


@pytest.mark.parametrize(("name", "size"), [("low", 149), ("moderate", 287), ("high", 370)])
def test_baselines_resolve_to_their_published_sizes(name: str, size: int) -> None:
    assert len(catalog.baseline(name).controls) == size


def test_controls_carry_sp_800_53a_objectives() -> None:
    cm3 = catalog.baseline("moderate").catalog.get("cm-3")
    assert cm3.title == "Configuration Change Control"
    assert cm3.objectives[0].label == "CM-03a."


def test_altered_package_data_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "data"
    shutil.copytree(catalog.DATA, copy)
    profile = copy / "LOW-baseline-profile.min.json"
    profile.write_bytes(profile.read_bytes().replace(b'"ac-1"', b'"ac-2"', 1))
    monkeypatch.setattr(catalog, "DATA", copy)
    catalog.provenance.cache_clear()
    try:
        with pytest.raises(catalog.ProvenanceError, match="provenance records"):
            catalog.read_verified("LOW-baseline-profile.min.json")
    finally:
        catalog.provenance.cache_clear()


def test_provenance_matches_the_shared_copy() -> None:
    recorded = json.loads((catalog.DATA / "PROVENANCE.json").read_text())["sha256"]
    assert recorded["catalog.min.json"] == "ab27c47793831f01f9b66b33abf6c4e66c77059edb4f93336c1f1c77cca552dc"


def test_profile_file_resolves_against_a_catalog_beside_it(tmp_path: Path) -> None:
    shutil.copy(SHARED / "examples" / "basic-catalog.json", tmp_path / "basic-catalog.json")
    profile = {
        "profile": {
            "uuid": "8f2d5b1e-54a4-4b7a-9d35-3b1c44b1b4a1",
            "metadata": {
                "title": "Mine",
                "last-modified": "2026-01-01T00:00:00Z",
                "version": "1",
                "oscal-version": "1.2.1",
            },
            "imports": [
                {
                    "href": "basic-catalog.json",
                    "include-all": {},
                    "exclude-controls": [{"with-ids": ["s1.1.1"]}],
                }
            ],
        }
    }
    (tmp_path / "mine.json").write_text(json.dumps(profile))
    chosen = catalog.load_baseline(str(tmp_path / "mine.json"))
    full = catalog.load_catalog_file(tmp_path / "basic-catalog.json")
    assert len(chosen.controls) == len(full.controls) - 1
    assert "s1.1.1" not in chosen.catalog


def test_not_a_catalog_is_rejected(tmp_path: Path) -> None:
    bad = tmp_path / "x.json"
    bad.write_text('{"component-definition": {}}')
    with pytest.raises(InputError, match="expected an OSCAL catalog or profile"):
        catalog.load_baseline(str(bad))
