"""Ingestion with the fake encoder over a real embedded Chroma in a private tmp folder.

Covers first ingestion, no-op re-runs (the encoder is not even built), incremental
edits/deletions/additions, unusable files, kept-previous versions, interrupted runs
(the previous generation keeps answering) and the ``--rebuild`` set-aside.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import assistant.ingestion.pipeline as ingest_module
import assistant.store.chroma as store_module
from assistant.core.errors import IndexUnavailable
from assistant.core.settings import PROJECT_ROOT, Settings
from assistant.ingestion.chunking.document import chunk_document
from assistant.ingestion.corpus import scan_corpus
from assistant.ingestion.pipeline import PIPELINE_VERSION, context_title
from assistant.service.assistant_service import (
    AssistantService,
    default_encoder_factory,
)
from assistant.store.chroma import RecordBuffer, set_aside_corrupted_store
from embeddings.fake import FakeEncoder, fold_text

MANIFEST = json.loads((Path(__file__).resolve().parents[1] / "corpus" / "manifest.json")
                      .read_text(encoding="utf-8"))
CORPUS_FILES = sorted(entry["file"] for entry in MANIFEST["documents"])
WSM_FICHE = "wsm-fiche-organisation.txt"
MOC = "moc-partenariats-reseaux.txt"
ADDRESS_QUESTION = "Quelle est l'adresse principale de WSM ?"
TAG_RE = re.compile(r"</?[a-zA-Z][^>]*>")

# Known product bug (see the report): llama-index's ChromaVectorStore overwrites the chunk
# metadata "doc_id" with the node's ref_doc_id ("None"), so copy_unchanged() (ingest.py,
# where={"doc_id": ...}) copies no chunk of the unchanged documents into the new generation.


# -- helpers ------------------------------------------------------------------------
class RecordingEncoder:
    """Wraps the real (fake-model) encoder and records every passage it embeds."""

    def __init__(self, inner: object, passages: list[str]) -> None:
        self._inner = inner
        self.dimension = inner.dimension  # type: ignore[attr-defined]
        self.name = inner.name  # type: ignore[attr-defined]
        self._passages = passages

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._inner.encode_queries(texts)  # type: ignore[attr-defined,no-any-return]

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        self._passages.extend(texts)
        return self._inner.encode_passages(texts)  # type: ignore[attr-defined,no-any-return]


class CountingFactory:
    """An encoder factory that counts its calls (and records the passages embedded)."""

    def __init__(self) -> None:
        self.calls = 0
        self.passages: list[str] = []

    def __call__(self, settings: Settings) -> RecordingEncoder:
        self.calls += 1
        return RecordingEncoder(default_encoder_factory(settings), self.passages)


def raising_factory(settings: Settings) -> RecordingEncoder:
    raise AssertionError("the encoder factory must not be called when nothing changed")


def generation(service: AssistantService) -> int:
    state = service.store.read_state()
    assert state is not None
    return state.generation


def ids_by_doc(service: AssistantService, kind: str) -> dict[str, set[str]]:
    """Record ids of the active generation per document ("chunks" keyed by source file)."""
    store = service.store
    gen = generation(service)
    name = store.chunks_name(gen) if kind == "chunks" else store.units_name(gen)
    got = store.existing_collection(name).get(include=["metadatas"])
    key = "source" if kind == "chunks" else "doc_id"
    out: dict[str, set[str]] = defaultdict(set)
    for record_id, meta in zip(got["ids"], got["metadatas"] or [], strict=True):
        out[str(meta[key])].add(record_id)
    return dict(out)


def texts_of(service: AssistantService, kind: str, doc: str) -> list[str]:
    store = service.store
    gen = generation(service)
    if kind == "chunks":
        got = store.existing_collection(store.chunks_name(gen)).get(
            where={"source": doc}, include=["documents"])
    else:
        got = store.existing_collection(store.units_name(gen)).get(
            where={"doc_id": doc}, include=["documents"])
    return list(got["documents"] or [])


def all_ids(service: AssistantService) -> set[str]:
    store = service.store
    gen = generation(service)
    ids: set[str] = set()
    for name in (store.chunks_name(gen), store.units_name(gen)):
        ids.update(store.existing_collection(name).get(include=[])["ids"])
    return ids


def tree_digest(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*")) if p.is_file()
    }


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture
def ingested(fake_service: AssistantService) -> AssistantService:
    report = fake_service.ingest()
    assert sorted(report.added) == CORPUS_FILES
    return fake_service


# -- first ingestion and no-op re-runs ----------------------------------------------
def test_first_ingestion_indexes_the_five_documents(fake_settings: Settings) -> None:
    factory = CountingFactory()
    service = AssistantService(fake_settings, encoder_factory=factory)
    report = service.ingest()

    assert sorted(report.added) == CORPUS_FILES
    assert report.changed == report.removed == report.unchanged == report.kept_previous == []
    assert report.skipped == []
    assert report.changed_anything
    assert factory.calls == 1
    docs = dict(service.documents())
    assert sorted(docs) == CORPUS_FILES
    assert all(record.chunks > 0 for record in docs.values())
    assert report.chunks == sum(record.chunks for record in docs.values())
    for entry in MANIFEST["documents"]:
        record = docs[entry["file"]]
        assert (record.title, record.organisation, record.language, record.original_file) == (
            entry["title"], entry["organisation"], entry["language"], entry["original_file"])
    # What is stored matches what the state claims.
    chunk_ids = ids_by_doc(service, "chunks")
    assert {doc: len(ids) for doc, ids in chunk_ids.items()} == {
        doc: record.chunks for doc, record in docs.items()}
    assert sorted(ids_by_doc(service, "units")) == CORPUS_FILES
    assert sorted(service.store.list_collection_names()) == [
        "assistant_g1_chunks", "assistant_g1_directory", "assistant_g1_orgs",
        "assistant_g1_units", "assistant_meta"]
    # Everything embedded was embedded once: chunks + units, no duplicates.
    assert len(factory.passages) == report.chunks + sum(
        len(ids) for ids in ids_by_doc(service, "units").values())


def test_second_run_with_nothing_changed_never_builds_the_encoder(
    ingested: AssistantService, fake_settings: Settings
) -> None:
    before_ids = all_ids(ingested)
    factory = CountingFactory()
    report = AssistantService(fake_settings, encoder_factory=factory).ingest()
    assert factory.calls == 0
    assert sorted(report.unchanged) == CORPUS_FILES
    assert report.added == report.changed == report.removed == []
    assert not report.changed_anything
    assert report.chunks == sum(r.chunks for _, r in ingested.documents())
    # A factory that raises proves the same, and the index is left exactly as it was.
    again = AssistantService(fake_settings, encoder_factory=raising_factory).ingest()
    assert not again.changed_anything
    assert generation(ingested) == 1
    assert all_ids(ingested) == before_ids


def test_int8_vectors_are_a_vector_space_of_their_own() -> None:
    """Switching to the int8 engine re-embeds (its vectors differ slightly); torch and
    'onnx' give the same vectors, so switching between them does not."""
    base = Settings(embedding_model="multilingual-e5-small", embedding_engine="onnx")
    assert base.vector_space == Settings(embedding_model="multilingual-e5-small",
                                         embedding_engine="torch").vector_space
    assert Settings(embedding_model="multilingual-e5-small",
                    embedding_engine="onnx-int8").vector_space != base.vector_space


def test_a_change_of_vector_space_re_embeds_everything(
    ingested: AssistantService, fake_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As switching to the int8 engine does: the same model, other vectors.
    monkeypatch.setattr(Settings, "vector_space", property(lambda self: "fake+int8"))
    factory = CountingFactory()
    report = AssistantService(fake_settings, encoder_factory=factory).ingest()
    assert factory.calls == 1
    assert report.changed_anything
    assert AssistantService(fake_settings).store.read_state().embedding_model == "fake+int8"


class SpanFakeEncoder(FakeEncoder):
    """A fake that pools unit vectors from its passage's pass, as the real engines do: each
    unit gets its chunk's vector (so where a stored vector came from shows). Records the
    passages it embeds on their own."""

    def __init__(self) -> None:
        super().__init__()
        self.passages: list[str] = []

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        self.passages.extend(texts)
        return super().encode_passages(texts)

    def encode_passages_with_spans(
        self, texts: list[str], spans: list[list[tuple[int, int]]]
    ) -> tuple[np.ndarray, np.ndarray]:
        vectors = self.encode_passages(texts)
        rows = [vectors[i] for i, own in enumerate(spans) for _ in own]
        return vectors, np.array(rows, dtype=np.float32).reshape(-1, self.dimension)


def test_units_store_a_pooled_vector_and_their_own(fake_settings: Settings) -> None:
    encoder = SpanFakeEncoder()
    service = AssistantService(fake_settings, encoder_factory=lambda settings: encoder)
    service.ingest()
    store, gen = service.store, generation(service)
    chunks = store.existing_collection(store.chunks_name(gen)).get(include=["embeddings"])
    units = store.existing_collection(store.units_name(gen)).get(
        include=["embeddings", "metadatas", "documents"])
    chunk_vectors = dict(zip(chunks["ids"], chunks["embeddings"], strict=True))
    assert len(units["ids"]) > len(chunk_vectors) > 0
    # Each stored row is the pooled vector, then the unit's own.
    for vector, meta, text in zip(units["embeddings"], units["metadatas"], units["documents"],
                                  strict=True):
        pooled, own = np.split(np.asarray(vector), 2)
        np.testing.assert_allclose(pooled, chunk_vectors[meta["chunk_id"]], atol=1e-6)
        np.testing.assert_allclose(own, encoder.encode_passages([text])[0], atol=1e-6)
    # Ingestion ran the chunks through the model once, and each unit once on its own.
    during_ingestion = encoder.passages[: len(encoder.passages) - len(units["ids"])]
    assert len(during_ingestion) == len(chunk_vectors) + len(units["ids"])
    assert set(units["documents"]) <= set(during_ingestion)


# -- incremental changes --------------------------------------------------------------
def test_editing_one_file_re_embeds_only_that_document(
    ingested: AssistantService, fake_settings: Settings, corpus_dir: Path
) -> None:
    old_chunks = ids_by_doc(ingested, "chunks")
    old_units = ids_by_doc(ingested, "units")
    edit(corpus_dir / WSM_FICHE, "Chaussée de Haecht 579", "Avenue Zorglub 12")

    factory = CountingFactory()
    service = AssistantService(fake_settings, encoder_factory=factory)
    report = service.ingest()

    assert report.changed == [WSM_FICHE]
    assert sorted(report.unchanged) == sorted(set(CORPUS_FILES) - {WSM_FICHE})
    assert report.added == report.removed == []
    assert generation(service) == 2
    assert sorted(service.store.list_collection_names()) == [
        "assistant_g2_chunks", "assistant_g2_directory", "assistant_g2_orgs",
        "assistant_g2_units", "assistant_meta"]
    new_chunks = ids_by_doc(service, "chunks")
    new_units = ids_by_doc(service, "units")
    # The changed document's old chunks and units are gone, replaced by new ids.
    assert new_chunks[WSM_FICHE] and not new_chunks[WSM_FICHE] & old_chunks[WSM_FICHE]
    assert new_units[WSM_FICHE] and not new_units[WSM_FICHE] & old_units[WSM_FICHE]
    assert any("Zorglub" in t for t in texts_of(service, "units", WSM_FICHE))
    assert not any("Haecht" in t for t in texts_of(service, "units", WSM_FICHE))
    # Other documents' units were copied, not re-embedded: same ids, nothing encoded for them.
    for doc in set(CORPUS_FILES) - {WSM_FICHE}:
        assert new_units[doc] == old_units[doc], doc
    assert factory.calls == 1
    assert len(factory.passages) == len(new_chunks[WSM_FICHE]) + len(new_units[WSM_FICHE])
    assert dict(service.documents())[WSM_FICHE].chunks == len(new_chunks[WSM_FICHE])


def test_editing_one_file_keeps_the_other_documents_chunks(
    ingested: AssistantService, fake_settings: Settings, corpus_dir: Path
) -> None:
    old_chunks = ids_by_doc(ingested, "chunks")
    edit(corpus_dir / WSM_FICHE, "Chaussée de Haecht 579", "Avenue Zorglub 12")
    service = AssistantService(fake_settings)
    report = service.ingest()
    new_chunks = ids_by_doc(service, "chunks")
    for doc in set(CORPUS_FILES) - {WSM_FICHE}:
        assert new_chunks.get(doc) == old_chunks[doc], doc
    assert sum(len(ids) for ids in new_chunks.values()) == report.chunks


def test_deleting_a_file_removes_its_chunks(
    ingested: AssistantService, fake_settings: Settings, corpus_dir: Path
) -> None:
    old_units = ids_by_doc(ingested, "units")
    (corpus_dir / MOC).unlink()
    factory = CountingFactory()
    service = AssistantService(fake_settings, encoder_factory=factory)
    report = service.ingest()

    assert factory.calls == 0  # a deletion embeds nothing
    assert report.removed == [MOC]
    assert report.added == report.changed == []
    assert sorted(report.unchanged) == sorted(set(CORPUS_FILES) - {MOC})
    assert MOC not in dict(service.documents())
    assert MOC not in ids_by_doc(service, "chunks")
    assert MOC not in ids_by_doc(service, "units")
    assert not all_ids(service) & old_units[MOC]
    answer = service.ask("Quel est le but du Réseau Financité ?")
    assert all(p.source != MOC for p in answer.sources)


def test_deleting_a_file_keeps_the_others_answerable(
    ingested: AssistantService, fake_settings: Settings, corpus_dir: Path
) -> None:
    (corpus_dir / MOC).unlink()
    service = AssistantService(fake_settings)
    report = service.ingest()
    assert sum(len(ids) for ids in ids_by_doc(service, "chunks").values()) == report.chunks
    assert service.ask(ADDRESS_QUESTION).sources[0].source == WSM_FICHE


def test_new_markdown_and_html_files_are_ingested(
    ingested: AssistantService, fake_settings: Settings, corpus_dir: Path
) -> None:
    (corpus_dir / "notes").mkdir()
    (corpus_dir / "notes" / "kivu.md").write_text(
        "# Rapport sur la coopérative Zéphyrine\n\n"
        "La coopérative **Zéphyrine** produit du café au Kivu depuis 2011 avec "
        "[WSM](https://wsm.be). Elle réunit trois cents familles de producteurs.\n",
        encoding="utf-8")
    (corpus_dir / "quetzal.html").write_text(
        "<!DOCTYPE html><html><head><title>Onglet</title><style>p{color:red}</style>"
        "</head><body><h1>Le projet Quetzal</h1><p>Le projet <b>Quetzal</b> soutient les "
        "<a href='x'>mutuelles de santé</a> au Guatemala.</p><script>var cachee = 1;</script>"
        "<ul><li>Formation des animatrices</li><li>Microcrédit solidaire</li></ul></body></html>",
        encoding="utf-8")
    service = AssistantService(fake_settings)
    report = service.ingest()

    assert sorted(report.added) == ["notes/kivu.md", "quetzal.html"]
    assert sorted(report.unchanged) == CORPUS_FILES
    assert report.skipped == []
    docs = dict(service.documents())
    assert docs["notes/kivu.md"].title == "Rapport sur la coopérative Zéphyrine"
    assert docs["quetzal.html"].title == "Le projet Quetzal"
    assert docs["notes/kivu.md"].chunks > 0 and docs["quetzal.html"].chunks > 0
    assert docs["notes/kivu.md"].organisation == ""  # not in the manifest
    html_texts = texts_of(service, "chunks", "quetzal.html") + texts_of(
        service, "units", "quetzal.html")
    md_texts = texts_of(service, "chunks", "notes/kivu.md") + texts_of(
        service, "units", "notes/kivu.md")
    assert any("Quetzal soutient les mutuelles de santé" in t for t in html_texts)
    assert any("Microcrédit solidaire" in t for t in html_texts)
    for text in html_texts + md_texts:
        assert not TAG_RE.search(text), text
        assert "cachee" not in text and "color:red" not in text and "**" not in text
    answer = service.ask("Que soutient le projet Quetzal au Guatemala ?")
    assert answer.sources[0].source == "quetzal.html"


# -- unusable files ---------------------------------------------------------------------
def test_unusable_files_are_skipped_by_name_and_the_rest_is_ingested(
    fake_settings: Settings, corpus_dir: Path
) -> None:
    (corpus_dir / "image.txt").write_bytes(b"GIF89a\x00\x01\x02binary\x00data")
    (corpus_dir / "latin.txt").write_bytes("Café à Liège : l'élève a réussi.".encode("latin-1"))
    (corpus_dir / "vide.txt").write_bytes(b"")
    (corpus_dir / "blancs.md").write_text("   \n\n\t\n", encoding="utf-8")
    (corpus_dir / "rapport.pdf").write_bytes(b"%PDF-1.4 whatever")
    service = AssistantService(fake_settings)
    report = service.ingest()

    assert {s.name: s.reason for s in report.skipped} == {
        "image.txt": "reason_binary",
        "latin.txt": "reason_encoding",
        "vide.txt": "reason_empty",
        "blancs.md": "reason_empty",
        "rapport.pdf": "reason_corrupt",  # read now: a PDF header and nothing after it
    }
    assert sorted(report.added) == CORPUS_FILES
    assert sorted(dict(service.documents())) == CORPUS_FILES
    assert report.chunks > 0


def test_unreadable_file_is_skipped(fake_settings: Settings, corpus_dir: Path) -> None:
    secret = corpus_dir / "secret.txt"
    secret.write_text("Un texte confidentiel sur le MOC.", encoding="utf-8")
    secret.chmod(0)
    try:
        if os.access(secret, os.R_OK):
            pytest.skip("running as root: chmod 000 does not make the file unreadable")
        report = AssistantService(fake_settings).ingest()
    finally:
        secret.chmod(0o644)
    assert [(s.name, s.reason) for s in report.skipped] == [("secret.txt", "reason_unreadable")]
    assert sorted(report.added) == CORPUS_FILES


def test_read_error_is_skipped_as_unreadable(
    fake_settings: Settings, corpus_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same as chmod 000 but works as root: the read itself raises PermissionError."""
    secret = corpus_dir / "secret.txt"
    secret.write_text("Un texte confidentiel sur le MOC.", encoding="utf-8")
    real_read_bytes = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.name == "secret.txt":
            raise PermissionError(13, "Permission denied", str(self))
        return real_read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    report = AssistantService(fake_settings).ingest()
    assert [(s.name, s.reason) for s in report.skipped] == [("secret.txt", "reason_unreadable")]
    assert sorted(report.added) == CORPUS_FILES


