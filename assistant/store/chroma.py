"""Store stage: Chroma, embedded (default) or a server, with generation-swapped collections.

Each ingestion that changes something writes a *new generation* of collections
(chunks, units, organisation mentions and the directory built from them), copies the
unchanged documents' records into it, and only then switches the active generation, a
single record in a small meta collection. An interrupted run therefore leaves the
previous generation answering; orphans are deleted by the next run.
"""

from __future__ import annotations

import errno
import json
import logging
import re
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import chromadb
import httpx
import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.api.shared_system_client import SharedSystemClient
from chromadb.config import Settings as ChromaSettings
from filelock import FileLock, Timeout

from assistant.core.errors import IndexUnavailable
from assistant.core.settings import Settings
from assistant.store.leases import GenerationLeases

logger = logging.getLogger(__name__)
STATE_ID = "state"
CHROMA_TABLES = {"collections", "segments"}  # tables every Chroma store has
LOCK_NAME = "ingest.lock"
COSINE = {"hnsw:space": "cosine"}
# Units, mentions and the directory are read by id or metadata, never searched by vector,
# but Chroma builds a search graph over every vector it holds: a minimal one for those
# (25,000 unit vectors added in 10.3 CPU s instead of 21.0; bench/RESULTS.md).
LOOKUP_ONLY = {**COSINE, "hnsw:construction_ef": 8, "hnsw:M": 4}
ADD_BATCH = 2000  # records per Chroma add: well under its cap (5,461 embedded)


@dataclass
class DocRecord:
    """What the index knows of one ingested document."""

    content_hash: str
    file: str
    title: str
    organisation: str
    language: str
    original_file: str
    chunks: int
    ingested_at: float


@dataclass
class IndexState:
    generation: int
    embedding_model: str
    documents: dict[str, DocRecord] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str) -> IndexState:
        data = json.loads(raw)
        docs = {k: DocRecord(**v) for k, v in data.get("documents", {}).items()}
        return cls(data["generation"], data["embedding_model"], docs)


def describe_failure(exc: BaseException, settings: Settings | None = None) -> IndexUnavailable:
    """Map Chroma/sqlite/network/disk failures to one clear message. With the settings, a
    full disk or a read-only data folder is said as such (naming the folder), never as a
    corrupted index that a rebuild would fix."""
    return store_failure(exc, settings) or IndexUnavailable("index_corrupted",
                                                            detail=first_line(exc))


def first_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0][:160] if str(exc).strip() else type(exc).__name__


# A data folder with less free space than this when the store fails is taken as full: Chroma
# reports a full disk as "Error in compaction: Failed to apply logs to the metadata segment".
DISK_FULL_MARGIN = 64 * 1024 * 1024
UNREACHABLE_WORDS = ("connect", "refused", "timed out", "timeout", "resolve", "http",
                     "disconnected", "unreachable", "circuit open", "reset by peer")


def store_failure(exc: BaseException, settings: Settings | None = None
                  ) -> IndexUnavailable | None:
    """The message for a failure of the store (network, lock, disk); None when it does not
    look like one (a bug, to be reported as such)."""
    detail = first_line(exc)
    chain = [error for error in causes(exc) if from_store(error)]
    folder = str(settings.data_dir) if settings is not None else ""
    embedded = settings is not None and not settings.chroma_host
    for error in chain:
        if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT) \
                and embedded:
            return IndexUnavailable("store_disk_full", path=folder, detail=detail)
        if isinstance(error, OSError) and error.errno == errno.EROFS and embedded:
            return IndexUnavailable("data_dir_read_only", path=folder, detail=detail)
        if isinstance(error, httpx.TransportError | ConnectionError | TimeoutError):
            return IndexUnavailable("store_unreachable", detail=detail)
    if not chain:
        return None
    text = " ".join(first_line(e) for e in chain).lower()
    if embedded and ("readonly database" in text or "read-only file system" in text):
        return IndexUnavailable("data_dir_read_only", path=folder, detail=detail)
    if embedded and ("disk is full" in text or "no space left" in text or disk_nearly_full(
            settings)):  # type: ignore[arg-type]
        return IndexUnavailable("store_disk_full", path=folder, detail=detail)
    if "locked" in text or "busy" in text:
        return IndexUnavailable("store_locked", detail=detail)
    if not embedded and any(w in text for w in UNREACHABLE_WORDS):
        return IndexUnavailable("store_unreachable", detail=detail)
    return None


