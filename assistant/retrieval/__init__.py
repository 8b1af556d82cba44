"""Hybrid retrieval (dense + bilingual BM25) over the active generation, its word
statistics and the units of the passages it returns. May import: store, core, embeddings."""
