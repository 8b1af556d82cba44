"""The extractive answer engine: question profile and kind, unit features and the fitted
model, checks, selection, composition; conversation and directory answers. May import:
retrieval, directory, store, core."""
