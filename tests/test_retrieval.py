"""Retrieval with the organisation directory: an acronym's other names in the BM25 query.

The real pipeline over a copy of the corpus with the deterministic fake encoder (no model).
"""

from __future__ import annotations

import pytest
from conftest import ingested_copy

from assistant.core.settings import Settings
from assistant.core.text import analyze
from assistant.core.types import Passage
from assistant.retrieval.expansion import acronym_expansions
from assistant.service.assistant_service import AssistantService


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> AssistantService:
    settings: Settings = ingested_copy(tmp_path_factory, "retrieval")
    service = AssistantService(settings)
    service.warm()
    return service


def expansions(service: AssistantService, question: str) -> list[str]:
    return acronym_expansions(question, service._ready_retriever().statistics,
                              service._aliases_of)


def test_a_rare_acronym_brings_its_long_names_to_the_lexical_query(
        service: AssistantService) -> None:
    """"FOPES" is written out ("faculté Ouverte de Politique Économique et Sociale") in the
    passage that says what it offers: BM25 needs those words to find it."""
    names = expansions(service, "Que propose la FOPES aux adultes ?")
    assert "faculté Ouverte de Politique Économique et Sociale" in names
    assert "FOPES" not in names


def test_a_frequent_acronym_or_a_full_name_is_left_as_asked(service: AssistantService) -> None:
    """"WSM" is in many chunks: its long names would pull the ranking towards other
    passages (measured: MRR down on every question set). Full names hold their words."""
    assert expansions(service, "Que fait WSM en Belgique ?") == []
    assert expansions(service, "Que fait Solidarité Mondiale ?") == []


def test_the_other_names_find_the_passage_that_spells_the_acronym_out(
        service: AssistantService) -> None:
    retriever = service._ready_retriever()
    question = "Qu'est-ce que la FOPES ?"
    spelled = "faculté Ouverte de Politique Économique et Sociale"

    def rank(passages: list[Passage]) -> int:
        return next((p.rank for p in passages if spelled in p.text), 10**6)

    plain = rank(retriever.retrieve(question))
    expanded = rank(retriever.retrieve(question, expansions(service, question)))
    assert expanded <= service.settings.top_k
    assert expanded < plain


# -- our fusion and node reading against llama-index's own ------------------------------------


def _library_fusion(rankings: list[list[tuple[str, float]]], weights: list[float],
                    mode: str, top_k: int) -> list[tuple[str, str]]:
    """llama-index's QueryFusionRetriever over fixed rankings: (chunk id, score in hex)."""
    from llama_index.core.llms import MockLLM
    from llama_index.core.retrievers import BaseRetriever, QueryFusionRetriever
    from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

    class Fixed(BaseRetriever):
        def __init__(self, ranking: list[tuple[str, float]]) -> None:
            super().__init__()
            self.ranking = ranking

        def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
            # The hash llama-index fuses on is its text + metadata: one per chunk, as ours.
            return [NodeWithScore(node=TextNode(id_=i, text=f"text of {i}",
                                                metadata={"chunk": i}), score=s)
                    for i, s in self.ranking]

    fusion = QueryFusionRetriever([Fixed(r) for r in rankings], llm=MockLLM(),
                                  mode=mode,  # type: ignore[arg-type]
                                  retriever_weights=weights, similarity_top_k=top_k,
                                  num_queries=1, use_async=False)
    return [(n.node.node_id, float(n.score or 0.0).hex()) for n in fusion.retrieve("q")]


def _our_fusion(rankings: list[list[tuple[str, float]]], weights: list[float], mode: str,
                top_k: int) -> list[tuple[str, str]]:
    from assistant.retrieval.hybrid import ChunkNode, NodeWithScore, fuse

    results = [[NodeWithScore(ChunkNode(i, f"text of {i}", {"chunk": i}), s) for i, s in r]
               for r in rankings]
    return [(n.node.node_id, float(n.score or 0.0).hex())
            for n in fuse(results, weights, mode, top_k)]  # type: ignore[arg-type]


