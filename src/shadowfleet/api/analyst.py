"""The analyst's own records: watch-list, notes on vessels and events, saved cases.

They change one row at a time while the server runs, unlike the lake's tables, so they
live in a SQLite file in the store (``analyst.sqlite``) and survive re-runs of the
pipeline. Every statement is a constant with bound parameters.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from shadowfleet.errors import StoreError

ANALYST_FILE: Final = "analyst.sqlite"

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS watchlist (
    vessel_id TEXT PRIMARY KEY,
    note TEXT NOT NULL DEFAULT '',
    added_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS notes (
    note_id TEXT PRIMARY KEY,
    target_kind TEXT NOT NULL CHECK (target_kind IN ('vessel', 'event')),
    target_id TEXT NOT NULL,
    text TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS notes_target ON notes (target_kind, target_id);
CREATE TABLE IF NOT EXISTS cases (
    case_id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    vessel_ids TEXT NOT NULL DEFAULT '[]',
    event_ids TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
"""


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class AnalystRecords:
    """Watch-list, notes and cases of one store."""

    def __init__(self, store_root: Path) -> None:
        self.path = store_root / ANALYST_FILE
        try:
            with self._connect() as connection:
                connection.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the analyst records {self.path}: {exc}") from exc

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        # One connection per call: requests run on a thread pool, and SQLite
        # connections must not cross threads.
        connection = sqlite3.connect(self.path, timeout=10)
        connection.row_factory = sqlite3.Row
        try:
            with connection:
                yield connection
        finally:
            connection.close()

    # --- watch-list ---

    def watchlist(self) -> list[dict[str, Any]]:
        """Watch-listed vessels, most recently added first."""
        with self._connect() as connection:
            rows = connection.execute("SELECT vessel_id, note, added_at FROM watchlist ORDER BY added_at DESC")
            return [dict(row) for row in rows]

    def watched(self) -> set[str]:
        """The watch-listed vessel ids."""
        with self._connect() as connection:
            return {row[0] for row in connection.execute("SELECT vessel_id FROM watchlist")}

    def watch(self, vessel_id: str, note: str) -> dict[str, Any]:
        """Add a vessel to the watch-list (or update its note)."""
        with self._connect() as connection:
            connection.execute(
                "INSERT INTO watchlist (vessel_id, note, added_at) VALUES (?, ?, ?) "
                "ON CONFLICT (vessel_id) DO UPDATE SET note = excluded.note",
                (vessel_id, note, _now()),
            )
            row = connection.execute(
                "SELECT vessel_id, note, added_at FROM watchlist WHERE vessel_id = ?", (vessel_id,)
            ).fetchone()
        return dict(row)

    def unwatch(self, vessel_id: str) -> bool:
        """Remove a vessel from the watch-list; False when it was not on it."""
        with self._connect() as connection:
            return connection.execute("DELETE FROM watchlist WHERE vessel_id = ?", (vessel_id,)).rowcount > 0

    # --- notes ---

    def notes(self, target_kind: str | None = None, target_id: str | None = None) -> list[dict[str, Any]]:
        """Notes, oldest first, optionally of one vessel or event."""
        with self._connect() as connection:
            rows = connection.execute(
                "SELECT note_id, target_kind, target_id, text, created_at FROM notes "
                "WHERE (? IS NULL OR target_kind = ?) AND (? IS NULL OR target_id = ?) ORDER BY created_at, note_id",
                (target_kind, target_kind, target_id, target_id),
            )
            return [dict(row) for row in rows]

    def add_note(self, target_kind: str, target_id: str, text: str) -> dict[str, Any]:
        """Add a note to a vessel or an event."""
        note = {
            "note_id": f"N{uuid.uuid4().hex[:16]}",
            "target_kind": target_kind,
            "target_id": target_id,
            "text": text,
            "created_at": _now(),
        }
        with self._connect() as connection:
            connection.execute(
                "INSERT INTO notes (note_id, target_kind, target_id, text, created_at) VALUES (?, ?, ?, ?, ?)",
                tuple(note.values()),
            )
        return note

    def delete_note(self, note_id: str) -> bool:
        """Delete a note; False when there was none."""
        with self._connect() as connection:
            return connection.execute("DELETE FROM notes WHERE note_id = ?", (note_id,)).rowcount > 0

    # --- cases ---

    @staticmethod
    def _case(row: sqlite3.Row) -> dict[str, Any]:
        case = dict(row)
        case["vessel_ids"] = json.loads(case["vessel_ids"])
        case["event_ids"] = json.loads(case["event_ids"])
        return case

    def cases(self) -> list[dict[str, Any]]:
        """Saved cases, most recently updated first."""
        with self._connect() as connection:
            return [self._case(row) for row in connection.execute("SELECT * FROM cases ORDER BY updated_at DESC")]

    def case(self, case_id: str) -> dict[str, Any] | None:
        """One case, or None."""
        with self._connect() as connection:
            row = connection.execute("SELECT * FROM cases WHERE case_id = ?", (case_id,)).fetchone()
        return None if row is None else self._case(row)

    def save_case(
        self, title: str, description: str, vessel_ids: list[str], event_ids: list[str], case_id: str | None = None
    ) -> dict[str, Any] | None:
        """Create a case, or replace the contents of an existing one (None when it no longer exists)."""
        now = _now()
        with self._connect() as connection:
            if case_id is None:
                case_id = f"C{uuid.uuid4().hex[:16]}"
                connection.execute(
                    "INSERT INTO cases (case_id, title, description, vessel_ids, event_ids, created_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (case_id, title, description, json.dumps(vessel_ids), json.dumps(event_ids), now, now),
                )
            else:
                updated = connection.execute(
                    "UPDATE cases SET title = ?, description = ?, vessel_ids = ?, event_ids = ?, updated_at = ? "
                    "WHERE case_id = ?",
                    (title, description, json.dumps(vessel_ids), json.dumps(event_ids), now, case_id),
                )
                if updated.rowcount == 0:
                    return None
        return self.case(case_id)

    def delete_case(self, case_id: str) -> bool:
        """Delete a case; False when there was none."""
        with self._connect() as connection:
            return connection.execute("DELETE FROM cases WHERE case_id = ?", (case_id,)).rowcount > 0
