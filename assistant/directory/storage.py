"""The organisation directory, built at ingestion and stored beside its store generation.

Merging every mention of the corpus into a directory (``directory.build_directory``) and
finding the long names whose initials spell a known acronym (``spelled_aliases``) took
~80-110 s at x1000 on the first directory question of each process. Ingestion now does it
once, before the generation switch, and stores the result in the generation's
``..._directory`` collection: a question only reads it back (pages of organisations as
JSON). The collection belongs to the new generation, so it becomes visible with the
switch, like the passages, and an interrupted ingestion leaves the previous one answering.

The spelled-alias scan is the costly part and it is kept incremental: for each document
the collection also holds the (chunk, clause, letters, long name) it found, scanned
against the acronym letters the header lists. The next ingestion reuses them for the
unchanged documents and scans those only for letters that are new (a new acronym
somewhere), and scans changed documents whole. The aliases are then put in the order the
whole-corpus ``spelled_aliases`` gives them (documents in corpus order, chunks, clauses,
then letters as that function tries them), so the directory is the same as a fresh build.

A stored directory is used only when its header's fingerprint (the code and word lists
that build a directory) is this program's: otherwise the service builds it as before
(``directory_search.load_directory``), and the next ``assistant ingest`` stores it again
without re-embedding anything (stores made before this module have no such collection:
the same).
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import time
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from assistant.core import messages
from assistant.core import text as textproc
from assistant.core.wordlists import data_path
from assistant.directory import organisations as directory_module
from assistant.directory.extraction.fingerprint import rule_files
from assistant.directory.extraction.mention import Mention
from assistant.directory.extraction.names import CLAUSE_BREAK_RE, name_key
from assistant.directory.extraction.spelling import acronym_table, clause_runs, letters_index
from assistant.directory.organisations import (
    Directory,
    Organisation,
    Relation,
    Source,
    build_directory,
)
from assistant.store import chroma as store_module
from assistant.store.chroma import READ_PAGE, IndexState, IndexStore, get_all

logger = logging.getLogger(__name__)

FORMAT = 1  # bump when the records below change shape
HEADER_ID = "header"
PAGE_ORGS = 250  # organisations per record
RECORD_BYTES = 8_000_000  # most packed characters per add call (a server's request)


# --------------------------------------------------------------------------- fingerprint


@cache
def fingerprint() -> str:
    """Changes with the code and word lists that build a directory: a directory stored by
    another version is not used (the service builds one, the next ingestion stores it)."""
    digest = hashlib.sha256(f"format {FORMAT}".encode())
    for module in (directory_module, textproc, messages):
        digest.update(Path(str(module.__file__)).read_bytes())
    for path in rule_files():  # the extraction package and the core rules it calls
        digest.update(path.read_bytes())
    digest.update(Path(__file__).read_bytes())
    for stage, name in (("directory", "directory"), ("directory", "themes"), ("core", "names"),
                        ("core", "addresses")):
        digest.update(data_path(stage, name).read_bytes())
    return digest.hexdigest()[:16]


# --------------------------------------------------------------------------- (de)serialisation


def _source_ref(source: Source, table: dict[Source, int]) -> int:
    return table.setdefault(source, len(table))


def organisation_record(org: Organisation, table: dict[Source, int]) -> dict[str, Any]:
    """Every field of an organisation; its sources as numbers in the page's table (one
    passage is often the evidence of several organisations)."""
    return {
        "key": org.key, "name": org.name, "full_name": org.full_name,
        "aliases": list(org.aliases), "description": org.description,
        "sources": [_source_ref(s, table) for s in org.sources],
        "town": org.town, "address": org.address, "website": org.website,
        "themes": dict(org.themes),
        "theme_sources": {k: [desc, _source_ref(src, table)]
                          for k, (desc, src) in org.theme_sources.items()},
        "concepts": {k: sorted(v) for k, v in org.concepts.items()},
        "relations": [[r.kind, r.target, r.target_name, _source_ref(r.source, table), r.context]
                      for r in org.relations],
        "keys": sorted(org.keys), "text": org.text,
        "vectors": None if org.vectors is None else org.vectors.tolist(),
    }


def organisation_from_record(data: Mapping[str, Any], sources: Sequence[Source]) -> Organisation:
    return Organisation(
        key=data["key"], name=data["name"], full_name=data["full_name"],
        aliases=list(data["aliases"]), description=data["description"],
        sources=[sources[i] for i in data["sources"]],
        town=data["town"], address=data["address"], website=data["website"],
        themes=dict(data["themes"]),
        theme_sources={k: (desc, sources[i]) for k, (desc, i) in data["theme_sources"].items()},
        concepts={k: set(v) for k, v in data["concepts"].items()},
        relations=[Relation(kind, target, target_name, sources[i], context)
                   for kind, target, target_name, i, context in data["relations"]],
        keys=set(data["keys"]), text=data["text"],
        vectors=None if data["vectors"] is None else np.asarray(data["vectors"],
                                                                 dtype=np.float32),
    )


def directory_pages(directory: Directory, size: int = PAGE_ORGS) -> list[dict[str, Any]]:
    """The directory as JSON-ready pages of ``size`` organisations, in directory order."""
    pages = []
    for start in range(0, len(directory.organisations), size):
        table: dict[Source, int] = {}
        orgs = [organisation_record(o, table) for o in directory.organisations[start:start + size]]
        sources = [[s.chunk_id, s.text, s.document] for s in table]
        pages.append({"sources": sources, "organisations": orgs})
    return pages


def directory_from_pages(pages: Iterable[Mapping[str, Any]]) -> Directory:
    """The directory back from its pages."""
    organisations: list[Organisation] = []
    for data in pages:
        sources = [Source(chunk_id, text, document) for chunk_id, text, document in data["sources"]]
        organisations.extend(organisation_from_record(o, sources) for o in data["organisations"])
    return Directory(organisations)


# --------------------------------------------------------------------------- spelled aliases


class Spelled(NamedTuple):
    """A long name found in a document whose initials spell ``letters``."""

    chunk_index: int
    clause: int  # the clause's place in its chunk
    letters: str
    run: str
    chunk_id: str


def scan_document(chunks: Iterable[tuple[int, str, str]],
                  by_first: Mapping[str, Sequence[str]],
                  runs_of: dict[str, list[tuple[str, str]]] | None = None) -> list[Spelled]:
    """A document's long names that spell one of the indexed letters: the first place
    each (letters, name) is found in the document. ``chunks`` are (index, id, text);
    ``runs_of`` caches clauses across documents (synthetic and real corpora repeat them)."""
    runs_of = {} if runs_of is None else runs_of
    found: list[Spelled] = []
    seen: set[tuple[str, str]] = set()
    for index, cid, text in sorted(chunks):
        for place, clause in enumerate(CLAUSE_BREAK_RE.split(text)):
            runs = runs_of.get(clause)
            if runs is None:
                runs = runs_of[clause] = clause_runs(clause, by_first)
            for letters, run in runs:
                if (letters, run) not in seen:
                    seen.add((letters, run))
                    found.append(Spelled(index, place, letters, run, cid))
    return found


def assemble_aliases(per_document: Iterable[Sequence[Spelled]],
                     table: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """(chunk id, acronym, long name) in ``spelled_aliases``' order, from each document's
    findings given in corpus order; letters no longer in ``table`` are dropped."""
    rank = {letters: i for i, letters in enumerate(table)}
    found: list[tuple[str, str, str]] = []
    seen: set[tuple[str, str]] = set()
    for entries in per_document:
        kept = sorted((e for e in entries if e.letters in rank),
                      key=lambda e: (e.chunk_index, e.clause, e.letters[:2], rank[e.letters]))
        for entry in kept:
            acronym = table[entry.letters]
            if name_key(entry.run) == name_key(acronym) or (entry.run, acronym) in seen:
                continue
            seen.add((entry.run, acronym))
            found.append((entry.chunk_id, acronym, entry.run))
    return found


# --------------------------------------------------------------------------- building


@dataclass
class DocumentInput:
    """What ingestion hands over of a new or changed document."""

    mentions: list[Mention]
    chunks: list[tuple[int, str, str]]  # (chunk index, chunk id, text as stored)


@dataclass
class Built:
    directory: Directory
    spelled: dict[str, list[Spelled]]  # doc id -> findings
    letters: list[str]  # the acronym letters every document was scanned for
    seconds: dict[str, float] = field(default_factory=dict)


def corpus_order(doc_ids: Iterable[str]) -> list[str]:
    """Documents in the order a fresh ingestion writes them (``corpus.list_files`` sorts
    paths, part by part)."""
    return sorted(doc_ids, key=lambda d: d.split("/"))


def _number(record_id: str, separator: str) -> int:
    tail = record_id.rsplit(separator, 1)[-1]
    return int(tail) if tail.isdigit() else 0


def build(store: IndexStore, generation: int, state: IndexState,
          fresh: Mapping[str, DocumentInput], previous: int | None = None) -> Built:
    """The generation's directory: new documents' mentions and chunks from memory, the
    others' from the generation's collections; spelled aliases reused from the
    ``previous`` generation's stored directory where it is valid."""
    clock = time.perf_counter()
    seconds: dict[str, float] = {}

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[name] = seconds.get(name, 0.0) + now - clock
        clock = now

    order = corpus_order(state.documents)
    owner = {record.content_hash[:16]: doc_id for doc_id, record in state.documents.items()}
    copied = [d for d in order if d not in fresh]

    mentions_of: dict[str, list[Mention]] = {d: list(i.mentions) for d, i in fresh.items()}
    if copied:
        mentions_of.update(_stored_mentions(store, generation, owner, set(fresh)))
    mentions = [m for d in order for m in mentions_of.get(d, [])]
    table = acronym_table(mentions)
    lap("mentions")

    spelled = _findings(store, generation, previous, table, fresh, copied, owner)
    lap("spelled scan")

    aliases = assemble_aliases((spelled.get(d, []) for d in order), table)
    texts = {cid: text for i in fresh.values() for _, cid, text in i.chunks}
    texts.update(_chunk_texts(store, generation, [c for c, _, _ in aliases if c not in texts]))
    alias_mentions = [Mention(name=acronym, doc_id="", chunk_id=cid, evidence=texts[cid],
                              defined=False, aliases=[run]) for cid, acronym, run in aliases]
    del texts
    directory = build_directory([*mentions, *alias_mentions])
    lap("merge")
    return Built(directory, spelled, list(table), seconds)