@pytest.mark.parametrize("mode", ["dist_based_score", "relative_score", "reciprocal_rerank"])
@pytest.mark.parametrize("weight", [0.7, 0.5, 1.0, 0.0])
def test_fusion_is_llama_index_fusion_to_the_last_bit(mode: str, weight: float) -> None:
    """Scores like the dense retriever's (exp(-distance)) and BM25's, rankings that share
    chunks, ties, a chunk repeated, a ranking of one and an empty one: the same chunks in
    the same order with the same scores, bit for bit."""
    import random

    rng = random.Random(14)
    ids = [f"c{n}" for n in range(40)]
    for case in range(30):
        dense = [(i, rng.uniform(0.3, 0.9)) for i in rng.sample(ids, 20)]
        bm25 = [(i, rng.choice([rng.uniform(0.5, 12.0), 3.25])) for i in rng.sample(ids, 20)]
        bm25.sort(key=lambda pair: -pair[1])
        if case % 5 == 1:
            bm25 = bm25[:1]
        if case % 5 == 2:
            bm25 = []
        if case % 5 == 3:
            dense.append(dense[0])  # a repeat: dropped, the first kept
        rankings = [dense, bm25]
        weights = [weight, 1 - weight]
        assert _our_fusion(rankings, weights, mode, 20) == _library_fusion(
            rankings, weights, mode, 20)


def test_chunk_records_read_as_llama_index_reads_them(service: AssistantService) -> None:
    """Every stored chunk: the id, text and metadata ``metadata_dict_to_node`` gives."""
    from llama_index.core.vector_stores.utils import metadata_dict_to_node

    from assistant.retrieval.hybrid import node_from_record
    from assistant.store.chroma import get_all

    store = service.store
    chunks = store.existing_collection(store.chunks_name(service._active_state().generation))
    got = get_all(chunks, ["documents", "metadatas"])
    assert len(got["ids"]) > 50
    for text, meta in zip(got["documents"], got["metadatas"], strict=True):
        theirs, ours = metadata_dict_to_node(dict(meta), text=text), node_from_record(meta, text)
        assert (ours.node_id, ours.text, ours.metadata) == (
            theirs.node_id, theirs.get_content(), theirs.metadata)
    with pytest.raises(ValueError, match="Node content not found"):
        node_from_record({"title": "a record no llama-index store wrote"}, "text")


def test_the_dense_search_is_exact_and_scores_as_chroma_does(service: AssistantService) -> None:
    """Below EXACT_SEARCH_MAX_CHUNKS the dense search runs over the chunk vectors read at
    start (Chroma's graph search missed a question's nearest chunk in one build in ten): the
    nearest chunks by cosine, each scored exp(-distance) as Chroma's own query scores it."""
    import numpy as np

    retriever = service._ready_retriever()
    dense = retriever.dense
    assert dense.vectors is not None and len(dense.vectors) == len(retriever.nodes)
    vector = retriever.query_vector("Quand WSM a-t-elle été fondée ?")
    ours = dense.retrieve(vector)
    cosines = dense.vectors @ vector
    assert [n.node.node_id for n in ours] == [
        retriever.nodes[i].node_id for i in np.argsort(-cosines, kind="stable")[: dense.top_k]]
    got = dense.collection.query(query_embeddings=vector.tolist(), n_results=dense.top_k)
    theirs = {i: np.exp(-d) for i, d in zip(got["ids"][0], got["distances"][0], strict=True)}
    shared = [n for n in ours if n.node.node_id in theirs]
    assert len(shared) >= 0.8 * len(ours)  # a graph search may miss some; most are common
    for node in shared:
        assert node.score == pytest.approx(theirs[node.node.node_id], abs=1e-5)


