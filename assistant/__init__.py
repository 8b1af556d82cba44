"""Offline, cited question answering over the MOC / WSM / AID documents: one package per stage
of corpus -> chunks -> embeddings -> store -> retrieval -> answer -> interface (ARCHITECTURE.md)."""
