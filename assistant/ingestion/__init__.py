"""Corpus -> cleaned documents -> chunks and units -> embeddings -> the store (and the
directory). May import: directory, store, core, embeddings."""
