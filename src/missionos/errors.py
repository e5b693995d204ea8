"""Errors a person can act on.

Each carries where the problem is (a file and line, or a field path) and what was expected there. The CLI
prints them without a traceback and exits 2; the API answers with an RFC 9457 problem body. Nothing else in
the code base catches broad exceptions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class MissionOSError(Exception):
    """The base of every error that reaches a user as a message rather than a crash."""

    status = 400
    title = "Bad request"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def location(self) -> str | None:
        return None

    def __str__(self) -> str:
        where = self.location
        return f"{where}: {self.message}" if where else self.message

    def problem(self) -> dict[str, Any]:
        """The RFC 9457 problem-details body for this error."""
        body: dict[str, Any] = {
            "type": f"urn:missionos:error:{type(self).__name__}",
            "title": self.title,
            "status": self.status,
            "detail": str(self),
        }
        if self.location:
            body["location"] = self.location
        return body


class InputError(MissionOSError):
    """Bad input in a file or a stream: names the source, the line and what was expected."""

    title = "Invalid input"
    status = 422

    def __init__(self, message: str, *, source: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.source = source
        self.line = line

    @property
    def location(self) -> str | None:
        if self.source and self.line is not None:
            return f"{self.source}:{self.line}"
        if self.source:
            return self.source
        if self.line is not None:
            return f"line {self.line}"
        return None


class TooLargeError(InputError):
    """A file or request body over a configured size limit: names the source, its size and the limit."""

    title = "Content too large"
    status = 413


class FieldError(MissionOSError):
    """A field of a document or request has a bad value: names its path, e.g. `goals[0].target.value`."""

    title = "Invalid field"
    status = 422

    def __init__(self, field: str, expected: str, *, source: str | None = None) -> None:
        super().__init__(f"expected {expected}")
        self.field = field
        self.expected = expected
        self.source = source

    @property
    def location(self) -> str | None:
        return f"{self.source}: {self.field}" if self.source else self.field


class NotFoundError(MissionOSError):
    """A named thing (a service, a plan, a flag) does not exist."""

    title = "Not found"
    status = 404

    def __init__(self, kind: str, name: str) -> None:
        super().__init__(f"no {kind} named {name!r}")
        self.kind = kind
        self.name = name


class ForbiddenError(MissionOSError):
    """The principal may not do this (its role or its teams do not reach the object)."""

    title = "Forbidden"
    status = 403


class ConflictError(MissionOSError):
    """The request conflicts with what is stored."""

    title = "Conflict"
    status = 409


@dataclass(frozen=True)
class Problem:
    """A plain record of a problem, for code that collects several before failing."""

    where: str
    expected: str

    def __str__(self) -> str:
        return f"{self.where}: expected {self.expected}"


__all__ = ["ConflictError", "FieldError", "InputError", "MissionOSError", "NotFoundError", "Problem"]
