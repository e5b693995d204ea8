"""`missionos demo` reports each context's step as it loads: a row per context on a terminal, a line per
finished step with its time elsewhere."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from missionos.cli import common
from missionos.cli.main import demo_progress
from missionos.demo import STEPS


def test_each_step_is_reported_with_its_time_when_not_on_a_terminal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with demo_progress(("repositories", *STEPS)) as step:
        for name in ("repositories", *STEPS):
            step(name)
    lines = capsys.readouterr().err.splitlines()
    assert [line.split()[1] for line in lines] == ["repositories", *STEPS]
    assert all(re.fullmatch(r"demo: \S+ loaded in \d+\.\d s", line) for line in lines), lines


def test_a_terminal_gets_one_row_per_context(monkeypatch: pytest.MonkeyPatch) -> None:
    screen = io.StringIO()
    terminal = Console(file=screen, force_terminal=True, width=100)
    monkeypatch.setattr(common, "err_console", terminal)
    monkeypatch.setattr("missionos.cli.main.err_console", terminal)
    with demo_progress(("repositories", "delivery", "flow")) as step:
        step("repositories")
        step("delivery")
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen.getvalue())
    final = shown.rsplit("repositories", 1)[-1]
    assert "done" in final and "delivery" in final and "flow" in final
    assert "waiting" in final  # flow never started
