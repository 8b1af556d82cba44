"""The optional language model: backends, prompts, the draft and its citation check.
May import: answering, retrieval, core."""
