"""Wardley maps in the OWM text syntax, read into plain records.

The syntax is the one OnlineWardleyMaps popularised: one statement a line, `//` comments, coordinates as
`[visibility, evolution]` between 0 and 1. Read here: `title`, `anchor`, `component` (with `(build)`, `(buy)`,
`(outsource)`, `inertia` and `label [x, y]`), links `A->B` (with `; annotation`) and flows `A+>B`, `A+<B`,
`A+<>B`, `evolve`, `pipeline` (both the `[start, end]` form and the `{ component X [evolution] }` block),
`annotation`, `annotations`, `note`, `evolution` (the axis labels) and `style`. Statements of the syntax
that are not drawn here (`submap`, `market`, `ecosystem`, `url`, `accelerator`, `deaccelerator`, `size`,
`x-axis`, `y-axis`) are kept as notices, never silently. One extension names what a component is for in
Mission OS:
`link COMPONENT -> strategy:PLAN/ID` or `link COMPONENT -> service:NAME`.

Every problem is reported at once with its line number; nothing is stored from a map with a problem.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from missionos.errors import InputError

NUMBER = r"-?\d+(?:\.\d+)?"
COORDS = re.compile(rf"\[\s*({NUMBER})\s*,\s*({NUMBER})\s*\]")
NOT_DRAWN = (
    "submap",
    "market",
    "ecosystem",
    "url",
    "accelerator",
    "deaccelerator",
    "size",
    "x-axis",
    "y-axis",
)
STAGES = ("Genesis", "Custom-Built", "Product (+rental)", "Commodity (+utility)")
LINK_TARGET = re.compile(
    r"^(strategy):([a-z0-9][a-z0-9._-]*)/([A-Za-z0-9._-]+)$|^(service):([A-Za-z0-9._-]+)$"
)


@dataclass(frozen=True)
class Component:
    name: str
    visibility: float
    evolution: float
    kind: str = "component"  # component, anchor, or submap-less pipeline member ("member")
    method: str | None = None  # build, buy, outsource
    inertia: bool = False
    line: int = 0


@dataclass(frozen=True)
class Link:
    source: str
    target: str
    flow: str | None = None  # "+>", "+<", "+<>" for flows of value
    annotation: str = ""


@dataclass(frozen=True)
class Evolve:
    name: str
    evolution: float
    new_name: str | None = None


@dataclass(frozen=True)
class Pipeline:
    name: str
    start: float
    end: float
    members: tuple[str, ...] = ()


@dataclass(frozen=True)
class Annotation:
    number: int
    points: tuple[tuple[float, float], ...]
    text: str


@dataclass(frozen=True)
class Note:
    text: str
    visibility: float
    evolution: float


@dataclass(frozen=True)
class Target:
    """What a component is for in Mission OS: a plan's strategy, or a service."""

    component: str
    kind: str  # strategy or service
    ref: str  # PLAN/ID or the service name

    @property
    def href(self) -> str:
        if self.kind == "strategy":
            plan, _, sid = self.ref.partition("/")
            return f"/strategy/plans/{plan}#strategy-{sid}"
        return f"/delivery/services/{self.ref}"


@dataclass
class WardleyMap:
    title: str = ""
    components: dict[str, Component] = field(default_factory=dict)
    links: list[Link] = field(default_factory=list)
    evolves: list[Evolve] = field(default_factory=list)
    pipelines: list[Pipeline] = field(default_factory=list)
    annotations: list[Annotation] = field(default_factory=list)
    annotations_at: tuple[float, float] | None = None
    notes: list[Note] = field(default_factory=list)
    stages: tuple[str, ...] = STAGES
    style: str = "plain"
    targets: list[Target] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "stages": list(self.stages),
            "components": [
                {
                    "name": c.name,
                    "kind": c.kind,
                    "visibility": c.visibility,
                    "evolution": c.evolution,
                    "method": c.method,
                    "inertia": c.inertia,
                }
                for c in self.components.values()
            ],
            "links": [
                {"from": k.source, "to": k.target, "flow": k.flow, "annotation": k.annotation or None}
                for k in self.links
            ],
            "evolves": [{"name": e.name, "to": e.evolution, "as": e.new_name} for e in self.evolves],
            "pipelines": [
                {"name": p.name, "start": p.start, "end": p.end, "members": list(p.members)}
                for p in self.pipelines
            ],
            "annotations": [{"number": a.number, "text": a.text} for a in self.annotations],
            "notes": [n.text for n in self.notes],
            "targets": [{"component": t.component, "kind": t.kind, "ref": t.ref} for t in self.targets],
            "notices": self.notices,
        }


