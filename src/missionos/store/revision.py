"""Developer entry point: autogenerate a revision on one context's branch.

    python -m missionos.store.revision delivery "add deployments"

Only tables with the context's prefix are compared, so work in progress in another context never leaks in.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import Script, ScriptDirectory
from sqlalchemy import create_engine

from missionos.store.migrate import PACKAGE, alembic_config, upgrade


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m missionos.store.revision CONTEXT MESSAGE", file=sys.stderr)
        return 2
    context, message = argv
    path = PACKAGE / context / "migrations"
    path.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite:///{Path(tmp) / 'rev.db'}")
        upgrade(engine)
        cfg = alembic_config(engine)
        cfg.attributes["only_context"] = context
        # A branch that starts from another's last revision (ingest from accounts) shares its labels.
        labels = {label for s in _branch_roots(cfg) for label in s.branch_labels}
        if context in labels:
            command.revision(
                cfg, message=message, autogenerate=True, head=f"{context}@head", version_path=str(path)
            )
        else:
            command.revision(
                cfg,
                message=message,
                autogenerate=True,
                head="base",
                branch_label=context,
                version_path=str(path),
                rev_id=f"{context}_0001",
            )
    _tidy(path)
    return 0


def _tidy(path: Path) -> None:
    """Format the generated files with ruff, when it is installed (a developer dependency)."""
    import shutil
    import subprocess

    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    if Path(ruff).exists():
        subprocess.run([ruff, "check", "--fix", "--quiet", str(path)], check=False)
        subprocess.run([ruff, "format", "--quiet", str(path)], check=False)


def _branch_roots(cfg: Config) -> list[Script]:
    script = ScriptDirectory.from_config(cfg)
    return [s for s in script.walk_revisions() if s.branch_labels]


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
