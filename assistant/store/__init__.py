"""The Chroma store: generations of collections, the index state, one-line failures.
May import: assistant.core."""