def test_a_large_collection_is_searched_by_chroma(
        service: AssistantService, monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.retrieval import hybrid

    monkeypatch.setattr(hybrid, "EXACT_SEARCH_MAX_CHUNKS", 10)
    state = service._active_state()
    retriever = hybrid.HybridRetriever(service.settings, service.store, state.generation,
                                       service.encoder())
    assert retriever.dense.vectors is None
    found = retriever.retrieve("Quand WSM a-t-elle été fondée ?")
    assert found and found[0].rank == 1


def test_chunks_are_grouped_by_document_in_the_order_of_their_numbers() -> None:
    from assistant.retrieval.hybrid import ChunkNode, chunks_by_document

    nodes = [ChunkNode(f"{doc}-{n}", f"{doc} {n}", {"source": f"{doc}.txt"})
             for doc, n in (("b", 10), ("a", 1), ("b", 2), ("a", 0), ("b", 0))]
    grouped = chunks_by_document(nodes)
    assert [n.node_id for n in grouped["b.txt"]] == ["b-0", "b-2", "b-10"]
    assert [n.node_id for n in grouped["a.txt"]] == ["a-0", "a-1"]


def test_a_documents_passages_are_its_stored_chunks_in_text_order(
        service: AssistantService) -> None:
    retriever = service._ready_retriever()
    source = next(str(n.metadata["source"]) for n in retriever.nodes)
    passages = retriever.document_passages(source)
    stored = [n for n in retriever.nodes if n.metadata.get("source") == source]
    assert {p.chunk_id for p in passages} == {n.node_id for n in stored}
    numbers = [int(p.chunk_id.rpartition("-")[2]) for p in passages]
    assert numbers == sorted(numbers) and all(p.source == source for p in passages)
    assert retriever.document_passages("no such document.txt") == []


def test_the_passages_holding_a_word_are_its_documents_chunks_nearest_first(
        service: AssistantService) -> None:
    """Every chunk of the documents that write the word (a page's later chunks seldom
    repeat a name), ranked by cosine with the question's vector."""
    retriever = service._ready_retriever()
    vector = retriever.query_vector("Qui a fondé la FOPES ?")
    stem = analyze("FOPES")[-1]
    found = retriever.passages_holding(stem, vector, 100)
    assert retriever.bm25 is not None
    holding = {str(retriever.nodes[i].metadata["source"]) for i in retriever.bm25.holding(stem)}
    assert holding and {p.source for p in found} == holding
    assert len(found) == sum(len(retriever.document_passages(d)) for d in holding)
    assert retriever.dense.vectors is not None
    position = {n.node_id: i for i, n in enumerate(retriever.nodes)}
    similarity = [float(retriever.dense.vectors[position[p.chunk_id]] @ vector) for p in found]
    assert similarity == sorted(similarity, reverse=True)
    assert [p.chunk_id for p in retriever.passages_holding(stem, vector, 2)] == [
        p.chunk_id for p in found[:2]]
    assert retriever.passages_holding("nosuchword", vector, 2) == []


def test_a_history_question_reads_the_history_section_of_a_retrieved_page(
        service: AssistantService) -> None:
    """The page retrieved for the organisation's address and mission has a history section
    that shares only "histoire" (in its heading) with the question: it is read too (the
    history's dated chunks switched off: they would bring that section as well)."""
    dated, service.settings.timeline_passages = service.settings.timeline_passages, 0
    try:
        answer = service.ask("Résume l'histoire de WSM")
        assert any(p.section.lower().startswith("histori") for p in answer.sources)
        sections, service.settings.section_passages = service.settings.section_passages, 0
        try:
            without = service.ask("Résume l'histoire de WSM")
        finally:
            service.settings.section_passages = sections
    finally:
        service.settings.timeline_passages = dated
    assert len(without.sources) == len(answer.sources) - 1
    assert not any(p.section.lower().startswith("histori") for p in without.sources)


def test_a_history_reads_the_dated_chunks_of_its_page(service: AssistantService) -> None:
    """With neither the named section nor the dated chunks, the history section of the page
    retrieved for the address is not read; the dated chunks alone bring it."""
    settings = service.settings
    saved = settings.section_passages, settings.timeline_passages
    try:
        settings.section_passages, settings.timeline_passages = 0, 0
        bare = service.ask("Résume l'histoire de WSM")
        settings.timeline_passages = 3
        dated = service.ask("Résume l'histoire de WSM")
    finally:
        settings.section_passages, settings.timeline_passages = saved
    assert not any(p.section.lower().startswith("histori") for p in bare.sources)
    assert any(p.section.lower().startswith("histori") for p in dated.sources)