def test_indexed_file_that_becomes_binary_keeps_its_previous_version(
    ingested: AssistantService, fake_settings: Settings, corpus_dir: Path
) -> None:
    old_chunks = ids_by_doc(ingested, "chunks")[WSM_FICHE]
    (corpus_dir / WSM_FICHE).write_bytes(b"\x00\x01 corrupted by a bad copy \x00")
    factory = CountingFactory()
    service = AssistantService(fake_settings, encoder_factory=factory)
    report = service.ingest()

    assert factory.calls == 0
    assert generation(service) == 1  # nothing to re-embed: the active generation stays
    assert report.kept_previous == [WSM_FICHE]
    assert [(s.name, s.reason) for s in report.skipped] == [(WSM_FICHE, "reason_binary")]
    assert report.removed == [] and report.changed == []
    assert WSM_FICHE in dict(service.documents())
    assert ids_by_doc(service, "chunks")[WSM_FICHE] == old_chunks
    answer = service.ask(ADDRESS_QUESTION)
    assert answer.sources[0].source == WSM_FICHE
    assert any("Haecht" in p.text for p in answer.sources if p.source == WSM_FICHE)


def test_kept_previous_version_survives_a_change_elsewhere(
    ingested: AssistantService, fake_settings: Settings, corpus_dir: Path
) -> None:
    """With another document changed, a new generation is written: the kept one is copied."""
    old_units = ids_by_doc(ingested, "units")[WSM_FICHE]
    (corpus_dir / WSM_FICHE).write_bytes(b"\x00binary now")
    edit(corpus_dir / MOC, "Réseau Financité", "Réseau Financité (Liège)")
    service = AssistantService(fake_settings)
    report = service.ingest()
    assert report.kept_previous == [WSM_FICHE]
    assert report.changed == [MOC]
    assert generation(service) == 2
    assert WSM_FICHE in dict(service.documents())
    assert ids_by_doc(service, "units")[WSM_FICHE] == old_units