# Where the store's failures come from: Chroma (its Rust core's errors included), SQLite, the
# HTTP client, the system. A bug elsewhere whose text says "http" or "locked" stays a bug.
STORE_MODULES = {"chromadb", "sqlite3", "httpx", "httpcore"}


def from_store(error: BaseException) -> bool:
    return isinstance(error, OSError) or type(error).__module__.split(".")[0] in STORE_MODULES


def causes(exc: BaseException) -> list[BaseException]:
    """The exception and those it was raised from or during."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain and len(chain) < 10:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def disk_nearly_full(settings: Settings) -> bool:
    try:
        return shutil.disk_usage(settings.data_dir).free < DISK_FULL_MARGIN
    except OSError:
        return False


class CircuitBreaker(httpx.BaseTransport):
    """The HTTP transport to a Chroma server, failing fast for ``cooldown`` seconds after a
    request timed out: a hung server (stopped, port open, nothing answers) costs each
    session one timeout at most, not one per store call (a question makes several). A
    refused connection fails fast by itself: it does not open the breaker, so answers
    resume as soon as a stopped server is back."""

    def __init__(self, transport: httpx.BaseTransport, cooldown: float) -> None:
        self.transport = transport
        self.cooldown = cooldown
        self.open_until = 0.0
        self.reason = ""
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            waiting = self.open_until - time.monotonic()
            reason = self.reason
        if waiting > 0:
            raise httpx.ConnectError(f"circuit open for {waiting:.0f} s after: {reason}",
                                     request=request)
        try:
            return self.transport.handle_request(request)
        except httpx.TimeoutException as exc:
            with self._lock:
                self.open_until = time.monotonic() + self.cooldown
                self.reason = first_line(exc)
            raise

    def close(self) -> None:
        self.transport.close()


def limit_waits(client: ClientAPI, settings: Settings) -> None:
    """Every request to a Chroma server gets the settings' timeout and the circuit breaker.

    Our own because the library offers none: chromadb's HttpClient builds its httpx.Client
    with ``timeout=None`` and no setting changes it (its ``chroma_*_request_timeout_seconds``
    apply to the distributed gRPC backend only), so a hung server is waited for forever."""
    server = getattr(client, "_server", None)
    session = getattr(server, "_session", None)
    if not isinstance(session, httpx.Client):
        logger.warning("chromadb's HTTP client is not as expected: requests to the server "
                       "have no timeout (ASSISTANT_CHROMA_TIMEOUT_S is not applied)")
        return
    session.timeout = httpx.Timeout(settings.chroma_timeout_s)
    transport = getattr(session, "_transport", None)
    if isinstance(transport, httpx.BaseTransport) and not isinstance(transport, CircuitBreaker):
        session._transport = CircuitBreaker(transport, settings.chroma_timeout_s)


def within_timeout(make: Callable[[], ClientAPI], seconds: float) -> ClientAPI:
    """``make()`` in a daemon thread, waited for ``seconds``: chromadb's HttpClient sends
    requests with no timeout while it is built (identity, tenant, database), before its
    session can be given one. On a hung server the thread stays blocked until the server
    answers or goes; being a daemon, it keeps no process from exiting."""
    made: list[ClientAPI] = []
    failed: list[BaseException] = []

    def run() -> None:
        try:
            made.append(make())
        except BaseException as exc:  # noqa: BLE001 - handed to the caller below
            failed.append(exc)

    thread = threading.Thread(target=run, name="chroma-connect", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise TimeoutError(f"no answer from the Chroma server within {seconds:g} s")
    if failed:
        raise failed[0]
    return made[0]


def open_client(settings: Settings) -> ClientAPI:
    """An embedded persistent client, or an HTTP client when a host is configured."""
    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    try:
        if settings.chroma_host:
            host = settings.chroma_host
            client = within_timeout(lambda: chromadb.HttpClient(
                host=host,
                port=settings.chroma_port,
                ssl=settings.chroma_ssl,
                settings=chroma_settings,
            ), settings.chroma_timeout_s)
            limit_waits(client, settings)
            client.heartbeat()
            return client
        if settings.chroma_path.exists() and not settings.chroma_path.is_dir():
            raise IndexUnavailable("index_corrupted",
                                   detail=f"{settings.chroma_path}: not a folder")
        make_data_folder(settings.chroma_path)
        refuse_foreign_database(settings.chroma_path / "chroma.sqlite3")
        return chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)
    except IndexUnavailable:
        raise
    except Exception as exc:  # chromadb raises many types; all mean "store unusable"
        raise describe_failure(exc, settings) from exc


def make_data_folder(path: Path) -> None:
    """Create a data folder; a file in its place (or no write access) is said plainly, not
    as a corrupted index that a rebuild would not fix."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise IndexUnavailable("data_dir_unusable", path=str(path),
                               detail=f"{type(exc).__name__}: {exc.strerror or exc}") from exc


