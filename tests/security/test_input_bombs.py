"""Inputs built to exhaust the parser: YAML alias bombs (every YAML loader shares one bounded loader) and
JSON nested 200,000 deep (every endpoint answers 4xx, every importer exits 2)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from missionos import safeload
from missionos.errors import InputError, TooLargeError
from tests.conftest import Cli

LAUGHS = "\n".join(
    [
        'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]',
        *(f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]" for p, n in zip("abcdefg", "bcdefgh", strict=False)),
        "",
    ]
)  # 9**8 values in 480 bytes


def test_an_alias_bomb_is_refused_before_it_is_built() -> None:
    with pytest.raises(InputError, match="expands to more than") as caught:
        safeload.load(LAUGHS, source="bomb.yaml")
    assert caught.value.source == "bomb.yaml" and caught.value.line is not None


def test_too_many_aliases_and_self_reference_are_refused() -> None:
    many = "a: &a 1\nb: [" + ", ".join(["*a"] * 101) + "]\n"
    with pytest.raises(InputError, match="more than 100 aliases"):
        safeload.load(many, source="x")
    with pytest.raises(InputError, match="inside its own anchor"):
        safeload.load("a: &a [1, *a]\n", source="x")


def test_ordinary_yaml_with_aliases_loads() -> None:
    doc = safeload.load("base: &b {x: 1}\none: *b\ntwo: [*b, *b]\n", source="x")
    assert doc == {"base": {"x": 1}, "one": {"x": 1}, "two": [{"x": 1}, {"x": 1}]}


def test_yaml_over_the_size_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MISSIONOS_YAML_MAX_BYTES", "64")
    with pytest.raises(TooLargeError, match="over the limit of 64 bytes"):
        safeload.load("k: " + "v" * 100, source="x")


def _loaders() -> dict[str, Callable[[Path], Any]]:
    from missionos.cli.experiments import _load_document
    from missionos.compliance.evidence import parse_attestation
    from missionos.compliance.pack_file import read_pack
    from missionos.flow.service import read_stream_file
    from missionos.flow.typemap import TypeMap
    from missionos.friction.service import read_register_file
    from missionos.ingest.sync import read_config
    from missionos.maps.service import parse as parse_map
    from missionos.strategy.plan import parse_plan

    return {
        "strategy plan": lambda p: parse_plan(p.read_text(), source=str(p)),
        "compliance pack": read_pack,
        "attestation evidence": lambda p: parse_attestation(p.read_bytes(), str(p)),
        "friction register": read_register_file,
        "domain map": lambda p: parse_map("domain", p.read_text(), where=str(p)),
        "sources file": read_config,
        "stream file": read_stream_file,
        "type mapping": TypeMap.from_file,
        "experiment definition": _load_document,
    }


@pytest.mark.parametrize("loader", sorted(_loaders()))
def test_every_yaml_loader_refuses_the_bomb(tmp_path: Path, loader: str) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(LAUGHS)
    with pytest.raises(InputError, match="expands to more than") as caught:
        _loaders()[loader](path)
    assert str(path) in str(caught.value)


def test_the_strategy_check_endpoint_refuses_the_bomb(client: httpx.Client) -> None:
    response = client.post(
        "/api/v1/strategy/check", content=LAUGHS, headers={"content-type": "application/yaml"}
    )
    assert response.status_code == 422
    assert "expands to more than" in response.json()["detail"]


# ---- 11. deep JSON ----

DEEP = "[" * 200_000 + "]" * 200_000


def test_deep_json_is_refused_naming_the_line() -> None:
    with pytest.raises(InputError, match="nested deeper than 200") as caught:
        safeload.loads_json("{\n" + '"a":' + DEEP + "}", source="deep.json")
    assert caught.value.line == 2
    assert safeload.loads_json('{"a": "[[[[[[[[[["}', source="x") == {"a": "[[[[[[[[[["}


def _json_routes(client: httpx.Client) -> list[tuple[str, str]]:
    spec = client.get("/api/v1/openapi.json").json()
    out = []
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            body = op.get("requestBody", {}).get("content", {})
            if method in ("post", "put", "patch") and any("json" in t for t in body):
                out.append((method.upper(), path.replace("{", "").replace("}", "")))
    return out


def test_every_json_endpoint_answers_4xx_to_deep_json(client: httpx.Client) -> None:
    routes = _json_routes(client)
    assert len(routes) >= 10
    for method, path in routes:
        response = client.request(method, path, content=DEEP, headers={"content-type": "application/json"})
        assert 400 <= response.status_code < 500, (method, path, response.status_code)
    for path in ("/hooks/github", "/hooks/events", "/ofrep/v1/evaluate/flags"):
        response = client.post(path, content=DEEP, headers={"content-type": "application/json"})
        assert 400 <= response.status_code < 500, path


@pytest.mark.parametrize(
    ("args", "name"),
    [
        (("delivery", "import", "deployments"), "deep.jsonl"),
        (("delivery", "import", "incidents"), "deep.jsonl"),
        (("flow", "import", "jira"), "deep.json"),
        (("flow", "import", "github-issues"), "deep.json"),
        (("experiments", "import", "exposures"), "deep.jsonl"),
        (("compliance", "evidence", "add", "--kind", "sarif", "--subject", "intake-web"), "deep.json"),
    ],
)
def test_importers_exit_2_on_deep_json(cli: Cli, tmp_path: Path, args: tuple[str, ...], name: str) -> None:
    path = tmp_path / name
    path.write_text(DEEP + "\n")
    result = cli(*args, str(path))
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert "nested deeper than" in result.stderr
    assert "Traceback" not in result.stderr
    json.dumps(result.stderr)