def test_kept_previous_version_chunks_survive_a_change_elsewhere(
    ingested: AssistantService, fake_settings: Settings, corpus_dir: Path
) -> None:
    old_chunks = ids_by_doc(ingested, "chunks")[WSM_FICHE]
    (corpus_dir / WSM_FICHE).write_bytes(b"\x00binary now")
    edit(corpus_dir / MOC, "Réseau Financité", "Réseau Financité (Liège)")
    service = AssistantService(fake_settings)
    service.ingest()
    assert ids_by_doc(service, "chunks").get(WSM_FICHE) == old_chunks
    assert service.ask(ADDRESS_QUESTION).sources[0].source == WSM_FICHE


# -- interrupted ingestion --------------------------------------------------------------
def interrupt_second_write(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    written: list[str] = []
    real_write = ingest_module.write_document

    def write_document(doc, *args, **kwargs):  # type: ignore[no-untyped-def]
        if len(written) == 1:
            raise KeyboardInterrupt
        written.append(doc.info.doc_id)
        return real_write(doc, *args, **kwargs)

    monkeypatch.setattr(ingest_module, "write_document", write_document)
    return written


def test_interrupted_ingestion_leaves_the_previous_generation_answering(
    ingested: AssistantService, fake_settings: Settings, corpus_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    old_ids = all_ids(ingested)
    edit(corpus_dir / MOC, "Réseau Financité", "Réseau Financité (Namur)")
    edit(corpus_dir / WSM_FICHE, "Chaussée de Haecht 579", "Avenue Zorglub 12")
    written = interrupt_second_write(monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        AssistantService(fake_settings).ingest()
    assert written == [MOC]  # the first document was handed to the new generation

    fresh = AssistantService(fake_settings)
    assert generation(fresh) == 1
    names = set(fresh.store.list_collection_names())
    assert {"assistant_g1_chunks", "assistant_g1_units", "assistant_g2_chunks"} <= names
    assert all_ids(fresh) == old_ids
    answer = fresh.ask(ADDRESS_QUESTION)
    wsm = [p for p in answer.sources if p.source == WSM_FICHE]
    assert wsm and any("Haecht" in p.text for p in wsm)
    assert not any("Zorglub" in p.text for p in answer.sources)

    monkeypatch.undo()
    report = AssistantService(fake_settings).ingest()
    assert sorted(report.changed) == sorted([MOC, WSM_FICHE])
    after = AssistantService(fake_settings)
    assert generation(after) == 2
    assert sorted(after.store.list_collection_names()) == [
        "assistant_g2_chunks", "assistant_g2_directory", "assistant_g2_orgs",
        "assistant_g2_units", "assistant_meta"]
    assert any("Zorglub" in t for t in texts_of(after, "units", WSM_FICHE))
    assert len(texts_of(after, "chunks", WSM_FICHE)) == dict(after.documents())[WSM_FICHE].chunks


def test_orphans_of_an_interrupted_run_go_even_when_nothing_changed(
    ingested: AssistantService, fake_settings: Settings, corpus_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    original = {name: (corpus_dir / name).read_bytes() for name in (MOC, WSM_FICHE)}
    edit(corpus_dir / MOC, "Réseau Financité", "Réseau Financité (Namur)")
    edit(corpus_dir / WSM_FICHE, "Chaussée de Haecht 579", "Avenue Zorglub 12")
    interrupt_second_write(monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        AssistantService(fake_settings).ingest()
    monkeypatch.undo()
    assert any("_g2_" in n for n in AssistantService(fake_settings).store.list_collection_names())

    for name, raw in original.items():  # the user reverts the edits
        (corpus_dir / name).write_bytes(raw)
    report = AssistantService(fake_settings, encoder_factory=raising_factory).ingest()
    assert not report.changed_anything
    service = AssistantService(fake_settings)
    assert generation(service) == 1
    assert sorted(service.store.list_collection_names()) == [
        "assistant_g1_chunks", "assistant_g1_directory", "assistant_g1_orgs",
        "assistant_g1_units", "assistant_meta"]


# -- ingest --rebuild: set the old store aside ------------------------------------------
def test_set_aside_moves_the_store_and_never_deletes_it(ingested: AssistantService,
                                                       fake_settings: Settings) -> None:
    chroma = fake_settings.chroma_path
    (chroma / "chroma.sqlite3").write_bytes(b"garbage, not a database" * 100)
    before = tree_digest(chroma)
    assert "chroma.sqlite3" in before
    aside = set_aside_corrupted_store(fake_settings)

    assert aside is not None
    aside_path = Path(aside)
    assert aside_path.parent == chroma.parent
    assert aside_path.name.startswith("chroma.corrupt-")
    assert not chroma.exists()
    assert tree_digest(aside_path) == before  # every file kept, byte for byte
    # Nothing left to set aside: a second call is a no-op.
    assert set_aside_corrupted_store(fake_settings) is None
    assert tree_digest(aside_path) == before


def test_set_aside_does_nothing_in_server_mode(ingested: AssistantService,
                                              fake_settings: Settings) -> None:
    before = tree_digest(fake_settings.chroma_path)
    server = Settings(corpus_dir=fake_settings.corpus_dir, data_dir=fake_settings.data_dir,
                      embedding_model="fake", chroma_host="127.0.0.1")  # type: ignore[call-arg]
    assert set_aside_corrupted_store(server) is None
    assert tree_digest(fake_settings.chroma_path) == before


def test_two_rebuilds_in_the_same_second_lose_nothing(
    fake_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module.time, "time", lambda: 1_700_000_000.0)
    chroma = fake_settings.chroma_path
    for content in (b"first store", b"second store"):
        chroma.mkdir(parents=True)
        (chroma / "chroma.sqlite3").write_bytes(content)
        assert set_aside_corrupted_store(fake_settings) is not None
    kept = sorted(p.read_bytes() for p in fake_settings.data_dir.rglob("chroma.sqlite3"))
    assert kept == [b"first store", b"second store"]


def test_two_rebuilds_in_the_same_second_get_distinct_aside_folders(
    fake_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module.time, "time", lambda: 1_700_000_000.0)
    chroma = fake_settings.chroma_path
    asides = []
    for content in (b"first store", b"second store"):
        chroma.mkdir(parents=True)
        (chroma / "chroma.sqlite3").write_bytes(content)
        asides.append(set_aside_corrupted_store(fake_settings))
    assert asides[0] != asides[1]
    assert [(Path(str(a)) / "chroma.sqlite3").read_bytes() for a in asides] == [
        b"first store", b"second store"]


def test_rebuild_in_the_same_process_starts_a_fresh_store(
    ingested: AssistantService, fake_settings: Settings
) -> None:
    (fake_settings.chroma_path / "chroma.sqlite3").write_bytes(b"garbage" * 1000)
    with pytest.raises(IndexUnavailable):
        AssistantService(fake_settings).ask(ADDRESS_QUESTION)
    assert set_aside_corrupted_store(fake_settings) is not None
    service = AssistantService(fake_settings)
    report = service.ingest()
    assert sorted(report.added) == CORPUS_FILES
    assert (fake_settings.chroma_path / "chroma.sqlite3").exists()


# -- batched writes and the fake encoder (ingestion speed, bench/RESULTS.md) ------------
class AddLog:
    """Stands for a Chroma collection: records the ids of every add call."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.rows: list[np.ndarray] = []

    def add(self, ids: list[str], embeddings: np.ndarray, documents: list[str],
            metadatas: list[object]) -> None:
        assert len(ids) == len(embeddings) == len(documents) == len(metadatas)
        self.calls.append(list(ids))
        self.rows.append(np.asarray(embeddings))


def test_record_buffer_adds_across_calls_and_flush_adds_the_rest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(store_module, "ADD_BATCH", 4)
    log = AddLog()
    buffer = RecordBuffer(log)  # type: ignore[arg-type]
    for block in range(3):
        ids = [f"{block}-{i}" for i in range(3)]
        buffer.add(ids, ids, np.full((3, 2), block, dtype=np.float32), [{}] * 3)
    assert log.calls == [["0-0", "0-1", "0-2", "1-0"], ["1-1", "1-2"]]  # at 6 >= 4, capped
    buffer.flush()
    assert log.calls[2:] == [["2-0", "2-1", "2-2"]]
    assert np.vstack(log.rows)[:, 0].tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    buffer.flush()  # nothing pending: no empty add
    assert len(log.calls) == 3


def test_ingestion_adds_once_per_collection_not_once_per_document(
    fake_settings: Settings, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from chromadb.api.models.Collection import Collection

    adds: dict[str, int] = defaultdict(int)
    real_add = Collection.add

    def counting_add(self: Collection, *args: object, **kwargs: object) -> None:
        adds[self.name] += 1
        real_add(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Collection, "add", counting_add)
    AssistantService(fake_settings).ingest()
    assert dict(adds) == {"assistant_g1_chunks": 1, "assistant_g1_units": 1,
                          "assistant_g1_orgs": 1, "assistant_g1_directory": 1}


def stored(service: AssistantService) -> dict[str, list[tuple[str, str, str, tuple[float, ...]]]]:
    """Every record of the active generation, vectors included, in id order."""
    gen = generation(service)
    out = {}
    for name in service.store.generation_names(gen):
        got = service.store.existing_collection(name).get(
            include=["documents", "metadatas", "embeddings"])
        vectors = got["embeddings"] if got["embeddings"] is not None else []
        out[name] = sorted(zip(got["ids"], got["documents"] or [],
                               [json.dumps(m, sort_keys=True) for m in got["metadatas"] or []],
                               [tuple(e) for e in vectors], strict=True))
    return out


def test_small_add_batches_store_the_same_records(
    fake_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    service = AssistantService(fake_settings)
    service.ingest()
    monkeypatch.setattr(store_module, "ADD_BATCH", 7)
    monkeypatch.setattr(ingest_module, "ADD_BATCH", 7)
    other = Settings(corpus_dir=fake_settings.corpus_dir, data_dir=tmp_path / "other",
                     embedding_model="fake")  # type: ignore[call-arg]
    small = AssistantService(other)
    small.ingest()
    assert stored(small) == stored(service)
    # (the stored directory is 7 records here: one page, one per document, its header)
    assert all(len(records) > 7 for name, records in stored(small).items()
               if not name.endswith("_directory"))


def test_unchanged_documents_are_copied_page_by_page(
    ingested: AssistantService, fake_settings: Settings, corpus_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An embedded Chroma cannot get over 32,766 records at once: copies go by pages."""
    from chromadb.api.models.Collection import Collection

    before = stored(ingested)
    edit(corpus_dir / MOC, "Réseau Financité", "Réseau Financité (Namur)")
    monkeypatch.setattr(store_module, "ADD_BATCH", 7)
    real_get = Collection.get

    def small_pages_only(self: Collection, *args: Any, **kwargs: Any) -> Any:
        if "where" in kwargs:  # a copy: the store here stands for one with a small cap
            assert kwargs.get("limit") is not None and kwargs["limit"] <= 7
        return real_get(self, *args, **kwargs)

    monkeypatch.setattr(Collection, "get", small_pages_only)
    service = AssistantService(fake_settings)
    assert service.ingest().changed == [MOC]
    monkeypatch.undo()
    after = stored(service)
    for kind in ("chunks", "units"):
        old = [r for r in before[f"assistant_g1_{kind}"] if MOC not in r[2]]
        new = [r for r in after[f"assistant_g2_{kind}"] if MOC not in r[2]]
        assert len(old) > 7 and [r[:3] for r in new] == [r[:3] for r in old]
        # Chroma hands back cosine vectors normalised again: a copy may move one unit in
        # the last place (it did before paging too).
        np.testing.assert_allclose([r[3] for r in new], [r[3] for r in old], atol=1e-6)


def per_feature_vector(text: str, dimension: int) -> np.ndarray:
    """The fake encoder's definition, feature by feature, in float32 as it once was."""
    words = re.findall(r"\w+", fold_text(text))
    feats = [("w:" + w, 1.0) for w in words]
    for word in words:
        padded = f" {word} "
        feats.extend(("t:" + padded[i:i + 3], 0.5) for i in range(len(padded) - 2))
    vec = np.zeros(dimension, dtype=np.float32)
    for feature, weight in feats or [("<empty>", 1.0)]:
        digest = int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=8).digest(),
                                "little")
        vec[digest % dimension] += (1.0 if (digest >> 63) & 1 else -1.0) * weight
    norm = float(np.linalg.norm(vec))
    if norm == 0.0:
        vec[0] = 1.0
        return vec
    return vec / norm


def test_fake_encoder_batches_give_the_per_feature_vectors_exactly() -> None:
    text = (Path(__file__).resolve().parents[1] / "corpus" / MOC).read_text(encoding="utf-8")
    chunks = chunk_document(text, doc_id=MOC, title="MOC", max_chars=1200)
    texts = [c.context_text() for c in chunks] + [u for c in chunks for u in c.units]
    texts += ["", "!!!", "Été À Bruxelles", "ﬁnance ½ İstanbul", "a a", "e\u0301te\u0301"]
    for dimension in (64, 3):
        encoder = FakeEncoder(dimension)
        got = np.vstack([encoder.encode_passages(texts[i:i + 17])
                         for i in range(0, len(texts), 17)])
        expected = np.vstack([per_feature_vector(t, dimension) for t in texts])
        assert got.dtype == np.float32
        np.testing.assert_array_equal(got, expected)


def test_whole_collections_are_read_page_by_page(
    fake_settings: Settings, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Loading the index (chunks for BM25, the directory's mentions and chunk texts) reads
    by pages too: at x1000 one get of the 78,000 chunks failed ("too many SQL variables")
    and no question could be answered. Here a page is 5 records and any bigger read fails."""
    from chromadb.api.models.Collection import Collection

    reference = AssistantService(fake_settings)
    reference.ingest()
    want = reference.ask("Qui travaille sur le logement ?").text
    monkeypatch.setattr(store_module, "READ_PAGE", 5)
    real_get = Collection.get

    def capped(self: Collection, *args: Any, **kwargs: Any) -> Any:
        assert kwargs.get("limit") is not None or "where" in kwargs or kwargs.get("ids"), \
            "a read of a whole collection"
        return real_get(self, *args, **kwargs)

    monkeypatch.setattr(Collection, "get", capped)
    service = AssistantService(fake_settings)
    service.warm()
    assert service.ask("Qui travaille sur le logement ?").text == want
    assert len(service.directory()) == len(reference.directory())


def test_documents_embedded_ahead_come_back_in_order_and_failures_surface() -> None:
    class FailingOnThird(FakeEncoder):
        def encode_passages(self, texts: list[str]) -> np.ndarray:
            if "trois" in texts[0]:
                raise RuntimeError("model crashed")
            return super().encode_passages(texts)

    def doc(name: str) -> Any:
        return type("Doc", (), {"name": name})()

    chunked = [(doc(n), chunk_document(f"Texte {n}. Suite {n}.", doc_id=n, title=n))
               for n in ("un", "deux", "trois", "quatre")]
    encoder = FailingOnThird()
    seen = []
    with pytest.raises(RuntimeError, match="model crashed"):
        for document, chunks, vectors, units in ingest_module.embedded_ahead(
                encoder, chunked, None, ahead=2):
            seen.append(document.name)
            np.testing.assert_array_equal(
                vectors, FakeEncoder().encode_passages([c.context_text() for c in chunks]))
            assert len(units) == sum(len(c.units) for c in chunks)
    assert seen == ["un", "deux"]


def test_only_the_chunks_get_a_full_search_graph(ingested: AssistantService) -> None:
    # Units are read by chunk id, never searched by vector: a minimal graph costs less to build.
    store, gen = ingested.store, generation(ingested)
    chunks = store.existing_collection(store.chunks_name(gen)).configuration_json["hnsw"]
    units = store.existing_collection(store.units_name(gen)).configuration_json["hnsw"]
    assert chunks["space"] == units["space"] == "cosine"
    assert units["max_neighbors"] < chunks["max_neighbors"]
    assert units["ef_construction"] < chunks["ef_construction"]


def test_documents_embedded_two_at_a_time_still_come_back_in_order() -> None:
    import threading
    import time

    class SlowFirst(FakeEncoder):
        """Thread-safe (a lock round the word table); the first document is the slowest."""

        thread_safe = True

        def __init__(self) -> None:
            super().__init__()
            self.lock = threading.Lock()
            self.threads: set[str] = set()

        def encode_passages(self, texts: list[str]) -> np.ndarray:
            self.threads.add(threading.current_thread().name)
            if "d0" in texts[0]:
                time.sleep(0.3)
            with self.lock:
                return super().encode_passages(texts)

    chunked = [(type("Doc", (), {"name": f"d{i}"})(),
                chunk_document(f"Texte d{i}. Suite.", doc_id=f"d{i}", title=f"d{i}"))
               for i in range(6)]
    encoder = SlowFirst()
    got = [(doc.name, vectors) for doc, _, vectors, _ in ingest_module.embedded_ahead(
        encoder, chunked, None, ahead=4)]
    assert [name for name, _ in got] == [f"d{i}" for i in range(6)]
    for (_, vectors), (_, chunks) in zip(got, chunked, strict=True):
        np.testing.assert_array_equal(
            vectors, FakeEncoder().encode_passages([c.context_text() for c in chunks]))
    assert len(encoder.threads) == ingest_module.EMBED_THREADS


# What cleaning and chunking make of corpus/, pinned to the PIPELINE_VERSION whose stores hold
# it. Documents are chunked again only when their content hash changes, and the hash changes
# with PIPELINE_VERSION: a change to cleaning, chunking or the core primitives they call
# (sentences, list marks, acronyms) must come with a new version, and its digest here.
# 11: "Nos stratégies pour y parvenir?" heads its section; 12: the same chunks (the change
# is in flattened FAQs, language switchers and tracking tags, which corpus/ does not hold)
CHUNKS_DIGEST = {"11": "7f0910e672c0dc94", "12": "7f0910e672c0dc94"}


def corpus_chunks_digest() -> str:
    digest = hashlib.sha256()
    for doc in scan_corpus(PROJECT_ROOT / "corpus", "pinned").documents:
        chunks = chunk_document(doc.text, doc_id=doc.info.doc_id, title=context_title(doc),
                                max_chars=Settings().chunk_max_chars)
        for chunk in chunks:
            digest.update(json.dumps([chunk.kind, chunk.section, chunk.text, chunk.units,
                                      chunk.unit_kinds], ensure_ascii=False).encode())
    return digest.hexdigest()[:16]


def test_pipeline_version_changes_with_what_cleaning_and_chunking_make_of_the_corpus() -> None:
    assert CHUNKS_DIGEST.get(PIPELINE_VERSION) == corpus_chunks_digest(), (
        "cleaning or chunking changed: bump PIPELINE_VERSION (assistant/ingestion/pipeline.py) "
        "and pin the new digest here")