class _Reader:
    def __init__(self, source: str | None) -> None:
        self.source = source
        self.problems: list[str] = []
        self.map = WardleyMap()

    def problem(self, line: int, expected: str) -> None:
        self.problems.append(f"line {line}: expected {expected}")

    def unit(self, text: str, line: int, what: str) -> float | None:
        value = float(text)
        if not 0.0 <= value <= 1.0:
            self.problem(line, f"{what} between 0 and 1, not {text}")
            return None
        return value

    def coords(self, text: str, line: int) -> tuple[float, float] | None:
        m = COORDS.search(text)
        if not m:
            self.problem(line, "coordinates [visibility, evolution], e.g. [0.7, 0.4]")
            return None
        vis, evo = self.unit(m[1], line, "a visibility"), self.unit(m[2], line, "an evolution")
        return None if vis is None or evo is None else (vis, evo)

    def add(self, component: Component) -> None:
        if component.name in self.map.components:
            first = self.map.components[component.name].line
            self.problem(component.line, f"a component named once; {component.name!r} is on line {first} too")
            return
        self.map.components[component.name] = component


COMPONENT = re.compile(r"^(component|anchor)\s+(.+?)\s*(\[.*)$")
LINK = re.compile(r"^(.+?)\s*(\+<>|\+<|\+>|->)\s*(.+?)\s*(?:;\s*(.*))?$")
EVOLVE = re.compile(rf"^evolve\s+(.+?)\s+({NUMBER})\s*(?:label\s*\[.*\])?$")
PIPELINE = re.compile(r"^pipeline\s+(.+?)\s*(\[.*\])?$")
MEMBER = re.compile(rf"^component\s+(.+?)\s*\[\s*({NUMBER})\s*\]")
ANNOTATION = re.compile(r"^annotation\s+(\d+)\s*(\[.*\])\s*(.*)$")
NOTE = re.compile(r"^note\s+(.+?)\s*(\[[^\]]*\])\s*$")
TARGET = re.compile(r"^link\s+(.+?)\s*->\s*(\S+)\s*$")


def parse(text: str, *, source: str | None = None) -> WardleyMap:
    """The map in `text`, or an `InputError` listing every problem with its line."""
    reader = _Reader(source)
    wmap = reader.map
    block: tuple[str, int, list[str]] | None = None  # an open `pipeline X {` block
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("//", 1)[0].strip() if not raw.strip().startswith("note") else raw.strip()
        if not line:
            continue
        if block is not None:
            if line == "{":
                continue
            if line == "}":
                _close(reader, block)
                block = None
                continue
            m = MEMBER.match(line)
            if not m:
                reader.problem(number, "`component NAME [evolution]` inside a pipeline block, or `}`")
                continue
            evo = reader.unit(m[2], number, "an evolution")
            parent = wmap.components.get(block[0])
            if evo is not None and parent is not None:
                reader.add(Component(m[1].strip(), parent.visibility, evo, "member", line=number))
                block[2].append(m[1].strip())
            continue
        word = line.split(None, 1)[0]
        if word == "title":
            wmap.title = line[5:].strip()
        elif word in ("component", "anchor"):
            _component(reader, line, number)
        elif word == "evolve":
            m = EVOLVE.match(line)
            if not m:
                reader.problem(number, "`evolve NAME EVOLUTION` or `evolve NAME->NEW NAME EVOLUTION`")
                continue
            evo = reader.unit(m[2], number, "an evolution")
            name, _, new = m[1].partition("->")
            if evo is not None:
                wmap.evolves.append(Evolve(name.strip(), evo, new.strip() or None))
        elif word == "pipeline":
            m = PIPELINE.match(line.rstrip("{").strip())
            if not m:
                reader.problem(number, "`pipeline NAME` (then a block) or `pipeline NAME [start, end]`")
                continue
            if m[2]:
                span = COORDS.search(m[2])
                start = reader.unit(span[1], number, "a start") if span else None
                end = reader.unit(span[2], number, "an end") if span else None
                if span is None:
                    reader.problem(number, "`[start, end]` evolutions, e.g. [0.3, 0.7]")
                elif start is not None and end is not None:
                    wmap.pipelines.append(Pipeline(m[1].strip(), start, end))
            else:
                block = (m[1].strip(), number, [])
        elif word == "annotation":
            _annotation(reader, line, number)
        elif word == "annotations":
            at = reader.coords(line, number)
            wmap.annotations_at = at
        elif word == "note":
            m = NOTE.match(line)
            at = reader.coords(line, number) if m else None
            if not m:
                reader.problem(number, "`note TEXT [visibility, evolution]`")
            elif at is not None:
                wmap.notes.append(Note(m[1], *at))
        elif word == "evolution":
            stages = tuple(s.strip() for s in line[9:].split("->"))
            if len(stages) != 4 or not all(stages):
                reader.problem(number, "four stages, e.g. `evolution Genesis->Custom->Product->Commodity`")
            else:
                wmap.stages = stages
        elif word == "style":
            wmap.style = line[5:].strip() or "plain"
        elif word == "link":
            _target(reader, line, number)
        elif word in NOT_DRAWN:
            wmap.notices.append(f"line {number}: `{word}` is read but not drawn")
        elif LINK.match(line):
            m = LINK.match(line)
            assert m is not None
            flow = None if m[2] == "->" else m[2]
            wmap.links.append(Link(m[1].strip(), m[3].strip(), flow, (m[4] or "").strip()))
        else:
            reader.problem(number, "a statement of the map syntax (component, anchor, A->B, evolve, ...)")
    if block is not None:
        reader.problem(block[1], f"the pipeline block of {block[0]!r} closed with `}}`")
    _check_names(reader)
    if reader.problems:
        raise InputError("; ".join(reader.problems), source=source)
    return wmap


