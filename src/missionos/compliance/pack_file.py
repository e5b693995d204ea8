"""A mapping pack file, whichever form it takes, and an organization's pack laid over the default.

A pack file is either a pack in Mission OS's own YAML (or JSON) syntax (`pack`) or an OSCAL component
definition whose rules name checks (`pack_oscal`); this module sits above both, so neither imports the other
back.
"""

from __future__ import annotations

from pathlib import Path

from missionos.compliance.pack import Pack, default_pack, load_document, overlay, parse_pack
from missionos.compliance.pack_oscal import pack_from_component_definition


def read_pack(path: Path) -> Pack:
    """A mapping pack from a YAML (or JSON) file, or from an OSCAL component definition whose rules name
    checks (see `pack_oscal`)."""
    doc = load_document(path)
    if isinstance(doc, dict) and "component-definition" in doc:
        return pack_from_component_definition(doc, source=str(path)).pack
    return parse_pack(doc, source=str(path))


def pack_for(extra: str | None) -> Pack:
    """The default pack, with the organization's pack file laid over it when one is named."""
    return overlay(default_pack(), read_pack(Path(extra))) if extra else default_pack()