def _findings(store: IndexStore, generation: int, previous: int | None,
              table: Mapping[str, str], fresh: Mapping[str, DocumentInput],
              copied: Sequence[str], owner: Mapping[str, str]) -> dict[str, list[Spelled]]:
    """Each document's spelled long names: new documents scanned for every acronym, the
    others' taken from the previous stored directory and scanned for new acronyms only
    (for all when there is no usable stored directory). The clause cache and the chunk
    texts read here are let go before the merge (x1000: ~1 GB)."""
    runs_of: dict[str, list[tuple[str, str]]] = {}
    everything = letters_index(table)
    spelled = {d: scan_document(i.chunks, everything, runs_of) for d, i in fresh.items()}
    if not copied:
        return spelled
    cached = _stored_spelled(store, previous, set(copied))
    known = set(cached[0]) if cached is not None else set()
    stored = cached[1] if cached is not None else {}
    for doc_id in copied:
        spelled[doc_id] = [e for e in stored.get(doc_id, []) if e.letters in table]
    missing = [letters for letters in table if letters not in known]
    if missing:
        chunks_of = _stored_chunks(store, generation, owner, set(fresh))
        by_first = letters_index(missing)
        runs_of = {}
        for doc_id in copied:
            spelled[doc_id] += scan_document(chunks_of.get(doc_id, []), by_first, runs_of)
    return spelled


