"""The OSCAL package `assess --oscal-out` writes stands alone: its imports and evidence links resolve to the
files written beside it, every uuid reference and control id resolves, and compliance-trestle imports and
validates every document."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from missionos.compliance import oscal, service
from missionos.store import Database
from tests.compliance import samples
from tests.compliance.test_oscal import problems
from tests.conftest import Cli

DOCUMENTS = {
    "ssp.json": "ssp",
    "assessment-plan.json": "assessment-plan",
    "assessment-results.json": "assessment-results",
    "poam.json": "poam",
}


def _write(tmp_path: Path, name: str, raw: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(raw)
    return str(path)


def make_package(cli: Cli, tmp_path: Path, *, authorized: bool = True) -> Path:
    """A system with evidence of every kind, assessed with `--oscal-out`."""
    extra = ["--provider-authorization", "Agency ATO of factory-pipeline", "--authorized-on", "2026-01-15"]
    out = cli(
        "compliance", "system", "add", "portal", "--service", "web", "--provider", "factory-pipeline",
        *(extra if authorized else []),
    )  # fmt: skip
    assert out.exit_code == 0, out.stderr
    for name, kind, raw in (
        ("junit.xml", "junit", samples.junit()),
        ("scan.sarif", "sarif", samples.sarif([("r1", 8.0, samples.NOW)])),
        ("bom.json", "cyclonedx", samples.cyclonedx()),
        ("prov.json", "slsa-provenance", samples.provenance()),
    ):
        added = cli(
            "compliance", "evidence", "add", _write(tmp_path, name, raw), "--kind", kind, "--subject", "web"
        )
        assert added.exit_code == 0, added.stderr
    attested = cli(
        "compliance",
        "attest",
        "--system",
        "portal",
        "--control",
        "ps-3",
        "--by",
        "Ann",
        "--statement",
        "Done.",
    )
    assert attested.exit_code == 0, attested.stderr
    target = tmp_path / "package"
    done = cli("compliance", "assess", "--system", "portal", "--oscal-out", str(target))
    assert done.exit_code == 0, done.stderr
    return target


def load(path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(path.read_text())
    return doc


def body(path: Path) -> dict[str, Any]:
    ((_model, found),) = load(path).items()
    assert isinstance(found, dict)
    return found


def walk(node: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def catalog_index(path: Path) -> tuple[set[str], dict[str, set[str]]]:
    """Every control id of an OSCAL catalog, and each control's parameter ids."""
    controls: set[str] = set()
    params: dict[str, set[str]] = {}

    def visit(items: list[dict[str, Any]], *, are_controls: bool) -> None:
        for item in items:
            if are_controls:
                controls.add(item["id"])
                params[item["id"]] = {p["id"] for p in item.get("params", [])}
            visit(item.get("controls", []), are_controls=True)
            visit(item.get("groups", []), are_controls=False)

    visit(load(path)["catalog"].get("groups", []), are_controls=False)
    return controls, params


def test_every_import_and_evidence_link_resolves_beside_the_documents(cli: Cli, tmp_path: Path) -> None:
    out = make_package(cli, tmp_path)
    assert body(out / "ssp.json")["import-profile"]["href"] == "profile.json"
    assert body(out / "profile.json")["imports"][0]["href"] == "catalog.json"
    assert body(out / "assessment-plan.json")["import-ssp"]["href"] == "ssp.json"
    assert body(out / "assessment-results.json")["import-ap"]["href"] == "assessment-plan.json"
    assert body(out / "poam.json")["import-ssp"]["href"] == "ssp.json"
    for name in ("ssp.json", "assessment-plan.json", "assessment-results.json", "poam.json", "profile.json"):
        for key, value in walk(body(out / name)):
            if key == "import-profile" or key.startswith("import-"):
                assert (out / value["href"]).is_file(), f"{name}: {key} {value['href']} is not beside it"
    links = [
        (link["href"], link["hashes"][0]["value"])
        for res in body(out / "assessment-results.json")["back-matter"]["resources"]
        for link in res.get("rlinks", [])
    ]
    assert len(links) >= 4  # junit, sarif, cyclonedx, provenance (and the attestation)
    for href, sha in links:
        assert href == f"evidence/{sha[:2]}/{sha}"  # the path the evidence store uses
        assert hashlib.sha256((out / href).read_bytes()).hexdigest() == sha


