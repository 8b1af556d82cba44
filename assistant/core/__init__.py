"""Shared types, text primitives, word lists, messages, settings and errors.
May import: nothing of the project but embeddings' model names."""
