"""Feedback on answers (thumbs up / down, comment, corrected answer), kept in SQLite.

The store lives in ``data_dir/feedback.sqlite3`` so it survives restarts and re-indexing.
Thumbs-down cases export as questions in the format of ``shared/eval/dev.jsonl``, so the
cases people flag can join the evaluation set.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.core.errors import FeedbackUnavailable
from assistant.core.settings import Settings

FILE_NAME = "feedback.sqlite3"
BUSY_TIMEOUT = 10.0  # seconds a write waits for another writer before the vote is refused
logger = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    question TEXT NOT NULL,
    language TEXT NOT NULL DEFAULT '',
    history TEXT NOT NULL,           -- JSON: [user, assistant] pairs passed to the service
    answer TEXT NOT NULL,
    sources TEXT NOT NULL,           -- JSON: the answer's sources as the CLI prints them
    vote INTEGER NOT NULL CHECK (vote IN (-1, 1)),
    comment TEXT NOT NULL DEFAULT '',
    corrected_answer TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,        -- ISO 8601, UTC
    checksum TEXT NOT NULL DEFAULT '' -- of the row's values (row_checksum): damage shows
)
"""
COLUMNS = ("id", "question", "language", "history", "answer", "sources", "vote", "comment",
           "corrected_answer", "created_at")


def row_checksum(values: Sequence[Any]) -> str:
    """A digest of a row's values (``COLUMNS`` order), stored with it: SQLite keeps no
    checksum of its own, and one damaged byte turned a thumbs down into a thumbs up."""
    return hashlib.sha256(json.dumps(list(values), ensure_ascii=False).encode()).hexdigest()


@dataclass(frozen=True)
class FeedbackRow:
    id: int
    question: str
    language: str
    history: list[list[str]]
    answer: str
    sources: list[dict[str, Any]]
    vote: int
    comment: str
    corrected_answer: str
    created_at: str


