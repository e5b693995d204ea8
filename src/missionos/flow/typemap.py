"""Tracker issue types mapped to the four flow item types (feature, defect, risk, debt).

The defaults cover common Jira, GitHub and Azure Boards names (English and Chinese Jira locales). A YAML file
`{feature: [...], defect: [...], risk: [...], debt: [...]}` adds to or overrides them. A type no rule names
maps to `feature`, and the importer reports it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import yaml

from missionos import safeload
from missionos.errors import FieldError, InputError
from missionos.flow.records import WORK_TYPES

DEFAULTS: dict[str, tuple[str, ...]] = {
    "feature": (
        "feature", "story", "user story", "epic", "task", "sub-task", "subtask", "improvement",
        "new feature", "enhancement", "requirement", "product backlog item", "change",
        "故事", "任务", "子任务", "需求", "史诗", "改进",
    ),
    "defect": ("defect", "bug", "incident", "problem", "regression", "缺陷", "故障", "错误"),
    "risk": ("risk", "security", "vulnerability", "compliance", "audit", "风险", "安全"),
    "debt": (
        "debt", "tech debt", "technical debt", "refactor", "refactoring", "chore", "maintenance",
        "upgrade", "技术债",
    ),
}  # fmt: skip


class TypeMap:
    """Maps a tracker's type name (case-insensitive) to feature, defect, risk or debt."""

    def __init__(self, overrides: Mapping[str, object] | None = None, *, source: str | None = None) -> None:
        self.table: dict[str, str] = {}
        for flow_type, names in DEFAULTS.items():
            for name in names:
                self.table[name.casefold()] = flow_type
        for flow_type, listed in (overrides or {}).items():
            if flow_type not in WORK_TYPES:
                raise FieldError(str(flow_type), f"one of {', '.join(WORK_TYPES)}", source=source)
            if not isinstance(listed, list) or not all(isinstance(n, str) for n in listed):
                raise FieldError(str(flow_type), "a list of tracker type names", source=source)
            for name in listed:
                self.table[name.casefold()] = flow_type
        self.unmapped: set[str] = set()

    @classmethod
    def from_file(cls, path: Path) -> TypeMap:
        try:
            doc = safeload.load(path.read_text(encoding="utf-8"), source=str(path))
        except (OSError, yaml.YAMLError) as exc:
            raise InputError(f"cannot read type mapping: {exc}", source=str(path)) from None
        if doc is not None and not isinstance(doc, dict):
            raise InputError("expected a mapping of feature/defect/risk/debt to lists", source=str(path))
        return cls(doc, source=str(path))

    def __call__(self, tracker_type: str | None) -> str:
        name = (tracker_type or "").strip()
        found = self.table.get(name.casefold())
        if found is None:
            if name:
                self.unmapped.add(name)
            return "feature"
        return found

    def notes(self) -> tuple[str, ...]:
        if not self.unmapped:
            return ()
        return (f"types mapped to feature by default: {', '.join(sorted(self.unmapped))}",)