def test_every_reference_resolves_and_every_control_is_in_the_catalog(cli: Cli, tmp_path: Path) -> None:
    out = make_package(cli, tmp_path)
    controls, params = catalog_index(out / "catalog.json")
    assert "cm-3" in controls and "ra-05_odp.02" in params["ra-5"]
    for name, model in DOCUMENTS.items():
        doc = load(out / name)
        assert problems(model, doc) == [], name  # schema-valid, and every uuid reference resolves
        ids = {v for k, v in walk(doc) if k == "control-id"}
        ids |= {v.removesuffix("_obj") for k, v in walk(doc) if k == "target-id"}
        assert ids or model == "poam", name
        assert ids <= controls, f"{name}: not in the catalog: {sorted(ids - controls)}"
    for req in body(out / "ssp.json")["control-implementation"]["implemented-requirements"]:
        for setting in req.get("set-parameters", []):
            assert setting["param-id"] in params[req["control-id"]], (req["control-id"], setting)
    profile_ids = set(body(out / "profile.json")["imports"][0]["include-controls"][0]["with-ids"])
    assert profile_ids <= controls


def test_the_ssp_carries_the_packs_parameter_values(cli: Cli, tmp_path: Path) -> None:
    out = make_package(cli, tmp_path)
    reqs = {
        r["control-id"]: r
        for r in body(out / "ssp.json")["control-implementation"]["implemented-requirements"]
    }
    ra5 = {p["param-id"]: p["values"] for p in reqs["ra-5"]["set-parameters"]}
    assert ra5["ra-05_odp.02"] == ["on every build, and at least weekly for every deployed service"]
    assert "high 30 days" in ra5["ra-05_odp.03"][0]  # the pack's remediation limits
    assert "set-parameters" not in reqs["ps-3"]  # the pack sets nothing for PS-3


def test_inherited_controls_name_the_leveraged_authorization(cli: Cli, tmp_path: Path) -> None:
    out = make_package(cli, tmp_path)
    ssp = body(out / "ssp.json")
    (lev,) = ssp["system-implementation"]["leveraged-authorizations"]
    assert lev["title"] == "Agency ATO of factory-pipeline" and lev["date-authorized"] == "2026-01-15"
    provider = next(c for c in ssp["system-implementation"]["components"] if c["title"] == "factory-pipeline")
    assert {"name": "leveraged-authorization-uuid", "value": lev["uuid"]} in provider["props"]
    sc7 = next(
        r for r in ssp["control-implementation"]["implemented-requirements"] if r["control-id"] == "sc-7"
    )
    assert sc7["by-components"][0]["component-uuid"] == provider["uuid"]
    assert sc7["by-components"][0]["implementation-status"]["state"] == "implemented"
    finding = next(
        f
        for f in body(out / "assessment-results.json")["results"][0]["findings"]
        if f["target"]["target-id"] == "sc-7_obj"
    )
    assert finding["target"]["status"]["state"] == "satisfied"


def test_without_a_leveraged_authorization_inherited_controls_are_not_satisfied(
    cli: Cli, tmp_path: Path
) -> None:
    out = make_package(cli, tmp_path, authorized=False)
    ssp = body(out / "ssp.json")
    assert "leveraged-authorizations" not in ssp["system-implementation"]
    sc7 = next(
        r for r in ssp["control-implementation"]["implemented-requirements"] if r["control-id"] == "sc-7"
    )
    assert sc7["by-components"][0]["implementation-status"]["state"] == "planned"
    assert "No leveraged authorization" in sc7["by-components"][0]["description"]
    finding = next(
        f
        for f in body(out / "assessment-results.json")["results"][0]["findings"]
        if f["target"]["target-id"] == "sc-7_obj"
    )
    assert finding["target"]["status"]["state"] == "not-satisfied"
    status = next(p["value"] for p in finding["props"] if p["name"] == "assessment-status")
    assert status == "needs-attestation"


