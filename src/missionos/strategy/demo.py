"""The `strategy` context's part of the demo organization (DEMO.md)."""

from __future__ import annotations

from missionos.demo.org import DemoOrg


def load(org: DemoOrg) -> None:
    """Add this context's demo records to `org.db`; idempotent for a given seed."""
    del org
