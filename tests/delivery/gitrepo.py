"""Real git repositories built commit by commit for the delivery tests."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


class GitRepo:
    """A repository at `path` on branch main; every commit has explicit author and committer times."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str, at: str | None = None, author: str = "Ann Author") -> str:
        env = {**os.environ, "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1"}
        email = author.lower().replace(" ", ".") + "@example.org"
        env.update(
            GIT_AUTHOR_NAME=author,
            GIT_AUTHOR_EMAIL=email,
            GIT_COMMITTER_NAME=author,
            GIT_COMMITTER_EMAIL=email,
        )
        if at:
            env.update(GIT_AUTHOR_DATE=at, GIT_COMMITTER_DATE=at)
        done = subprocess.run(
            ["git", "-C", str(self.path), *args], env=env, capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    def commit(
        self, message: str, at: str, *, files: dict[str, str] | None = None, author: str = "Ann Author"
    ) -> str:
        """Commit `files` (path -> new content; default: a file named after the message) at `at`."""
        for name, text in (files or {message.replace(" ", "_") + ".txt": message}).items():
            target = self.path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
            self.git("add", name)
        self.git("commit", "-q", "-m", message, at=at, author=author)
        return self.head()

    def head(self) -> str:
        return self.git("rev-parse", "HEAD")

    def checkout(self, branch: str, *, new: bool = False) -> None:
        self.git("checkout", "-q", *(["-b"] if new else []), branch)

    def merge(self, branch: str, at: str, *, message: str = "Merge") -> str:
        """A merge commit of `branch` into the current branch."""
        self.git("merge", "-q", "--no-ff", "-m", message, branch, at=at)
        return self.head()

    def squash(self, branch: str, at: str, *, message: str, author: str = "Ann Author") -> str:
        """`branch` squashed into one new commit on the current branch."""
        self.git("merge", "-q", "--squash", branch, at=at)
        self.git("commit", "-q", "-m", message, at=at, author=author)
        return self.head()
