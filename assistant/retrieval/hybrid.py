"""Retrieval stage: dense (Chroma) + BM25, fused with llama-index's QueryFusionRetriever.

Two pieces are ours, each for a measured reason:
- ``EncoderEmbedding`` adapts our ``TextEncoder`` (real or fake) to llama-index, so
  tests register a fake through the real code path, and it keeps the last query
  vector, which the answer engine reuses instead of embedding the question twice.
- ``AnalyzedBM25Retriever``: llama-index's BM25Retriever stems with one language,
  folds no accents and drops no stop words from the *query*; ours runs the bilingual
  analyzer of ``textproc`` on both sides (see the README's retrieval figures).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import bm25s
import numpy as np
from llama_index.core import VectorStoreIndex
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.llms import MockLLM
from llama_index.core.retrievers import BaseRetriever, QueryFusionRetriever
from llama_index.core.schema import BaseNode, NodeWithScore, QueryBundle
from llama_index.core.vector_stores.utils import metadata_dict_to_node
from llama_index.vector_stores.chroma import ChromaVectorStore
from pydantic import PrivateAttr

from assistant.core.settings import Settings
from assistant.core.text import analyze, tokenize_words
from assistant.core.types import Passage, Unit
from assistant.core.wordlists import synonyms_of
from assistant.retrieval.statistics import CorpusStatistics
from assistant.retrieval.units import load_units
from assistant.store.chroma import IndexStore, get_all
from embeddings.base import TextEncoder


class EncoderEmbedding(BaseEmbedding):
    """llama-index embedding backed by a ``TextEncoder`` (query/passage prefixes inside)."""

    _encoder: Any = PrivateAttr()
    _last_query: tuple[str, np.ndarray] | None = PrivateAttr(default=None)

    def __init__(self, encoder: TextEncoder, **kwargs: Any) -> None:
        super().__init__(model_name=encoder.name, embed_batch_size=32, **kwargs)
        self._encoder = encoder

    def query_vector(self, query: str) -> np.ndarray:
        if self._last_query is not None and self._last_query[0] == query:
            return self._last_query[1]
        vector = self._encoder.encode_queries([query])[0]
        self._last_query = (query, vector)
        return vector

    def _get_query_embedding(self, query: str) -> list[float]:
        return self.query_vector(query).tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._encoder.encode_passages([text])[0].tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._encoder.encode_passages(texts).tolist()


class AnalyzedBM25Retriever(BaseRetriever):
    """BM25 (bm25s) over chunk context texts, with the bilingual folding/stemming analyzer."""

    def __init__(self, nodes: list[BaseNode], texts: list[str], top_k: int) -> None:
        super().__init__()
        self._nodes = nodes
        self._top_k = max(1, min(top_k, len(nodes)))
        self._bm25 = bm25s.BM25()
        self._bm25.index([analyze(t) or ["_"] for t in texts], show_progress=False)

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        tokens = [t for t in analyze(query_bundle.query_str) if t in self._bm25.vocab_dict]
        if not tokens or not self._nodes:
            return []
        docs, scores = self._bm25.retrieve([tokens], k=self._top_k, show_progress=False)
        return [
            NodeWithScore(node=self._nodes[int(i)], score=float(s))
            for i, s in zip(docs[0], scores[0], strict=True)
            if s > 0
        ]




def translations(query: str) -> list[str]:
    words = tokenize_words(query)
    return sorted({s for w in words for s in synonyms_of(w) if s[:4] != w[:4]})


def passage_from(node_with_score: NodeWithScore, rank: int) -> Passage:
    node = node_with_score.node
    meta = node.metadata
    return Passage(
        chunk_id=node.node_id,
        text=node.get_content(),
        title=str(meta.get("title", "")),
        section=str(meta.get("section", "")),
        source=str(meta.get("source", "")),
        organisation=str(meta.get("organisation", "")),
        language=str(meta.get("language", "")),
        score=float(node_with_score.score or 0.0),
        rank=rank,
    )


class HybridRetriever:
    """Dense + BM25 over the active generation, fused by llama-index."""

    def __init__(self, settings: Settings, store: IndexStore, generation: int,
                 encoder: TextEncoder) -> None:
        self.embedding = EncoderEmbedding(encoder)
        self.store, self.generation = store, generation
        chunks = store.existing_collection(store.chunks_name(generation))
        self.nodes = load_nodes(chunks)
        self.by_id = {n.node_id: n for n in self.nodes}
        texts = [str(n.metadata.get("context") or n.get_content()) for n in self.nodes]
        self.statistics = CorpusStatistics(texts)
        vector_store = ChromaVectorStore(chroma_collection=chunks)
        index = VectorStoreIndex.from_vector_store(vector_store, embed_model=self.embedding)
        candidates = max(settings.candidates, settings.top_k)
        dense = index.as_retriever(similarity_top_k=candidates)
        retrievers: list[BaseRetriever] = [dense]
        if self.nodes:
            retrievers.append(AnalyzedBM25Retriever(self.nodes, texts, candidates))
        self.fusion = QueryFusionRetriever(
            retrievers,
            llm=MockLLM(),  # never called: num_queries=1 generates no extra queries
            mode=settings.fusion_mode,  # type: ignore[arg-type]
            # Dense carries the cross-lingual questions BM25 cannot match; measured in
            # bench/retrieval_modes.py (ignored by reciprocal_rerank, which has no weights).
            retriever_weights=[settings.dense_weight, 1 - settings.dense_weight][: len(retrievers)],
            similarity_top_k=candidates,
            num_queries=1,
            use_async=False,
        )

    def retrieve(self, query: str, other_names: Sequence[str] = ()) -> list[Passage]:
        """Fused passages. BM25 also gets the question words' bilingual synonyms that look
        different (peace -> paix, training -> formation; core/data/synonyms.toml): inflections are
        the stemmer's job, and adding them over-weights the word. ``other_names``: the other names
        of an organisation the question names by its acronym ("faculté Ouverte de Politique
        Économique et Sociale" for "FOPES"), for BM25 too: a passage that names it only by its
        long name shares no word with the question. The dense
        retriever embeds the question as asked."""
        if not self.nodes:
            return []
        lexical = " ".join([query, *other_names, *translations(query)])
        fused = self.fusion.retrieve(QueryBundle(lexical, custom_embedding_strs=[query]))
        return [passage_from(n, rank) for rank, n in enumerate(fused, start=1)]

    def query_vector(self, query: str) -> np.ndarray:
        return self.embedding.query_vector(query)

    def units_for(self, passages: Sequence[Passage]) -> list[Unit]:
        """The sentences and list items of the passages, with their stored vectors."""
        return load_units(self.store, self.generation, passages)

    def passage_of(self, chunk_id: str) -> Passage | None:
        """The chunk as a passage of rank 0 (not retrieved: looked up), or None."""
        node = self.by_id.get(chunk_id)
        return passage_from(NodeWithScore(node=node, score=0.0), 0) if node is not None else None


def load_nodes(collection: Any) -> list[BaseNode]:
    """Every chunk of the generation, rebuilt as llama-index nodes (for BM25 and lookups)."""
    got = get_all(collection, ["documents", "metadatas"])
    nodes = []
    for text, meta in zip(got["documents"] or [], got["metadatas"] or [], strict=True):
        node = metadata_dict_to_node(dict(meta), text=text)
        nodes.append(node)
    return nodes
