"""Vega-Lite chart specifications, and the Vega bundle that renders them in the page.

The bundle comes from `vl-convert-python` (no CDN); it is built once and cached on disk.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from missionos import config

_lock = threading.Lock()
_bundle: bytes | None = None


def vega_bundle() -> bytes:
    """The JavaScript that defines `vegaEmbed`, built by vl-convert on first use and cached on disk."""
    global _bundle
    with _lock:
        if _bundle is None:
            import vl_convert

            version = vl_convert.__version__ if hasattr(vl_convert, "__version__") else "vl"
            key = hashlib.sha256(f"{version}:{vl_convert.get_vega_version()}".encode()).hexdigest()[:16]
            cache = Path(config.home()) / "cache" / f"vega-{key}.js"
            if cache.exists():
                _bundle = cache.read_bytes()
            else:
                _bundle = vl_convert.javascript_bundle().encode()  # type: ignore[call-arg]
                cache.parent.mkdir(parents=True, exist_ok=True)
                tmp = cache.with_suffix(".tmp")
                tmp.write_bytes(_bundle)
                tmp.replace(cache)
        return _bundle


def bar_chart(
    rows: Sequence[dict[str, Any]],
    *,
    x: str,
    y: str,
    title: str,
    color: str | None = None,
    x_type: str = "nominal",
) -> dict[str, Any]:
    """A Vega-Lite bar chart of `rows`."""
    encoding: dict[str, Any] = {
        "x": {"field": x, "type": x_type, "sort": None},
        "y": {"field": y, "type": "quantitative"},
        "tooltip": [{"field": x}, {"field": y}],
    }
    if color:
        encoding["color"] = {"field": color, "type": "nominal"}
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "title": title,
        "width": "container",
        "height": 220,
        "data": {"values": list(rows)},
        "mark": {"type": "bar", "tooltip": True},
        "encoding": encoding,
    }


def line_chart(
    rows: Sequence[dict[str, Any]], *, x: str, y: str, title: str, color: str | None = None, height: int = 220
) -> dict[str, Any]:
    """A Vega-Lite line chart with points; `x` is temporal."""
    encoding: dict[str, Any] = {
        "x": {"field": x, "type": "temporal"},
        "y": {"field": y, "type": "quantitative"},
        "tooltip": [{"field": x, "type": "temporal"}, {"field": y}],
    }
    if color:
        encoding["color"] = {"field": color, "type": "nominal"}
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "title": title,
        "width": "container",
        "height": height,
        "data": {"values": list(rows)},
        "mark": {"type": "line", "point": True, "tooltip": True},
        "encoding": encoding,
    }
