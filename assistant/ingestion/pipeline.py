"""Ingestion service: corpus -> chunks -> embeddings -> a new store generation.

Content hashes decide what is done: with nothing changed it returns without even
loading the embedding model; otherwise only new or changed documents are embedded.
"""

from __future__ import annotations

import json
import logging
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from tqdm import tqdm

from assistant.core.errors import AssistantError
from assistant.core.settings import Settings
from assistant.core.types import Chunk, Document
from assistant.directory import storage as directory_store
from assistant.directory.extraction.fingerprint import extraction_fingerprint
from assistant.directory.extraction.mention import Mention
from assistant.directory.extraction.reader import extract_mentions
from assistant.ingestion.chunking.document import chunk_document
from assistant.ingestion.corpus import ManifestProblem, SkippedFile, scan_corpus
from assistant.store.chroma import (
    ADD_BATCH,
    DocRecord,
    IndexState,
    IndexStore,
    RecordBuffer,
    copy_records,
    ingestion_lock,
    store_failure,
)
from embeddings.base import TextEncoder, encode_passages_and_spans

if TYPE_CHECKING:  # imported where chunks are written: llama-index costs 1.5 s, and a run
    # that finds nothing changed writes none
    from llama_index.core.schema import BaseNode

logger = logging.getLogger(__name__)

# Bump when cleaning, chunking (with the core sentences, list marks and acronyms they use) or
# what is stored changes: every document is then re-ingested. tests/test_ingest.py pins what
# cleaning and chunking make of corpus/ to this version.
PIPELINE_VERSION = "12"  # 12: a flattened FAQ split into its questions and answers,
# language switchers and tracking tags dropped (corpus/ chunks unchanged); 11: an FAQ
# question or a wiki heading heads what follows (placeholders and lone page numbers dropped)
# 9: units also embedded on their own (pooled + own vectors stored)
# 8: units carry their kind; "la Belgique ! Afin" ends a sentence
# 7: unit vectors pooled from their chunk's pass
EMBED_BATCH = 32
EMBED_AHEAD = 4  # documents embedded ahead of the one being written
EMBED_THREADS = 2  # of them at once: the model's workers always have a batch waiting


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept_previous: list[str] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    manifest_problems: list[ManifestProblem] = field(default_factory=list)
    chunks: int = 0
    seconds: float = 0.0
    directory_seconds: float = 0.0  # building and storing the directory (included above)

    @property
    def changed_anything(self) -> bool:
        return bool(self.added or self.changed or self.removed)


@dataclass
class Plan:
    """What an ingestion must do, decided from hashes alone."""

    to_embed: list[Document]
    to_copy: list[str]
    report: IngestReport


def plan_ingestion(
    documents: Sequence[Document], skipped: Sequence[SkippedFile], state: IndexState | None,
    embedding_model: str,
) -> Plan:
    known = state.documents if state and state.embedding_model == embedding_model else {}
    report = IngestReport(skipped=list(skipped))
    to_embed: list[Document] = []
    to_copy: list[str] = []
    seen = {doc.info.doc_id for doc in documents}
    for doc in documents:
        record = known.get(doc.info.doc_id)
        if record is None:
            report.added.append(doc.info.doc_id)
            to_embed.append(doc)
        elif record.content_hash != doc.content_hash:
            report.changed.append(doc.info.doc_id)
            to_embed.append(doc)
        else:
            report.unchanged.append(doc.info.doc_id)
            to_copy.append(doc.info.doc_id)
    # A previously indexed file that is now unreadable keeps its old version: nothing is lost.
    skipped_names = {s.name for s in skipped}
    for doc_id in known:
        if doc_id in seen:
            continue
        if doc_id in skipped_names:
            report.kept_previous.append(doc_id)
            to_copy.append(doc_id)
        else:
            report.removed.append(doc_id)
    return Plan(to_embed, to_copy, report)


def context_title(doc: Document) -> str:
    """The title that situates each chunk; it names the organisation when the title does not
    (so "WSM" finds the pages titled "Solidarité Mondiale")."""
    title, organisation = doc.info.title, doc.info.organisation
    if organisation and organisation.casefold() not in title.casefold():
        return f"{title} ({organisation})"
    return title


def chunk_id(doc: Document, index: int) -> str:
    return f"{doc.content_hash[:16]}-{index}"


def chunk_metadata(doc: Document, chunk: Chunk) -> dict[str, str | int]:
    return {
        "doc_id": doc.info.doc_id,
        "title": doc.info.title,
        "organisation": doc.info.organisation,
        "language": doc.info.language,
        "source": doc.info.file,
        "section": chunk.section,
        "kind": chunk.kind,
        "chunk_index": chunk.index,
        "context": chunk.context_text(),
        "unit_count": len(chunk.units),
    }