def refuse_foreign_database(path: Path) -> None:
    """Another program's SQLite database where Chroma's should be: Chroma would add its
    tables to it and write the index there. Say so (a rebuild sets it aside) instead."""
    if not path.is_file():
        return
    try:
        with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as connection:
            tables = {row[0] for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.Error:
        return  # not readable as SQLite at all: Chroma's own error says it is corrupted
    if tables and not tables >= CHROMA_TABLES:
        found = ", ".join(sorted(tables))[:80]
        raise IndexUnavailable("index_corrupted",
                               detail=f"{path.name}: not a Chroma store ({found})")


@contextmanager
def ingestion_lock(settings: Settings,
                   on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """One ingestion (or rebuild) at a time per data folder, across processes.

    Two at once would both write generation N+1 and delete each other's collections. The
    lock is an OS file lock (flock), so the system releases it when its holder dies, even
    by kill -9: no stale lock to clean up by hand."""
    make_data_folder(settings.data_dir)
    path = settings.data_dir / LOCK_NAME
    lock = FileLock(path)
    try:
        lock.acquire(timeout=0)
    except Timeout:  # (a TimeoutError, hence an OSError: caught first)
        if on_wait is not None:
            on_wait()
        try:
            lock.acquire(timeout=settings.ingest_wait_seconds)
        except Timeout as exc:
            raise IndexUnavailable("ingest_busy", path=str(path),
                                   seconds=round(settings.ingest_wait_seconds)) from exc
    except OSError as exc:  # a read-only or full data folder: said as such
        raise store_failure(exc, settings) or IndexUnavailable(
            "data_dir_unusable", path=str(settings.data_dir), detail=first_line(exc)) from exc
    try:
        yield
    finally:
        lock.release()


def drop_unused_generations(store: IndexStore) -> bool:
    """Delete the generations neither active nor held, unless an ingestion is running (it
    does so itself at its end): a previous generation goes once the last question holding
    it is done. True when it ran."""
    lock = FileLock(store.settings.data_dir / LOCK_NAME)
    try:
        lock.acquire(timeout=0)
    except (Timeout, OSError):
        return False
    try:
        state = store.read_state()
        if state is not None:
            store.drop_generations_except(state.generation)
        return True
    finally:
        lock.release()


class IndexStore:
    """Collections of the active generation, and the state that names it."""

    def __init__(self, settings: Settings, client: ClientAPI | None = None) -> None:
        self.settings = settings
        self.client = client or open_client(settings)
        self.prefix = settings.collection_prefix
        # The generations questions hold, in this process and the others of the data folder.
        self.leases = GenerationLeases(settings.data_dir, self.prefix)
        self._state_cache: tuple[str, IndexState] | None = None  # (its JSON, parsed)

    # -- names -------------------------------------------------------------
    def chunks_name(self, generation: int) -> str:
        return f"{self.prefix}_g{generation}_chunks"

    def units_name(self, generation: int) -> str:
        return f"{self.prefix}_g{generation}_units"

    def orgs_name(self, generation: int) -> str:
        """The directory's organisation mentions, stored beside the passages they cite."""
        return f"{self.prefix}_g{generation}_orgs"

    def directory_name(self, generation: int) -> str:
        """The directory built from those mentions (``assistant.directory_store``)."""
        return f"{self.prefix}_g{generation}_directory"

    def generation_names(self, generation: int) -> list[str]:
        return [self.chunks_name(generation), self.units_name(generation),
                self.orgs_name(generation), self.directory_name(generation)]

    @property
    def meta_name(self) -> str:
        return f"{self.prefix}_meta"

    # -- state -------------------------------------------------------------
    def read_state(self) -> IndexState | None:
        try:
            meta = self.client.get_or_create_collection(self.meta_name, embedding_function=None)
            got = meta.get(ids=[STATE_ID], include=["documents"])
            documents = got.get("documents") or []
            if not documents:
                return None
            # Parsed once per state: its JSON lists every document (23 ms at x1000, read
            # twice a question), and it only changes when an ingestion commits.
            if self._state_cache is None or self._state_cache[0] != documents[0]:
                self._state_cache = (documents[0], IndexState.from_json(documents[0]))
            return self._state_cache[1]
        except (ValueError, KeyError, TypeError) as exc:
            raise IndexUnavailable("index_corrupted", detail=str(exc)[:160]) from exc
        except Exception as exc:
            raise describe_failure(exc, self.settings) from exc

    def write_state(self, state: IndexState) -> None:
        """The commit point of an ingestion: one upsert switches the active generation."""
        meta = self.client.get_or_create_collection(self.meta_name, embedding_function=None)
        # Chroma wants a vector on every record; the state record's is a placeholder.
        meta.upsert(ids=[STATE_ID], documents=[state.to_json()], embeddings=[[0.0]])  # type: ignore[arg-type]

    # -- collections -------------------------------------------------------
    def collection(self, name: str) -> Collection:
        """The collection, created if missing; only the chunks are searched by vector."""
        searched = name.endswith("_chunks")
        return self.client.get_or_create_collection(
            name, metadata=COSINE if searched else LOOKUP_ONLY, embedding_function=None
        )

    def existing_collection(self, name: str) -> Collection:
        try:
            return self.client.get_collection(name, embedding_function=None)
        except Exception as exc:
            failure = store_failure(exc, self.settings)
            if failure is not None:
                raise failure from exc
            raise IndexUnavailable("index_corrupted", detail=f"{name}: {exc}"[:160]) from exc

    def drop_generations_except(self, keep: int | None) -> None:
        """Delete collections of other generations (old ones, or orphans of a crash), but not
        of a generation a question still holds (see ``store.leases``); then the segment
        folders no collection names any more."""
        kept = self.leases.held() | ({keep} if keep is not None else set())
        wanted = {name for generation in kept for name in self.generation_names(generation)}
        for name in self.list_collection_names():
            if name.startswith(f"{self.prefix}_g") and name not in wanted:
                self.client.delete_collection(name)
        sweep_segment_folders(self.settings)

    def generations(self) -> set[int]:
        """The generations that have collections in the store."""
        found = set()
        for name in self.list_collection_names():
            match = re.fullmatch(rf"{re.escape(self.prefix)}_g(\d+)_[a-z]+", name)
            if match:
                found.add(int(match.group(1)))
        return found

    def list_collection_names(self) -> list[str]:
        return [c if isinstance(c, str) else c.name for c in self.client.list_collections()]


SEGMENT_FOLDER = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def sweep_segment_folders(settings: Settings) -> list[str]:
    """Delete the segment folders of an embedded store that no segment of its database
    names: Chroma leaves a deleted collection's vector folder behind (4 folders a
    re-index), and a killed ingestion leaves its unfinished ones. The folders removed.

    Called under the ingestion lock: no other ingestion creates collections meanwhile, and
    a folder is listed before the database is read, so a folder made after its segment row
    is always named."""
    if settings.chroma_host or not settings.chroma_path.is_dir():
        return []
    folders = [p for p in settings.chroma_path.iterdir()
               if p.is_dir() and SEGMENT_FOLDER.fullmatch(p.name)]
    if not folders:
        return []
    database = settings.chroma_path / "chroma.sqlite3"
    try:
        with closing(sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True,
                                     timeout=5)) as connection:
            named = {str(row[0]) for row in connection.execute("SELECT id FROM segments")}
    except sqlite3.Error:
        return []  # unreadable: touch nothing
    removed = []
    for folder in folders:
        if folder.name not in named:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder.name)
    if removed:
        logger.info("removed %d segment folder(s) no collection uses", len(removed))
    return removed


