"""Which store generations questions are using, across the processes of one data folder.

A re-index switches the active generation, then deletes the previous one. A question that
started on the previous one (the web chat, ``assistant ask`` in another process) failed
with "Collection ... does not exist" (1 of ~675 questions while re-indexing). So a question
*holds* its generation, and an ingestion deletes no generation that is held.

A hold is a lock file ``data/leases/<prefix>-g<N>-<pid>-<id>.lease``, one per process and
generation, with an exclusive ``flock`` on it for as long as the process uses that
generation: the system releases it when the process dies, even by kill -9, so a crashed
process never pins a generation. The file is locked under a temporary name and only then
renamed, so an ingestion never takes a half-made hold for a stale one.

The files are per machine: processes on other machines sharing one Chroma server are not
seen (README, Faults and limits).
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

logger = logging.getLogger(__name__)
FOLDER_NAME = "leases"
_NAME = re.compile(r"(?P<prefix>.+)-g(?P<generation>\d+)-\d+-[0-9a-f]+\.lease")


class GenerationLeases:
    """Holds of this process on the generations of one collection prefix, and what every
    process of the data folder holds."""

    def __init__(self, data_dir: Path, prefix: str) -> None:
        self.folder = data_dir / FOLDER_NAME
        self.prefix = prefix
        self._lock = threading.Lock()
        self._held: dict[int, tuple[int, IO[bytes], Path]] = {}  # generation -> count, file

    @contextmanager
    def hold(self, generation: int) -> Iterator[None]:
        """Hold ``generation`` (re-entrant, shared by the threads of this process). Where
        no lock file can be made (a read-only or full data folder) the block runs unheld:
        a question is not refused for want of a hold."""
        try:
            self._acquire(generation)
        except OSError:
            logger.warning("generation %d not held: %s unusable", generation, self.folder,
                           exc_info=True)
            yield
            return
        try:
            yield
        finally:
            self._release(generation)

    def _acquire(self, generation: int) -> None:
        with self._lock:
            if generation in self._held:
                count, handle, path = self._held[generation]
                self._held[generation] = (count + 1, handle, path)
            else:
                handle, path = self._lock_file(generation)
                self._held[generation] = (1, handle, path)

    def _release(self, generation: int) -> None:
        with self._lock:
            count, handle, path = self._held[generation]
            if count > 1:
                self._held[generation] = (count - 1, handle, path)
                return
            del self._held[generation]
            try:
                path.unlink(missing_ok=True)
            finally:
                handle.close()  # closing the file releases its lock

    def _lock_file(self, generation: int) -> tuple[IO[bytes], Path]:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{self.prefix}-g{generation}-{os.getpid()}-{secrets.token_hex(4)}.lease"
        temporary = self.folder / f".{name}.tmp"
        handle = open(temporary, "wb")  # noqa: SIM115 - held open: it carries the lock
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            final = self.folder / name
            temporary.rename(final)
        except BaseException:
            handle.close()
            temporary.unlink(missing_ok=True)
            raise
        return handle, final

    def held(self) -> set[int]:
        """The generations some live process holds; the files of dead ones are removed."""
        with self._lock:
            found = set(self._held)
        if not self.folder.is_dir():
            return found
        for path in self.folder.iterdir():
            match = _NAME.fullmatch(path.name)
            if match is None or match["prefix"] != self.prefix:
                continue
            generation = int(match["generation"])
            if generation in found:
                continue
            if is_locked(path):
                found.add(generation)
            else:
                path.unlink(missing_ok=True)  # its process is gone
        return found


def is_locked(path: Path) -> bool:
    """Does a live process hold the file's lock?"""
    try:
        handle = open(path, "rb")  # noqa: SIM115
    except OSError:
        return False  # gone meanwhile
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        handle.close()  # also releases the lock taken to test it
    return False