def embed_chunks(encoder: TextEncoder, chunks: Sequence[Chunk],
                 progress: tqdm | None) -> tuple[np.ndarray, np.ndarray]:
    """The chunks' vectors (what retrieval searches) and their units' (what the answer
    engine scores), both in order. A unit has two vectors, stored side by side in one row
    (retrieval.units.unit_of splits them): pooled from its chunk's pass through the model
    where the encoder can, and embedded on its own (``encode_passages_and_spans``). Chunks
    go ``EMBED_BATCH`` at a time for the progress bar; the encoder cuts them into padded
    batches itself."""
    chunk_parts = [np.zeros((0, encoder.dimension), dtype=np.float32)]
    unit_parts = [np.zeros((0, 2 * encoder.dimension), dtype=np.float32)]
    for start in range(0, len(chunks), EMBED_BATCH):
        part = chunks[start : start + EMBED_BATCH]
        vectors, pooled, own = encode_passages_and_spans(
            encoder, [c.context_text() for c in part], [c.unit_spans() for c in part])
        chunk_parts.append(vectors)
        unit_parts.append(np.hstack([pooled, own]).astype(np.float32))
        if progress is not None:
            progress.update(len(part) + sum(len(c.units) for c in part))
    return np.vstack(chunk_parts), np.vstack(unit_parts)


class GenerationWriter:
    """The new generation's collections, opened once and written in batches across
    documents (per-document adds were most of the ingestion's time without the model:
    bench/RESULTS.md). ``flush`` must run before the generation switch."""

    def __init__(self, store: IndexStore, generation: int) -> None:
        from llama_index.vector_stores.chroma import ChromaVectorStore

        self.chunks = ChromaVectorStore(
            chroma_collection=store.collection(store.chunks_name(generation)))
        self.nodes: list[BaseNode] = []
        self.units = RecordBuffer(store.collection(store.units_name(generation)))
        self.orgs = RecordBuffer(store.collection(store.orgs_name(generation)))
        # What the directory stage needs of each new document, kept from its writing.
        self.directory_inputs: dict[str, directory_store.DocumentInput] = {}

    def add_nodes(self, nodes: list[BaseNode]) -> None:
        self.nodes.extend(nodes)
        if len(self.nodes) >= ADD_BATCH:
            self.flush_nodes()

    def flush_nodes(self) -> None:
        # llama-index's own batches (41,665) are over the cap of an embedded Chroma's add.
        for start in range(0, len(self.nodes), ADD_BATCH):
            self.chunks.add(self.nodes[start : start + ADD_BATCH])
        self.nodes = []

    def flush(self) -> None:
        self.flush_nodes()
        self.units.flush()
        self.orgs.flush()


Embedded = tuple[Document, list[Chunk], np.ndarray, np.ndarray]  # + chunk and unit vectors


def embedded_ahead(encoder: TextEncoder, chunked: Sequence[tuple[Document, list[Chunk]]],
                   progress: tqdm | None, ahead: int = EMBED_AHEAD) -> Iterator[Embedded]:
    """Each document with its vectors, in order, embedded up to ``ahead`` documents ahead
    on a background thread. The model's workers then keep both cores busy while the caller
    extracts mentions and writes to Chroma, which left a core idle between documents."""
    # Two documents at once only for an encoder that says it may be called from two
    # threads (the ONNX one); the fake's word table, for one, is not.
    threads = EMBED_THREADS if getattr(encoder, "thread_safe", False) else 1
    pool = ThreadPoolExecutor(threads, thread_name_prefix="embed-ahead")
    pending: deque[tuple[Document, list[Chunk], Future[tuple[np.ndarray, np.ndarray]]]] = deque()
    queue = iter(chunked)
    try:
        while True:
            while len(pending) < ahead and (item := next(queue, None)) is not None:
                doc, chunks = item
                pending.append((doc, chunks, pool.submit(embed_chunks, encoder, chunks, progress)))
            if not pending:
                return
            doc, chunks, future = pending.popleft()
            yield (doc, chunks, *future.result())
    finally:  # an error or an interruption: drop what was not started, wait for the rest
        pool.shutdown(wait=True, cancel_futures=True)