def _stored_mentions(store: IndexStore, generation: int, owner: Mapping[str, str],
                     skip: set[str]) -> dict[str, list[Mention]]:
    """Mentions of the documents not in ``skip``, in their stored order (ids end in -mN)."""
    got = get_all(store.existing_collection(store.orgs_name(generation)), ["documents"])
    numbered: dict[str, list[tuple[int, str]]] = {}
    for record_id, document in zip(got["ids"], got["documents"], strict=True):
        doc_id = owner.get(record_id.split("-", 1)[0])
        if doc_id is not None and doc_id not in skip:
            numbered.setdefault(doc_id, []).append((_number(record_id, "-m"), document))
    return {d: [Mention.from_dict(json.loads(doc)) for _, doc in sorted(items)]
            for d, items in numbered.items()}


def _stored_chunks(store: IndexStore, generation: int, owner: Mapping[str, str],
                   skip: set[str]) -> dict[str, list[tuple[int, str, str]]]:
    """(index, id, text) of the chunks of the documents not in ``skip``."""
    got = get_all(store.existing_collection(store.chunks_name(generation)), ["documents"])
    found: dict[str, list[tuple[int, str, str]]] = {}
    for cid, text in zip(got["ids"], got["documents"], strict=True):
        doc_id = owner.get(cid.split("-", 1)[0])
        if doc_id is not None and doc_id not in skip:
            found.setdefault(doc_id, []).append((_number(cid, "-"), cid, text or ""))
    return found


