"""Hashing and bucketing, compatible with the GrowthBook SDK specification (metrics.md §3).

GrowthBook's FNV-1a hash (over UTF-16 code units, as JavaScript's `charCodeAt` gives them), its two hash
versions, the variations' bucket ranges and namespaces: what decides which slice of [0, 1) a user falls in.
`evaluation` uses these to assign users to experiments and rollouts; `compiled` works the ranges out ahead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "bucket_ranges",
    "choose_variation",
    "equal_weights",
    "fnv1a32",
    "gb_hash",
    "in_namespace",
]

_FNV_OFFSET = 0x811C9DC5
_FNV_PRIME = 0x01000193


def fnv1a32(text: str) -> int:
    """FNV-1a, 32 bits, over the UTF-16 code units of `text` (what JavaScript's `charCodeAt` gives)."""
    h = _FNV_OFFSET
    if text.isascii():
        for byte in text.encode("ascii"):
            h = ((h ^ byte) * _FNV_PRIME) & 0xFFFFFFFF
        return h
    raw = text.encode("utf-16-le", "surrogatepass")
    for i in range(0, len(raw), 2):
        h = ((h ^ (raw[i] | raw[i + 1] << 8)) * _FNV_PRIME) & 0xFFFFFFFF
    return h


def gb_hash(seed: str, value: str, version: int) -> float | None:
    """A number in [0, 1) for `value` under `seed`: hash version 1 or 2; None for an unknown version."""
    if version == 2:
        return (fnv1a32(str(fnv1a32(seed + value))) % 10000) / 10000
    if version == 1:
        return (fnv1a32(value + seed) % 1000) / 1000
    return None


def equal_weights(n: int) -> list[float]:
    """`n` equal weights summing to 1 (none for n <= 0)."""
    return [1.0 / n] * n if n > 0 else []


def bucket_ranges(
    num_variations: int, coverage: float | None = 1.0, weights: Sequence[float] | None = None
) -> list[tuple[float, float]]:
    """Each variation's [start, end) slice of [0, 1): weights laid end to end, each shrunk by coverage.

    Coverage is clamped to [0, 1]; weights that are missing, of the wrong length, or that do not sum to 1
    (within 0.01) are replaced by equal weights. Raising coverage only extends each slice, so users already in
    a variation stay in it as a rollout grows.
    """
    cov = 1.0 if coverage is None else min(max(float(coverage), 0.0), 1.0)
    ws: Sequence[float]
    if weights is None or len(weights) != num_variations or not 0.99 <= sum(weights) <= 1.01:
        ws = equal_weights(num_variations)
    else:
        ws = weights
    ranges = []
    cumulative = 0.0
    for w in ws:
        start = cumulative
        cumulative += w
        ranges.append((start, start + cov * w))
    return ranges


def in_range(n: float, rng: Sequence[float]) -> bool:
    return bool(rng[0] <= n < rng[1])


def choose_variation(n: float, ranges: Sequence[Sequence[float]]) -> int:
    """The index of the range that holds `n`, or -1 if none does."""
    for i, rng in enumerate(ranges):
        if rng[0] <= n < rng[1]:
            return i
    return -1


def in_namespace(user_id: str, namespace: Sequence[Any]) -> bool:
    """Whether the user falls in the namespace slice `[name, start, end)`."""
    n = gb_hash("__" + str(namespace[0]), user_id, 1)
    return n is not None and namespace[1] <= n < namespace[2]