def write_document(
    doc: Document, chunks: list[Chunk], chunk_vectors: np.ndarray, unit_vectors: np.ndarray,
    writer: GenerationWriter,
) -> None:
    """Hand one embedded document's chunks, units and mentions to the new generation's
    writer."""
    from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode

    ids = [chunk_id(doc, c.index) for c in chunks]
    nodes: list[BaseNode] = []
    for cid, chunk, vector in zip(ids, chunks, chunk_vectors, strict=True):
        node = TextNode(id_=cid, text=chunk.text, metadata=chunk_metadata(doc, chunk))
        # The source relationship is what ChromaVectorStore stores as "doc_id" (it overwrites
        # a "doc_id" metadata key with it), and what copy_unchanged selects on.
        node.relationships[NodeRelationship.SOURCE] = RelatedNodeInfo(node_id=doc.info.doc_id)
        node.embedding = vector.tolist()
        nodes.append(node)
    writer.add_nodes(nodes)
    unit_texts = [u for c in chunks for u in c.units]
    unit_ids = [
        f"{cid}:{i}" for cid, c in zip(ids, chunks, strict=True) for i in range(len(c.units))
    ]
    unit_meta: list[dict[str, str | int | float | bool | None]] = [
        {"chunk_id": cid, "doc_id": doc.info.doc_id, "unit_index": i, "unit_kind": kind,
         "vectors": 2}
        for cid, c in zip(ids, chunks, strict=True)
        for i, kind in enumerate(c.unit_kinds)
    ]
    writer.units.add(unit_ids, unit_texts, unit_vectors, unit_meta)
    mentions = write_mentions(doc, chunks, ids, writer.orgs)
    writer.directory_inputs[doc.info.doc_id] = directory_store.DocumentInput(
        mentions, [(c.index, cid, c.text) for c, cid in zip(chunks, ids, strict=True)])


def write_mentions(doc: Document, chunks: list[Chunk], ids: list[str],
                   orgs: RecordBuffer) -> list[Mention]:
    """The directory's stage: the document's organisation mentions, stored beside its
    passages. They are not embedded: the directory matches names and theme keywords, and
    embedding the corpus' 131 mentions measured 7-20 s, over the 10 s the directory may
    add to an ingestion. Chroma wants a vector per record: a one-number placeholder."""
    mentions = extract_mentions(doc.info, chunks, ids)
    if not mentions:
        return mentions
    orgs.add(
        [f"{doc.content_hash[:16]}-m{i}" for i in range(len(mentions))],
        [json.dumps(m.to_dict(), ensure_ascii=False) for m in mentions],
        np.ones((len(mentions), 1), dtype=np.float32),
        [{"doc_id": doc.info.doc_id} for _ in mentions],
    )
    return mentions


def record_for(doc: Document, chunks: int) -> DocRecord:
    info = doc.info
    return DocRecord(
        content_hash=doc.content_hash, file=info.file, title=info.title,
        organisation=info.organisation, language=info.language,
        original_file=info.original_file, chunks=chunks, ingested_at=time.time(),
    )


def ingest(
    settings: Settings,
    store: IndexStore,
    encoder_factory: Callable[[], TextEncoder],
    *,
    show_progress: bool = True,
    on_wait: Callable[[], None] | None = None,
) -> IngestReport:
    """Bring the index in line with the corpus folder; the previous index answers until the end.

    Another ingestion of the same data folder is waited for (``on_wait`` tells the user);
    it usually leaves this one nothing to do."""
    with ingestion_lock(settings, on_wait):
        try:
            return _ingest(settings, store, encoder_factory, show_progress)
        except AssistantError:
            raise
        except Exception as exc:  # a store that goes away, a full or read-only disk: said
            failure = store_failure(exc, settings)  # as such, not as an internal error
            if failure is None:
                raise
            raise failure from exc


def _ingest(settings: Settings, store: IndexStore, encoder_factory: Callable[[], TextEncoder],
            show_progress: bool) -> IngestReport:
    started = time.perf_counter()
    # The directory's word lists are part of the pipeline: changing them re-extracts.
    scan = scan_corpus(settings.corpus_dir, f"{PIPELINE_VERSION}:{extraction_fingerprint()}",
                       settings.max_document_bytes)
    state = store.read_state()
    plan = plan_ingestion(scan.documents, scan.skipped, state, settings.vector_space)
    plan.report.manifest_problems = scan.manifest_problems
    same_model = state is not None and state.embedding_model == settings.vector_space
    if state is not None and same_model and not plan.report.changed_anything:
        keep_generation(store, state, plan.report)
    else:
        write_generation(settings, store, encoder_factory, show_progress, state, plan)
    plan.report.seconds = time.perf_counter() - started
    return plan.report


def keep_generation(store: IndexStore, state: IndexState, report: IngestReport) -> None:
    """Nothing changed: the active generation keeps answering."""
    report.chunks = sum(r.chunks for r in state.documents.values())
    store.drop_generations_except(state.generation)  # orphans of an interrupted run
    if not directory_store.is_current(store, state.generation):
        # A store from before the stored directory, or a directory built by other code:
        # build it now, into the active generation (a reader that finds it incomplete
        # builds its own, as before), and nothing is embedded again.
        report.directory_seconds = store_directory(store, state.generation, state, {})