def copy_records(source: Collection, target: Collection, where: dict[str, Any]) -> int:
    """Copy records (vectors included) matching ``where``: unchanged documents are not
    embedded again. A page at a time: an embedded Chroma's get of more than 32,766
    records fails ("too many SQL variables"; the x1000 corpus has 250,000 units)."""
    copied = 0
    while True:
        got: Any = source.get(where=where, limit=ADD_BATCH, offset=copied,  # type: ignore[arg-type]
                              include=["embeddings", "documents", "metadatas"])
        if not got["ids"]:
            return copied
        add_in_batches(target, got["ids"], got["documents"], got["embeddings"], got["metadatas"])
        copied += len(got["ids"])


READ_PAGE = 10_000  # records per get: an embedded Chroma fails above 32,766 SQL variables


def get_all(collection: Collection, include: Sequence[str]) -> dict[str, list[Any]]:
    """Every record of a collection, read a page at a time (one get of a whole x1000
    collection fails with "too many SQL variables"); the usual get() keys, as lists."""
    result: dict[str, list[Any]] = {"ids": [], **{key: [] for key in include}}
    while True:
        got: Any = collection.get(limit=READ_PAGE, offset=len(result["ids"]),
                                  include=list(include))  # type: ignore[arg-type]
        if not got["ids"]:
            return result
        for key in result:
            result[key].extend(got[key] if got[key] is not None else [])


