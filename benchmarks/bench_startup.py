"""Start-up: how long `missionos` takes to answer, per command, against `python -c pass` run side by side.

Work: each command run `MISSIONOS_BENCH_STARTUP_RUNS` times (default 15) as its own process, its stdout a
pipe, against a SQLite database in a temporary `MISSIONOS_HOME` that is already migrated (as every command
after the first finds it). The runs alternate with `python -c pass` (the interpreter alone: the floor no
command can go under), so both see the same load. Prints, per command, the median and p90 wall time, the
median CPU time of the child process (steadier than wall time on a shared machine), runs/s, and the ratio of
the median to the interpreter's; then the issue's goals: `--help` under 0.3 s, a small command under 0.6 s.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMANDS: tuple[tuple[str, ...], ...] = (
    ("--help",),
    ("--version",),
    ("delivery", "--help"),
    ("delivery", "services"),
    ("flow", "stream", "list"),
    ("db", "upgrade"),
    ("measures", "list"),
)
GOALS = {("--help",): 0.3, ("delivery", "services"): 0.6, ("flow", "stream", "list"): 0.6}


def run_once(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one process (the CPU time of the children reaped meanwhile)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(argv, env=env, capture_output=True, check=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _q(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    runs = int(os.environ.get("MISSIONOS_BENCH_STARTUP_RUNS", "15"))
    missionos = [sys.executable, "-m", "missionos.cli"]
    with tempfile.TemporaryDirectory(prefix="missionos-bench-startup-") as tmp:
        env = {**os.environ, "MISSIONOS_HOME": str(Path(tmp)), "COLUMNS": "120"}
        env.pop("MISSIONOS_DATABASE_URL", None)
        run_once([*missionos, "db", "upgrade"], env)  # migrate once, as the first command of a user would
        print(f"work: {len(COMMANDS)} commands, {runs} runs each, alternating with `python -c pass`")
        print(
            f"{'command':<28} {'runs':>4} {'median':>8} {'p90':>8} {'cpu':>8} {'runs/s':>7} "
            f"{'pass':>7} {'ratio':>6}  goal"
        )
        for command in COMMANDS:
            walls, cpus, floor = [], [], []
            for _ in range(runs):
                floor.append(run_once([sys.executable, "-c", "pass"], env)[0])
                wall, cpu = run_once([*missionos, *command], env)
                walls.append(wall)
                cpus.append(cpu)
            median, base = statistics.median(walls), statistics.median(floor)
            goal = GOALS.get(command)
            verdict = "" if goal is None else f"<{goal:.1f} s {'met' if median < goal else 'missed'}"
            print(
                f"{' '.join(command):<28} {runs:>4} {median:7.3f}s {_q(walls, 0.9):7.3f}s "
                f"{statistics.median(cpus):7.3f}s {1 / median:7.1f} {base:6.3f}s {median / base:5.1f}x  "
                f"{verdict}",
                flush=True,
            )


if __name__ == "__main__":
    main()