def write_generation(settings: Settings, store: IndexStore,
                     encoder_factory: Callable[[], TextEncoder], show_progress: bool,
                     state: IndexState | None, plan: Plan) -> None:
    """A new generation: unchanged documents copied, the others chunked and embedded, the
    directory built; then the switch to it."""
    old_generation = state.generation if state else None
    generation = (old_generation or 0) + 1
    store.drop_generations_except(old_generation)  # clear any orphan using this number
    new_state = IndexState(generation, settings.vector_space)
    try:
        if state is not None and old_generation is not None:
            copy_unchanged(store, old_generation, generation, plan.to_copy, state, new_state)

        inputs = embed_documents(settings, store, encoder_factory, show_progress,
                                 plan.to_embed, new_state)
        # Make sure every collection exists even for an empty generation.
        for name in store.generation_names(generation):
            store.collection(name)
        # The directory, built once here rather than on each process' first directory
        # question, stored in the new generation: it becomes visible with the switch below.
        plan.report.directory_seconds = store_directory(store, generation, new_state, inputs,
                                                        old_generation)
    except Exception:
        # The unfinished generation goes (on a full disk, that frees what it took); the
        # previous one was never touched and keeps answering.
        try:
            store.drop_generations_except(old_generation)
        except Exception:  # noqa: BLE001 - the next run clears it; report the first failure
            logger.info("the unfinished generation could not be removed", exc_info=True)
        raise
    store.write_state(new_state)  # the switch: from here on the new generation answers
    store.drop_generations_except(generation)
    plan.report.chunks = sum(r.chunks for r in new_state.documents.values())


def embed_documents(settings: Settings, store: IndexStore,
                    encoder_factory: Callable[[], TextEncoder], show_progress: bool,
                    documents: Sequence[Document], new_state: IndexState,
                    ) -> dict[str, directory_store.DocumentInput]:
    """Chunk, embed and write the documents into the new generation (``new_state``); what
    the directory stage needs of each one."""
    chunked = [
        (doc, chunk_document(doc.text, doc_id=doc.info.doc_id, title=context_title(doc),
                             max_chars=settings.chunk_max_chars))
        for doc in documents
    ]
    if not chunked:
        return {}
    total = sum(len(chunks) + sum(len(c.units) for c in chunks) for _, chunks in chunked)
    encoder = encoder_factory()
    writer = GenerationWriter(store, new_state.generation)
    with tqdm(total=total, desc="Embedding", unit="txt", disable=not show_progress) as bar:
        for doc, chunks, chunk_vectors, unit_vectors in embedded_ahead(encoder, chunked, bar):
            write_document(doc, chunks, chunk_vectors, unit_vectors, writer)
            new_state.documents[doc.info.doc_id] = record_for(doc, len(chunks))
    writer.flush()
    return writer.directory_inputs


def store_directory(store: IndexStore, generation: int, state: IndexState,
                    inputs: dict[str, directory_store.DocumentInput],
                    previous: int | None = None) -> float:
    """Build the generation's directory and store it beside it; the seconds it took. A
    failure here does not stop the ingestion: the service then builds the directory on
    its first directory question, as it did before directories were stored."""
    started = time.perf_counter()
    try:
        built = directory_store.build(store, generation, state, inputs, previous)
        directory_store.write(store, generation, built)
    except Exception:  # noqa: BLE001 - any failure: the service's own build stands in
        logger.warning("the directory could not be stored; it will be built when first used",
                       exc_info=True)
        return time.perf_counter() - started
    seconds = time.perf_counter() - started
    logger.info("directory: %d organisations in %.1f s (%s)", len(built.directory), seconds,
                ", ".join(f"{k} {v:.1f} s" for k, v in built.seconds.items()))
    return seconds


def copy_unchanged(
    store: IndexStore, old: int, new: int, doc_ids: list[str],
    state: IndexState, new_state: IndexState,
) -> None:
    if not doc_ids:
        return
    where = {"doc_id": {"$in": doc_ids}}
    old_chunks = store.existing_collection(store.chunks_name(old))
    old_units = store.existing_collection(store.units_name(old))
    copy_records(old_chunks, store.collection(store.chunks_name(new)), where)
    copy_records(old_units, store.collection(store.units_name(new)), where)
    if store.orgs_name(old) in store.list_collection_names():  # absent before the directory
        copy_records(store.existing_collection(store.orgs_name(old)),
                     store.collection(store.orgs_name(new)), where)
    for doc_id in doc_ids:
        new_state.documents[doc_id] = state.documents[doc_id]
