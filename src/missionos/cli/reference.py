"""The command reference (docs/cli.md), written from the command tree itself so it cannot drift from it.

    python -m missionos.cli.reference > docs/cli.md

A test compares the file with what this prints.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from typer.main import get_command

from missionos.cli.lazy import LazyGroup
from missionos.cli.main import app

HEADER = """# Command reference

Every `missionos` command with its arguments and options, as `--help` shows them. This page is generated
from the commands themselves (`python -m missionos.cli.reference > docs/cli.md`), and a test fails when it
is out of date. The guides (`delivery.md`, `flow.md`, `experiments.md`, `compliance.md`, `strategy.md`,
`server.md`) explain what the commands are for.

Output: on a terminal, tables are drawn to its width and long values fold onto the next line; into a pipe or
a file, they are plain text, one line per row, every value whole (or the `--format json|csv` chosen). When
a window holds nothing although the data has some (`delivery metrics|deployments|incidents`, `flow
metrics`), a note on stderr names the dates the data covers and the `--since/--until` that show it. A
window is `[--since, --until)`: `--since` must come before `--until` (an empty window such as `--since 0d` is
refused with exit 2).
`missionos` imports a context's commands only when they are run, so `--help` answers at once.
"""


def _walk(command: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield path, command
    for name in sorted(getattr(command, "commands", {})):
        yield from _walk(command.commands[name], (*path, name))


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def render() -> str:
    """The whole reference as Markdown: each command's summary, usage and the rows `--help` shows."""
    out = [HEADER]
    root = get_command(app)
    if isinstance(root, LazyGroup):
        root.load_all()
    for path, command in _walk(root, ("missionos",)):
        if command.hidden:
            continue
        ctx = command.context_class(command, info_name=" ".join(path))
        out.append(f"{'#' * min(len(path) + 1, 4)} `{' '.join(path)}`\n")
        summary = (command.help or "").strip()
        if summary:
            out.append(" ".join(summary.split("\n\n")[0].split()) + "\n")
        if hasattr(command, "commands"):
            continue
        out.append("```\n" + " ".join([*path, *command.collect_usage_pieces(ctx)]) + "\n```\n")
        rows = []
        for param in command.get_params(ctx):
            record = None if param.hidden else param.get_help_record(ctx)
            if record is None or record[0] in ("--help", "-h, --help"):
                continue
            names, help_text = record
            name = param.name.upper() if param.param_type_name == "argument" else names
            rows.append(f"| `{_cell(name)}` | {_cell(help_text)} |")
        if rows:
            out.append("| argument or option | meaning |\n| --- | --- |\n" + "\n".join(rows) + "\n")
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":
    print(render(), end="")