class FeedbackStore:
    """Durable feedback rows; one short connection per call, so any thread may use it.

    A database that is locked, full or unusable raises FeedbackUnavailable (one clear
    message) on the call that needs it; it never stops the app from starting."""

    def __init__(self, path: Path, timeout: float = BUSY_TIMEOUT) -> None:
        self.path = path
        self.timeout = timeout
        self._write_lock = threading.Lock()  # one writer at a time within this process
        self._schema_ready = False
        try:
            with self._connect():
                pass
        except FeedbackUnavailable as exc:  # the chat must start: votes say why later
            logger.warning("feedback store not ready: %s", exc.values.get("detail"))

    @classmethod
    def for_settings(cls, settings: Settings) -> FeedbackStore:
        return cls(settings.data_dir / FILE_NAME)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=self.timeout)
            try:
                with connection:  # commits on success, rolls back on error
                    if not self._schema_ready:
                        connection.execute(SCHEMA)
                        add_checksums(connection)
                        self._schema_ready = True
                    yield connection
            finally:
                connection.close()
        except (sqlite3.Error, OSError) as exc:
            raise describe_failure(exc) from exc

    def add(
        self, *, question: str, answer: str, vote: int, history: Sequence[Sequence[str]] = (),
        sources: Sequence[dict[str, Any]] = (), comment: str = "", corrected_answer: str = "",
        language: str = "",
    ) -> int:
        """Store one vote and return its id (to attach a comment or correction later)."""
        check_vote(vote)
        row = (
            question, language, json.dumps([list(t) for t in history], ensure_ascii=False),
            answer, json.dumps(list(sources), ensure_ascii=False), vote, comment.strip(),
            corrected_answer.strip(), datetime.now(UTC).isoformat(timespec="seconds"),
        )
        with self._write_lock, self._connect() as connection:
            cursor = connection.execute(
                "INSERT INTO feedback (question, language, history, answer, sources, vote,"
                " comment, corrected_answer, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
            row_id = int(cursor.lastrowid or 0)
            seal(connection, row_id)
            return row_id

    def update(self, feedback_id: int, *, vote: int | None = None, comment: str | None = None,
               corrected_answer: str | None = None) -> bool:
        """Change a stored vote, comment or correction; False when the id is unknown."""
        changes: dict[str, Any] = {}
        if vote is not None:
            changes["vote"] = check_vote(vote)
        if comment is not None:
            changes["comment"] = comment.strip()
        if corrected_answer is not None:
            changes["corrected_answer"] = corrected_answer.strip()
        if not changes:
            return self.get(feedback_id) is not None
        assignments = ", ".join(f"{column} = ?" for column in changes)  # fixed column names
        with self._write_lock, self._connect() as connection:
            cursor = connection.execute(
                f"UPDATE feedback SET {assignments} WHERE id = ?", [*changes.values(), feedback_id]
            )
            seal(connection, feedback_id)
            return cursor.rowcount > 0

    def get(self, feedback_id: int) -> FeedbackRow | None:
        rows = self._select("WHERE id = ?", (feedback_id,))
        return rows[0] if rows else None

    def rows(self, vote: int | None = None) -> list[FeedbackRow]:
        """Every row in the order given, or only the rows with this vote."""
        if vote is None:
            return self._select("", ())
        return self._select("WHERE vote = ?", (vote,))

    def _select(self, where: str, values: tuple[Any, ...]) -> list[FeedbackRow]:
        with self._connect() as connection:
            cursor = connection.execute(
                "SELECT id, question, language, history, answer, sources, vote, comment,"
                f" corrected_answer, created_at FROM feedback {where} ORDER BY id",
                values,
            )
            return [
                FeedbackRow(r[0], r[1], r[2], json.loads(r[3]), r[4], json.loads(r[5]), r[6],
                            r[7], r[8], r[9])
                for r in cursor.fetchall()
            ]

    def thumbs_down_records(self) -> list[dict[str, Any]]:
        return [eval_record(row) for row in self.verified_rows(vote=-1)]

    def export_thumbs_down(self, path: Path) -> int:
        """Write the thumbs-down cases as dev.jsonl questions; returns how many."""
        records = self.thumbs_down_records()
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            for record in records:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        return len(records)

    def verified_rows(self, vote: int | None = None) -> list[FeedbackRow]:
        """The rows, after SQLite's integrity check and each row's checksum: a damaged
        database or row raises FeedbackDamaged (its message names the database and the
        rows), never a silently changed vote."""
        try:
            with self._connect() as connection:
                report = [r[0] for r in connection.execute("PRAGMA integrity_check")]
                raw = connection.execute(
                    f"SELECT {', '.join(COLUMNS)}, checksum FROM feedback ORDER BY id").fetchall()
        except FeedbackUnavailable as exc:
            detail = str(exc.values.get("detail", exc.key))
            if exc.key == "feedback_locked":
                raise FeedbackUnavailable("feedback_export_locked", path=str(self.path),
                                          detail=detail) from exc
            raise FeedbackDamaged(str(self.path), detail) from exc
        except sqlite3.DatabaseError as exc:
            raise FeedbackDamaged(str(self.path), str(exc)) from exc
        if report != ["ok"]:
            raise FeedbackDamaged(str(self.path), "; ".join(report)[:200])
        damaged = [str(r[0]) for r in raw if r[-1] != row_checksum(r[:-1])]
        if damaged:
            raise FeedbackDamaged(str(self.path), "", rows=", ".join(damaged))
        try:
            rows = [FeedbackRow(r[0], r[1], r[2], json.loads(r[3]), r[4], json.loads(r[5]),
                                r[6], r[7], r[8], r[9]) for r in raw]
        except ValueError as exc:
            raise FeedbackDamaged(str(self.path), str(exc)[:160]) from exc
        return [r for r in rows if vote is None or r.vote == vote]


class FeedbackDamaged(FeedbackUnavailable):
    """The feedback database failed its integrity check, or rows their checksums."""

    def __init__(self, path: str, detail: str, rows: str = "") -> None:
        if rows:
            super().__init__("feedback_damaged_rows", path=path, rows=rows)
        else:
            super().__init__("feedback_damaged", path=path, detail=detail)


def seal(connection: sqlite3.Connection, row_id: int) -> None:
    """Store the row's checksum (after every write to it, in the same transaction)."""
    values = connection.execute(f"SELECT {', '.join(COLUMNS)} FROM feedback WHERE id = ?",
                                (row_id,)).fetchone()
    if values is not None:
        connection.execute("UPDATE feedback SET checksum = ? WHERE id = ?",
                           (row_checksum(values), row_id))


def add_checksums(connection: sqlite3.Connection) -> None:
    """A database from before checksums gets the column, and its rows their checksums (as
    they are now: what came before cannot be verified)."""
    columns = {r[1] for r in connection.execute("PRAGMA table_info(feedback)")}
    if "checksum" in columns:
        return
    connection.execute("ALTER TABLE feedback ADD COLUMN checksum TEXT NOT NULL DEFAULT ''")
    for (row_id,) in connection.execute("SELECT id FROM feedback").fetchall():
        seal(connection, row_id)


def describe_failure(exc: sqlite3.Error | OSError) -> FeedbackUnavailable:
    """A locked, full or broken database as one message a person can act on."""
    detail = (str(exc).splitlines() or [type(exc).__name__])[0][:160]
    text = detail.lower()
    if "locked" in text or "busy" in text:
        return FeedbackUnavailable("feedback_locked", detail=detail)
    if "full" in text or "no space" in text:
        return FeedbackUnavailable("feedback_full", detail=detail)
    return FeedbackUnavailable("feedback_unavailable", detail=detail)


def check_vote(vote: int) -> int:
    if vote not in (-1, 1):
        raise ValueError(f"vote must be +1 or -1, not {vote!r}")
    return vote


def eval_record(row: FeedbackRow) -> dict[str, Any]:
    """A thumbs-down row as a question of the evaluation set (shared/eval/dev.jsonl keys).

    Without a correction nothing says what the right answer is, so ``facts`` stays empty;
    with one, the whole correction is the one fact to find (a reviewer can loosen it).
    """
    correction = row.corrected_answer.strip()
    return {
        "id": f"feedback-{row.id}",
        "q": row.question,
        "lang": row.language,
        "persona": "feedback",
        "kind": "feedback",
        "facts": [[re.escape(correction)]] if correction else [],
        "evidence": [],
        "history": row.history,
        "comment": row.comment,
        "answer_given": row.answer,
    }
