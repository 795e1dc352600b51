"""One exception hierarchy for shadowfleet.

Every error the package raises on purpose derives from :class:`ShadowfleetError`, so a
caller (the CLI, the API, a notebook) can catch shadowfleet's own failures in one place
and let genuine bugs propagate. Exit codes follow the command-line contract: usage
errors exit 1, input errors exit 2.
"""

from __future__ import annotations

from pathlib import Path


class ShadowfleetError(Exception):
    """Base class of every error shadowfleet raises on purpose."""

    exit_code: int = 1


class ConfigError(ShadowfleetError):
    """A configuration file or option is invalid (unknown key, wrong type, bad value)."""

    exit_code = 1


class InputError(ShadowfleetError):
    """An input file cannot be read at all, or its layout is not one shadowfleet knows.

    Bad *lines* inside a readable file never raise: they are counted as rejects. This
    error is for the whole file: missing, unreadable, binary, unknown layout.

    Args:
        message: What was wrong, in words an analyst can act on.
        path: The file concerned, named in the message.
        line: 1-based line number when the problem is located in one line.
    """

    exit_code = 2

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None):
        self.path = None if path is None else str(path)
        self.line = line
        where = ""
        if self.path is not None:
            where = f"{self.path}"
            if line is not None:
                where += f":{line}"
            where += ": "
        super().__init__(f"{where}{message}")


class StoreError(ShadowfleetError):
    """The store directory is missing, corrupt, or a write into it failed."""

    exit_code = 2


class QueryError(ShadowfleetError):
    """A query over the store failed (bad SQL, unknown table or column)."""

    exit_code = 1


class PackageDataError(ShadowfleetError):
    """A reference table shipped inside the package is missing or damaged (a broken install)."""

    exit_code = 2


class GeoError(ShadowfleetError):
    """A geographic computation has no answer: no sea route, no open water near a point."""

    exit_code = 2
