"""Retrieval stage: dense (Chroma) + BM25, fused as llama-index's QueryFusionRetriever fuses.

The dense query, the node records and the fusion are a few lines of our own instead of
llama-index's ``VectorStoreIndex`` / ``QueryFusionRetriever``: importing ``llama_index.core``
took 1.5 s of the 5.7 s of a cold ``assistant ask`` on 2 cores (bench/RESULTS.md,
2026-12-06), for three small computations. They do what the library did, operation for
operation (``fuse`` names the library code it follows): the same candidates, the same
fused scores to the last bit, the same order, so every question set's answers are
byte-identical. Ingestion still writes the chunks through llama-index's ``ChromaVectorStore``
(``ingestion/pipeline.py``); ``node_from_record`` reads them back as its
``metadata_dict_to_node`` did.

The dense search itself is exact (a matrix product over the chunk vectors read at start) up
to ``EXACT_SEARCH_MAX_CHUNKS``: Chroma's graph search, approximate, once missed a question's
nearest chunk, so the same corpus could answer differently from one ingestion to the next.

Our own BM25 retriever: llama-index's BM25Retriever stems with one language, folds no
accents and drops no stop words from the *query*; ours runs the bilingual analyzer of
``textproc`` on both sides (see the README's retrieval figures).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import bm25s
import numpy as np

from assistant.core.settings import FusionMode, Settings
from assistant.core.text import analyze, file_name_words, tokenize_words
from assistant.core.types import Passage, Unit, chunk_position
from assistant.core.wordlists import synonyms_of
from assistant.retrieval.statistics import CorpusStatistics
from assistant.retrieval.units import load_units
from assistant.store.chroma import IndexStore, get_all
from embeddings.base import TextEncoder

RRF_K = 60.0  # reciprocal rank fusion's constant, as llama-index sets it


@dataclass
class ChunkNode:
    """One stored chunk: its id, text and metadata (title, section, source, context...)."""

    node_id: str
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class NodeWithScore:
    """A chunk with a retriever's (or the fusion's) score."""

    node: ChunkNode
    score: float | None = None


def node_from_record(metadata: Mapping[str, Any], text: str | None) -> ChunkNode:
    """The chunk of a Chroma record that llama-index's ``ChromaVectorStore`` wrote: its id
    and metadata are in the ``_node_content`` JSON, its text is the record's document (as
    ``llama_index.core.vector_stores.utils.metadata_dict_to_node`` reads them)."""
    content = metadata.get("_node_content")
    if content is None:
        raise ValueError("Node content not found in metadata dict.")
    node = json.loads(str(content))
    return ChunkNode(str(node["id_"]), node.get("text", "") if text is None else text,
                     dict(node.get("metadata") or {}))


# Up to this many chunks the dense search is exact, over the chunk vectors read at start:
# Chroma's HNSW search missed the nearest chunk of a question in about one build in ten of
# the same corpus with the same vectors (bench/QUALITY.md, 2026-12-07), so an answer could
# change after a re-ingestion. Exact search costs a matrix product: ~10 ms and ~150 MB at
# 100,000 chunks of 384 numbers. Above it, Chroma's graph search.
EXACT_SEARCH_MAX_CHUNKS = 100_000


class DenseRetriever:
    """The chunks nearest to the question's vector in the chunks collection (cosine):
    exact over ``vectors`` (the ``nodes``' rows, unit length) when given, else Chroma's
    approximate search."""

    def __init__(self, collection: Any, top_k: int, nodes: Sequence[ChunkNode] = (),
                 vectors: np.ndarray | None = None) -> None:
        self.collection = collection
        self.top_k = top_k
        self.nodes = list(nodes)
        self.vectors = vectors

    def retrieve(self, vector: np.ndarray) -> list[NodeWithScore]:
        if self.vectors is not None:
            return self.exact(vector)
        # The vector as llama-index sent it (a list of floats); its score is exp(-distance).
        got = self.collection.query(query_embeddings=vector.tolist(), n_results=self.top_k)
        return [
            NodeWithScore(node_from_record(meta, text), math.exp(-distance))
            for text, meta, distance in zip(
                got["documents"][0], got["metadatas"][0], got["distances"][0], strict=True)
        ]

    def exact(self, vector: np.ndarray) -> list[NodeWithScore]:
        """Chroma's cosine distance (1 - cosine) over every chunk, the nearest first (ties
        in the collection's order)."""
        assert self.vectors is not None
        similarity = self.vectors @ vector.astype(np.float32)
        order = np.argsort(-similarity, kind="stable")[: self.top_k]
        return [NodeWithScore(self.nodes[i], math.exp(-(1.0 - float(similarity[i]))))
                for i in order]


class AnalyzedBM25Retriever:
    """BM25 (bm25s) over chunk context texts, with the bilingual folding/stemming analyzer
    (``analyzed``: each text's ``analyze`` tokens; the query is analyzed the same way)."""

    def __init__(self, nodes: list[ChunkNode], analyzed: Sequence[list[str]], top_k: int) -> None:
        self._nodes = nodes
        self._top_k = max(1, min(top_k, len(nodes)))
        self._bm25 = bm25s.BM25()
        self._bm25.index([tokens or ["_"] for tokens in analyzed], show_progress=False)

    def holding(self, stem: str) -> list[int]:
        """The positions of the chunks whose tokens hold ``stem``."""
        if stem not in self._bm25.vocab_dict:
            return []
        return [int(i) for i in np.flatnonzero(self._bm25.get_scores([stem]))]

    def retrieve(self, query: str) -> list[NodeWithScore]:
        tokens = [t for t in analyze(query) if t in self._bm25.vocab_dict]
        if not tokens or not self._nodes:
            return []
        docs, scores = self._bm25.retrieve([tokens], k=self._top_k, show_progress=False)
        return [
            NodeWithScore(node=self._nodes[int(i)], score=float(s))
            for i, s in zip(docs[0], scores[0], strict=True)
            if s > 0
        ]


def fuse(results: Sequence[list[NodeWithScore]], weights: Sequence[float], mode: FusionMode,
         top_k: int) -> list[NodeWithScore]:
    """One ranking from each retriever's, as llama-index 0.14's ``QueryFusionRetriever``
    with one query: ``_relative_score_fusion`` (dist_based_score, relative_score) or
    ``_reciprocal_rerank_fusion``, the same float operations in the same order. Chunks are
    told apart by id where llama-index used its node hash (text and metadata): a chunk's
    metadata holds its document and index, so both tell the same chunks apart."""
    results = [first_of_each_chunk(nodes) for nodes in results]  # as its retrievers return
    if mode == "reciprocal_rerank":
        fused = reciprocal_rank_fusion(results)
    else:
        total = sum(weights)
        fused = relative_score_fusion(results, [w / total for w in weights],
                                      dist_based=mode == "dist_based_score")
    return fused[:top_k]


def first_of_each_chunk(nodes: list[NodeWithScore]) -> list[NodeWithScore]:
    """A ranking without repeats (llama-index's retrievers drop them, keeping the first)."""
    seen: set[str] = set()
    unique = []
    for n in nodes:
        if n.node.node_id not in seen:
            seen.add(n.node.node_id)
            unique.append(n)
    return unique


def relative_score_fusion(results: Sequence[list[NodeWithScore]], weights: Sequence[float],
                          *, dist_based: bool) -> list[NodeWithScore]:
    """Each ranking's scores scaled to 0-1 between its min and max (dist_based: its mean
    -/+ 3 standard deviations), times its retriever's weight, summed per chunk."""
    fused: dict[str, NodeWithScore] = {}
    for nodes, weight in zip(results, weights, strict=True):
        if not nodes:
            continue
        low, high = score_range([n.score or 0.0 for n in nodes], dist_based)
        for n in nodes:
            if high == low:
                scaled = 1.0 if high > 0 else 0.0
            else:
                scaled = (float(n.score) - low) / (high - low)  # type: ignore[arg-type]
            score = (scaled or 0.0) * weight  # divided by the number of queries, one
            if n.node.node_id in fused:
                kept = fused[n.node.node_id]
                kept.score = (kept.score or 0.0) + (score or 0.0)
            else:
                fused[n.node.node_id] = NodeWithScore(n.node, score)
    return sorted(fused.values(), key=lambda x: x.score or 0.0, reverse=True)


def score_range(scores: list[float], dist_based: bool) -> tuple[float, float]:
    if not dist_based:
        return min(scores), max(scores)
    mean_score = sum(scores) / len(scores)
    std_dev = (sum((x - mean_score) ** 2 for x in scores) / len(scores)) ** 0.5
    return mean_score - 3 * std_dev, mean_score + 3 * std_dev


def reciprocal_rank_fusion(results: Sequence[list[NodeWithScore]]) -> list[NodeWithScore]:
    """Sum over the rankings of 1 / (rank + 60); weights play no part."""
    fused_scores: dict[str, float] = {}
    node_of: dict[str, ChunkNode] = {}
    for nodes in results:
        ranked = sorted(nodes, key=lambda x: x.score or 0.0, reverse=True)
        for rank, n in enumerate(ranked):
            node_of[n.node.node_id] = n.node
            fused_scores[n.node.node_id] = fused_scores.get(n.node.node_id, 0.0) + 1.0 / (
                rank + RRF_K)
    ordered = sorted(fused_scores.items(), key=lambda x: x[1], reverse=True)
    return [NodeWithScore(node_of[chunk_id], score) for chunk_id, score in ordered]


def translations(query: str) -> list[str]:
    words = tokenize_words(query)
    return sorted({s for w in words for s in synonyms_of(w) if s[:4] != w[:4]})


def passage_from(node_with_score: NodeWithScore, rank: int) -> Passage:
    node = node_with_score.node
    meta = node.metadata
    return Passage(
        chunk_id=node.node_id,
        text=node.text,
        title=str(meta.get("title", "")),
        section=str(meta.get("section", "")),
        source=str(meta.get("source", "")),
        organisation=str(meta.get("organisation", "")),
        language=str(meta.get("language", "")),
        score=float(node_with_score.score or 0.0),
        rank=rank,
    )


class HybridRetriever:
    """Dense + BM25 over the active generation, fused (``fuse``)."""

    def __init__(self, settings: Settings, store: IndexStore, generation: int,
                 encoder: TextEncoder) -> None:
        self.encoder = encoder
        self._last_query: tuple[str, np.ndarray] | None = None
        self.store, self.generation = store, generation
        chunks = store.existing_collection(store.chunks_name(generation))
        exact = chunks.count() <= EXACT_SEARCH_MAX_CHUNKS
        self.nodes, vectors = load_nodes(chunks, with_vectors=exact)
        self.by_id = {n.node_id: n for n in self.nodes}
        self.by_document = chunks_by_document(self.nodes)
        self.position_of = {node.node_id: i for i, node in enumerate(self.nodes)}
        texts = [str(n.metadata.get("context") or n.text) for n in self.nodes]
        analyzed = [analyze(text) for text in texts]  # once, for the statistics and BM25
        # One name per document (its file name's words and its organisation), not per chunk.
        names = [f"{file_name_words(source)} {chunks[0].metadata.get('organisation', '')}"
                 for source, chunks in self.by_document.items()]
        self.statistics = CorpusStatistics(texts, analyzed, names)
        self.candidates = max(settings.candidates, settings.top_k)
        self.dense = DenseRetriever(chunks, self.candidates, self.nodes, vectors)
        self.bm25 = AnalyzedBM25Retriever(self.nodes, analyzed, self.candidates) \
            if self.nodes else None
        self.mode: FusionMode = settings.fusion_mode
        # Dense carries the cross-lingual questions BM25 cannot match; measured in
        # bench/retrieval_modes.py (ignored by reciprocal_rerank, which has no weights).
        self.weights = [settings.dense_weight, 1 - settings.dense_weight]

    def retrieve(self, query: str, other_names: Sequence[str] = ()) -> list[Passage]:
        """Fused passages. BM25 also gets the question words' bilingual synonyms that look
        different (peace -> paix, training -> formation; core/data/synonyms.toml): inflections are
        the stemmer's job, and adding them over-weights the word. ``other_names``: the other names
        of an organisation the question names by its acronym ("faculté Ouverte de Politique
        Économique et Sociale" for "FOPES"), for BM25 too: a passage that names it only by its
        long name shares no word with the question. The dense
        retriever embeds the question as asked."""
        if not self.nodes or self.bm25 is None:
            return []
        lexical = " ".join([query, *other_names, *translations(query)])
        results = [self.dense.retrieve(self.query_vector(query)), self.bm25.retrieve(lexical)]
        fused = fuse(results, self.weights, self.mode, self.candidates)
        return [passage_from(n, rank) for rank, n in enumerate(fused, start=1)]

    def query_vector(self, query: str) -> np.ndarray:
        """The question's vector, kept for the answer engine (not embedded twice)."""
        last = self._last_query  # read once: another thread's question may replace it
        if last is not None and last[0] == query:
            return last[1]
        vector = self.encoder.encode_queries([query])[0]
        self._last_query = (query, vector)
        return vector

    def passages_holding(self, stem: str, query_vector: np.ndarray, limit: int
                         ) -> list[Passage]:
        """Up to ``limit`` chunks of the documents whose words hold ``stem`` (the rare word
        of a name asked: a page's later chunks seldom repeat it), the nearest to the
        question's vector first (the documents' order without the vectors), as passages of
        rank 0 (looked up, not retrieved)."""
        holding = self.bm25.holding(stem) if self.bm25 is not None else []
        documents = dict.fromkeys(str(self.nodes[i].metadata.get("source", "")) for i in holding)
        positions = [self.position_of[node.node_id] for document in documents
                     for node in self.by_document.get(document, [])]
        vectors = self.dense.vectors
        if vectors is not None and positions:
            similarity = vectors[positions] @ query_vector.astype(np.float32)
            positions = [positions[i] for i in np.argsort(-similarity, kind="stable")]
        return [passage_from(NodeWithScore(node=self.nodes[i], score=0.0), 0)
                for i in positions[:limit]]

    def units_for(self, passages: Sequence[Passage]) -> list[Unit]:
        """The sentences and list items of the passages, with their stored vectors."""
        return load_units(self.store, self.generation, passages)

    def passage_of(self, chunk_id: str) -> Passage | None:
        """The chunk as a passage of rank 0 (not retrieved: looked up), or None."""
        node = self.by_id.get(chunk_id)
        return passage_from(NodeWithScore(node=node, score=0.0), 0) if node is not None else None

    def document_passages(self, source: str) -> list[Passage]:
        """Every chunk of one document (its ``source``), in the order of its text, as
        passages of rank 0 (looked up, not retrieved)."""
        return [passage_from(NodeWithScore(node=node, score=0.0), 0)
                for node in self.by_document.get(source, [])]


def chunks_by_document(nodes: Sequence[ChunkNode]) -> dict[str, list[ChunkNode]]:
    """The chunks of each document (metadata "source"), in the order of their numbers (a
    chunk id ends in "-<n>")."""
    grouped: dict[str, list[ChunkNode]] = {}
    for node in nodes:
        grouped.setdefault(str(node.metadata.get("source", "")), []).append(node)
    for chunks in grouped.values():
        chunks.sort(key=lambda n: chunk_position(n.node_id)[1])
    return grouped


def load_nodes(collection: Any, with_vectors: bool = False
               ) -> tuple[list[ChunkNode], np.ndarray | None]:
    """Every chunk of the generation (for BM25 and lookups), and their vectors (unit length,
    for the exact dense search) when asked."""
    got = get_all(collection, ["documents", "metadatas", *(["embeddings"] if with_vectors else [])])
    nodes = [node_from_record(meta, text)
             for text, meta in zip(got["documents"] or [], got["metadatas"] or [], strict=True)]
    if not with_vectors or not nodes:
        return nodes, None
    vectors = np.asarray(got["embeddings"], dtype=np.float32).reshape(len(nodes), -1)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return nodes, vectors / np.where(norms > 0, norms, 1.0)