def _chunk_texts(store: IndexStore, generation: int, ids: Sequence[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    if not ids:
        return found
    collection = store.existing_collection(store.chunks_name(generation))
    unique = list(dict.fromkeys(ids))
    for start in range(0, len(unique), READ_PAGE):
        got: Any = collection.get(ids=unique[start:start + READ_PAGE], include=["documents"])
        found.update(zip(got["ids"], got["documents"], strict=True))
    return found


# --------------------------------------------------------------------------- storing
#
# Records carry no document and no meaningful vector (Chroma wants one: a placeholder): the
# data is zlib-compressed JSON in a metadata value. A page of the x100 directory is 450 KB of
# JSON, 65 KB packed; as documents the pages took 13 times the disk (Chroma indexes every
# document's words) and 4 times as long to write.


def pack(data: Any) -> str:
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return base64.b64encode(zlib.compress(raw, 6)).decode("ascii")


def unpack(packed: str) -> Any:
    return json.loads(zlib.decompress(base64.b64decode(packed)))


def _header(collection: Any) -> dict[str, Any] | None:
    """The header of a stored directory this program can use, else None."""
    got: Any = collection.get(ids=[HEADER_ID], include=["metadatas"])
    if not got["ids"]:
        return None
    meta = got["metadatas"][0] or {}
    if meta.get("format") != FORMAT or meta.get("fingerprint") != fingerprint():
        return None
    header = unpack(str(meta["data"]))
    return {**header, "build": meta["build"]}


def _collection_if_any(store: IndexStore, generation: int | None) -> Any:
    if generation is None:
        return None
    name = store.directory_name(generation)
    if name not in store.list_collection_names():
        return None
    return store.existing_collection(name)


def _records(collection: Any, ids: Sequence[str], build: str) -> list[Any] | None:
    """The unpacked data of records by id, in that order; None when one is missing or
    belongs to another build (written over since the header was read)."""
    found: dict[str, Any] = {}
    for start in range(0, len(ids), READ_PAGE):
        got: Any = collection.get(ids=list(ids[start:start + READ_PAGE]), include=["metadatas"])
        for record_id, meta in zip(got["ids"], got["metadatas"], strict=True):
            if (meta or {}).get("build") != build:
                return None
            found[record_id] = unpack(str(meta["data"]))
    if len(found) != len(ids):
        return None
    return [found[i] for i in ids]


def _page_ids(count: int) -> list[str]:
    return [f"page:{i:06d}" for i in range(count)]


def _stored_spelled(store: IndexStore, generation: int | None, doc_ids: set[str],
                    ) -> tuple[list[str], dict[str, list[Spelled]]] | None:
    """The letters a stored directory's documents were scanned for, and what was found in
    those of ``doc_ids``; None when there is no usable stored directory (scan again)."""
    try:
        collection = _collection_if_any(store, generation)
        header = _header(collection) if collection is not None else None
        if header is None:
            return None
        ordered = sorted(doc_ids)
        records = _records(collection, [f"spelled:{d}" for d in ordered], header["build"])
        if records is None:
            return None
        found = {d: [Spelled(*e) for e in data] for d, data in zip(ordered, records, strict=True)}
        return list(header["letters"]), found
    except Exception as exc:  # noqa: BLE001 - unusable for any reason: scan again
        logger.info("stored spelled aliases unusable (%s): scanning again", exc)
        return None


def write(store: IndexStore, generation: int, built: Built) -> None:
    """Store the directory in the generation's collection, replacing what is there. The
    header goes in the last add: a directory without it is not used."""
    name = store.directory_name(generation)
    if name in store.list_collection_names():
        store.client.delete_collection(name)
    collection = store.collection(name)
    pages = [pack(page) for page in directory_pages(built.directory)]
    doc_ids = sorted(built.spelled)
    spelled = [pack([list(e) for e in sorted(built.spelled[d])]) for d in doc_ids]
    build_id = hashlib.sha256("\x00".join([*pages, *spelled]).encode()).hexdigest()[:16]
    ids = [*_page_ids(len(pages)), *(f"spelled:{d}" for d in doc_ids), HEADER_ID]
    metadatas: list[dict[str, str | int]] = [
        {"kind": "page", "build": build_id, "data": page} for page in pages]
    metadatas += [{"kind": "spelled", "build": build_id, "doc_id": d, "data": data}
                  for d, data in zip(doc_ids, spelled, strict=True)]
    metadatas += [
        {"kind": "header", "build": build_id, "format": FORMAT, "fingerprint": fingerprint(),
         "data": pack({"pages": len(pages), "organisations": len(built.directory),
                       "letters": built.letters})},
    ]
    _add_by_size(collection, ids, metadatas)


def _add_by_size(collection: Any, ids: list[str],
                 metadatas: list[dict[str, str | int]]) -> None:
    """Add in calls of at most ADD_BATCH records and about RECORD_BYTES characters."""
    start = 0
    while start < len(ids):
        end, size = start, 0
        while end < len(ids) and end - start < store_module.ADD_BATCH and (
            end == start or size + len(str(metadatas[end]["data"])) <= RECORD_BYTES
        ):
            size += len(str(metadatas[end]["data"]))
            end += 1
        collection.add(ids=ids[start:end], metadatas=metadatas[start:end],  # type: ignore[arg-type]
                       embeddings=np.ones((end - start, 1), dtype=np.float32))
        start = end


def load(store: IndexStore, generation: int) -> Directory | None:
    """The stored directory of a generation, or None when it has none this program can use
    (a store from before this module, one built by other code, an incomplete one, or one
    being written again by ``assistant ingest``): the caller then builds it, and reports
    a store that cannot be read at all through that path."""
    try:
        collection = _collection_if_any(store, generation)
        header = _header(collection) if collection is not None else None
        if header is None:
            return None
        pages = _records(collection, _page_ids(int(header["pages"])), header["build"])
        if pages is None:
            return None
        directory = directory_from_pages(pages)
        if len(directory) != header["organisations"]:
            return None
        return directory
    except Exception as exc:  # noqa: BLE001 - unusable for any reason: built instead
        logger.warning("stored directory of generation %s unusable (%s: %s): building it",
                       generation, type(exc).__name__, str(exc)[:160])
        return None


def is_current(store: IndexStore, generation: int) -> bool:
    """Whether the generation has a stored directory this program can use."""
    try:
        collection = _collection_if_any(store, generation)
        return collection is not None and _header(collection) is not None
    except Exception:  # noqa: BLE001 - unreadable: to be written again
        return False


__all__ = [
    "Built",
    "DocumentInput",
    "acronym_table",
    "assemble_aliases",
    "build",
    "directory_from_pages",
    "directory_pages",
    "fingerprint",
    "is_current",
    "letters_index",
    "load",
    "scan_document",
    "write",
]
