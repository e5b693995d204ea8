"""The bounded contexts, in one table: what each owns and where the shells find it.

Every list that used to name modules in strings (the migrations' branches and models, the measures'
publishers, the web routers, the demo steps, the command groups) is read from `CONTEXTS`, so adding a
context is one row here, and `tests/test_contexts.py` checks every row against the package: each named module
exists and has what the row says it has, and every package with tables or measures has its row.

Names follow one convention, so the row holds only what varies:
- tables: `missionos.<name>.models`, revisions in `src/missionos/<name>/migrations/` (branch label `<name>`);
- measures: `missionos.<name>.measures`, imported to register them;
- demo: `missionos.<name>.demo`, whose `load(org)` adds the context's part of the demo organization.

This module imports nothing but the standard library: `missionos --help` reads it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CommandGroup:
    """`missionos NAME`, defined by the `typer.Typer` at `target` ("module:attribute")."""

    name: str
    target: str
    help: str


@dataclass(frozen=True)
class Context:
    name: str
    tables: bool = False  # models and an Alembic branch of its own
    measures: bool = False  # publishes measures to the registry
    demo_step: int | None = None  # its place in the demo story (the plan binds the others' measures, so last)
    routers: tuple[
        str, ...
    ] = ()  # web modules with a `router`: pages under /<name>, API under /api/v1/<name>
    commands: tuple[CommandGroup, ...] = ()

    @property
    def models(self) -> str:
        return f"missionos.{self.name}.models"

    @property
    def publisher(self) -> str:
        return f"missionos.{self.name}.measures"

    @property
    def demo(self) -> str:
        return f"missionos.{self.name}.demo"


# In the order `missionos --help` lists their groups; their models are imported and routers mounted in the
# same order.
CONTEXTS: tuple[Context, ...] = (
    Context(
        "organization",
        routers=("missionos.web.org",),
        commands=(
            CommandGroup(
                "org",
                "missionos.cli.org:app",
                "Your organization: teams, services (repositories, history start, production environments) "
                "and value streams, declared in one YAML file.",
            ),
        ),
    ),
    Context(
        "delivery",
        tables=True,
        measures=True,
        demo_step=1,
        routers=("missionos.web.delivery",),
        commands=(
            CommandGroup(
                "delivery",
                "missionos.cli.delivery:app",
                "Delivery: DORA metrics and the path to production, from git, deployments and incidents.",
            ),
        ),
    ),
    Context(
        "flow",
        tables=True,
        measures=True,
        demo_step=2,
        routers=("missionos.web.flow",),
        commands=(
            CommandGroup(
                "flow",
                "missionos.cli.flow:app",
                "Flow: value-stream maps and flow metrics from the issue tracker.",
            ),
        ),
    ),
    Context(
        "experiments",
        tables=True,
        measures=True,
        demo_step=4,
        routers=("missionos.web.experiments",),
        commands=(
            CommandGroup(
                "experiments",
                "missionos.cli.experiments:app",
                "Experiments: feature flags, exposures, metric events and statistical verdicts.",
            ),
            CommandGroup(
                "flags",
                "missionos.cli.experiments:flags_app",
                "Feature flags (as `missionos experiments flags`).",
            ),
        ),
    ),
    Context(
        "compliance",
        tables=True,
        measures=True,
        demo_step=5,
        routers=("missionos.web.compliance",),
        commands=(
            CommandGroup(
                "compliance",
                "missionos.cli.compliance:app",
                "Compliance: continuous ATO from pipeline evidence, with OSCAL in and out.",
            ),
        ),
    ),
    Context(
        "strategy",
        tables=True,
        measures=True,
        demo_step=7,
        routers=("missionos.web.strategy",),
        commands=(
            CommandGroup(
                "strategy",
                "missionos.cli.strategy:app",
                "Strategy: OGSM plans as code, the litmus check, and the loop to live evidence.",
            ),
        ),
    ),
    Context(
        "friction",
        tables=True,
        measures=True,
        demo_step=3,
        routers=("missionos.web.friction",),
        commands=(
            CommandGroup(
                "friction",
                "missionos.cli.friction:app",
                "Friction: blockers and red tape that slow a value stream, priced by cost of delay (CD3).",
            ),
        ),
    ),
    Context(
        "maps",
        tables=True,
        demo_step=8,
        routers=("missionos.web.maps",),
        commands=(
            CommandGroup(
                "maps",
                "missionos.cli.maps:app",
                "Strategic maps: Wardley maps (OWM text) and domain maps (YAML), versioned beside the plans.",
            ),
        ),
    ),
    Context(
        "platform",
        tables=True,
        measures=True,
        demo_step=6,
        routers=("missionos.web.platform",),
        commands=(
            CommandGroup(
                "platform",
                "missionos.cli.platform:app",
                "Platform: advertised offers, verified only by the production deployments that used them.",
            ),
        ),
    ),
    Context(
        "accounts",
        tables=True,
        routers=("missionos.web.accounts",),
        commands=(
            CommandGroup("auth", "missionos.cli.accounts:auth_app", "Sign-in: local users and API tokens."),
            CommandGroup(
                "audit", "missionos.cli.accounts:audit_app", "The append-only audit log of every write."
            ),
        ),
    ),
    Context(
        "ingest",
        tables=True,
        routers=("missionos.web.hooks",),
        commands=(
            CommandGroup(
                "hooks",
                "missionos.cli.accounts:hooks_app",
                "Webhooks: secrets, stored deliveries and replay.",
            ),
            CommandGroup(
                "sync",
                "missionos.cli.sync:app",
                "Read the configured sources on a schedule, instead of a cron line per import command.",
            ),
        ),
    ),
)


def named(name: str) -> Context:
    """The context called `name` (KeyError when there is none)."""
    for context in CONTEXTS:
        if context.name == name:
            return context
    raise KeyError(name)


def with_tables() -> tuple[str, ...]:
    """The contexts that own tables, in the order their models are imported."""
    return tuple(c.name for c in CONTEXTS if c.tables)


def publishers() -> tuple[str, ...]:
    """The modules that register measures when imported."""
    return tuple(c.publisher for c in CONTEXTS if c.measures)


def demo_steps() -> tuple[str, ...]:
    """The contexts' demo steps, in the order the story needs them."""
    ordered = sorted((c for c in CONTEXTS if c.demo_step is not None), key=lambda c: c.demo_step or 0)
    return tuple(c.name for c in ordered)


def routers() -> tuple[str, ...]:
    """The web modules whose `router` the app mounts."""
    return tuple(r for c in CONTEXTS for r in c.routers)


def command_groups() -> tuple[CommandGroup, ...]:
    """The `missionos` command groups, in the order `missionos --help` lists them."""
    return tuple(g for c in CONTEXTS for g in c.commands)