def test_a_provider_authorization_without_its_date_is_refused(cli: Cli) -> None:
    out = cli(
        "compliance", "system", "add", "portal", "--service", "web", "--provider", "factory-pipeline",
        "--provider-authorization", "Agency ATO",
    )  # fmt: skip
    assert out.exit_code == 2 and "--authorized-on" in out.stderr and "Traceback" not in out.stderr


def trestle(*args: str, cwd: Path, root: Path) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).parent / "trestle"
    return subprocess.run(
        [str(exe), *args, "--trestle-root", str(root)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_compliance_trestle_imports_and_validates_the_package(cli: Cli, db: Database, tmp_path: Path) -> None:
    if db.url.startswith("postgresql"):
        pytest.skip("the package is the same on both backends; trestle runs once")
    out = make_package(cli, tmp_path)
    root = tmp_path / "trestle"
    root.mkdir()
    init = trestle("init", cwd=root, root=root)
    assert init.returncode == 0, init.stdout + init.stderr
    for name in DOCUMENTS:
        # relative imports resolve against the working directory: the package's own folder
        done = trestle("import", "-f", str(out / name), "-o", name.removesuffix(".json"), cwd=out, root=root)
        assert done.returncode == 0, f"{name}: {done.stdout}{done.stderr}"
    valid = trestle("validate", "-a", cwd=out, root=root)
    assert valid.returncode == 0, valid.stdout + valid.stderr
    assert valid.stdout.count("VALID:") + valid.stderr.count("VALID:") >= len(DOCUMENTS)


def test_the_package_files_are_named_by_one_list() -> None:
    assert set(DOCUMENTS) <= set(oscal.PACKAGE)


def test_the_web_serves_the_package_as_one_zip_and_file_by_file(client: httpx.Client, db: Database) -> None:
    with db.session() as session:
        service.define_system(session, "portal", services=["web"], actor="test")
        service.add_evidence(session, samples.junit(), kind="junit", subject="web", source="r.xml")
        service.assess_system(session, "portal", now=samples.NOW)
    got = client.get("/compliance/portal/oscal/package.zip")
    assert got.status_code == 200 and got.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(got.content)) as archive:
        names = set(archive.namelist())
        assert {f"portal-oscal/{n}" for n in oscal.PACKAGE} <= names
        (evidence,) = [n for n in names if "/evidence/" in n]
        assert archive.read(evidence) == samples.junit()
    one = client.get("/compliance/portal/oscal/" + evidence.removeprefix("portal-oscal/"))
    assert one.status_code == 200 and one.content == samples.junit()
    ar = client.get("/compliance/portal/oscal/assessment-results.json")
    assert ar.json()["assessment-results"]["import-ap"]["href"] == "assessment-plan.json"
    assert client.get("/compliance/portal/oscal/nothing.json").status_code == 404
    page = client.get("/compliance/portal").text
    assert "No supply-chain trust policy is set, so no provenance counts." in page


def test_ssp_out_writes_the_profile_and_catalog_it_imports_beside_it(cli: Cli, tmp_path: Path) -> None:
    assert cli("compliance", "system", "add", "portal", "--service", "web").exit_code == 0
    target = tmp_path / "plans" / "portal-ssp.json"
    out = cli("compliance", "ssp", "--system", "portal", "--out", str(target))
    assert out.exit_code == 0, out.stderr
    href = body(target)["import-profile"]["href"]
    assert (target.parent / href).is_file()
    assert (target.parent / body(target.parent / href)["imports"][0]["href"]).is_file()