def add_in_batches(collection: Collection, ids: Sequence[str], documents: Sequence[str],
                   embeddings: Any, metadatas: Sequence[Any]) -> None:
    """Add records in batches: Chroma caps a single add; keep well under it."""
    for start in range(0, len(ids), ADD_BATCH):
        end = start + ADD_BATCH
        collection.add(
            ids=list(ids[start:end]),
            embeddings=embeddings[start:end],
            documents=list(documents[start:end]),
            metadatas=list(metadatas[start:end]),
        )


class RecordBuffer:
    """Records bound for one collection, added ``ADD_BATCH`` at a time across documents.

    Chroma's cost is per add call as much as per record (20,000 records of 64 numbers:
    31 s in adds of 20, 9 s in adds of 2,000; bench/RESULTS.md), and one document holds
    only tens of records. ``flush`` before the generation switch: what is still buffered
    is not in the store."""

    def __init__(self, collection: Collection) -> None:
        self.collection = collection
        self.ids: list[str] = []
        self.documents: list[str] = []
        self.embeddings: list[np.ndarray] = []  # 2-D blocks, stacked at flush
        self.metadatas: list[Any] = []

    def add(self, ids: Sequence[str], documents: Sequence[str], embeddings: np.ndarray,
            metadatas: Sequence[Any]) -> None:
        self.ids.extend(ids)
        self.documents.extend(documents)
        self.embeddings.append(embeddings)
        self.metadatas.extend(metadatas)
        if len(self.ids) >= ADD_BATCH:
            self.flush()

    def flush(self) -> None:
        if self.ids:
            add_in_batches(self.collection, self.ids, self.documents,
                           np.vstack(self.embeddings), self.metadatas)
        self.ids, self.documents, self.embeddings, self.metadatas = [], [], [], []


def set_aside_corrupted_store(settings: Settings,
                              on_wait: Callable[[], None] | None = None) -> str | None:
    """Move an unreadable embedded store aside (never delete it) so a rebuild can start;
    never while an ingestion is writing to it."""
    if settings.chroma_host or not settings.chroma_path.exists():
        return None
    with ingestion_lock(settings, on_wait):
        return _move_aside(settings.chroma_path)


def _move_aside(path: Path) -> str | None:
    if not path.exists():  # another rebuild moved it while this one waited
        return None
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside = path.with_name(f"{path.name}.corrupt-{stamp}")
    counter = 1
    while aside.exists():  # two rebuilds in the same second keep both copies
        counter += 1
        aside = path.with_name(f"{path.name}.corrupt-{stamp}-{counter}")
    shutil.move(str(path), str(aside))
    # Chroma caches one client per path: forget it so this process opens the new store.
    SharedSystemClient.clear_system_cache()
    return str(aside)


__all__ = [
    "DocRecord",
    "IndexState",
    "IndexStore",
    "RecordBuffer",
    "add_in_batches",
    "copy_records",
    "drop_unused_generations",
    "ingestion_lock",
    "open_client",
    "set_aside_corrupted_store",
    "store_failure",
    "sweep_segment_folders",
]