def _component(reader: _Reader, line: str, number: int) -> None:
    m = COMPONENT.match(line)
    if not m:
        reader.problem(number, f"`{line.split()[0]} NAME [visibility, evolution]`")
        return
    at = reader.coords(m[3], number)
    if at is None:
        return
    rest = COORDS.sub("", m[3], count=1)
    method = next((w for w in ("build", "buy", "outsource") if f"({w})" in rest), None)
    reader.add(
        Component(m[2].strip(), at[0], at[1], m[1], method, inertia="inertia" in rest.split(), line=number)
    )


def _annotation(reader: _Reader, line: str, number: int) -> None:
    m = ANNOTATION.match(line)
    if not m:
        reader.problem(number, "`annotation N [visibility, evolution] TEXT`")
        return
    points = []
    for vis, evo in COORDS.findall(m[2]):
        v, e = reader.unit(vis, number, "a visibility"), reader.unit(evo, number, "an evolution")
        if v is not None and e is not None:
            points.append((v, e))
    if not points:
        reader.problem(number, "at least one [visibility, evolution] for the annotation")
        return
    reader.map.annotations.append(Annotation(int(m[1]), tuple(points), m[3].strip()))


def _target(reader: _Reader, line: str, number: int) -> None:
    m = TARGET.match(line)
    target = LINK_TARGET.match(m[2]) if m else None
    if not m or not target:
        reader.problem(number, "`link COMPONENT -> strategy:PLAN/ID` or `link COMPONENT -> service:NAME`")
        return
    if target[1]:
        reader.map.targets.append(Target(m[1].strip(), "strategy", f"{target[2]}/{target[3]}"))
    else:
        reader.map.targets.append(Target(m[1].strip(), "service", target[5]))


def _close(reader: _Reader, block: tuple[str, int, list[str]]) -> None:
    name, number, members = block
    parent = reader.map.components.get(name)
    if parent is None:
        reader.problem(number, f"a component named {name!r} declared before its pipeline")
        return
    evolutions = [reader.map.components[m].evolution for m in members] or [parent.evolution]
    reader.map.pipelines.append(Pipeline(name, min(evolutions), max(evolutions), tuple(members)))


def _check_names(reader: _Reader) -> None:
    known = set(reader.map.components)
    evolved = {e.new_name for e in reader.map.evolves if e.new_name}
    for k in reader.map.links:
        for end in (k.source, k.target):
            if end not in known and end not in evolved:
                reader.problems.append(
                    f"link {k.source}->{k.target}: expected a declared component, not {end!r}"
                )
    for e in reader.map.evolves:
        if e.name not in known:
            reader.problems.append(f"evolve {e.name}: expected a declared component")
    for p in reader.map.pipelines:
        if p.name not in known:
            reader.problems.append(f"pipeline {p.name}: expected a declared component")
    for t in reader.map.targets:
        if t.component not in known:
            reader.problems.append(f"link {t.component} -> {t.kind}: expected a declared component")


__all__ = ["STAGES", "Component", "Link", "Target", "WardleyMap", "parse"]
