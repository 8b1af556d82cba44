#!/usr/bin/env bash
# Set up with the test tools, then lint, type-check and run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh dev
.venv/bin/ruff check .
.venv/bin/mypy
.venv/bin/lint-imports --no-cache
HF_HUB_OFFLINE=1 .venv/bin/python -m pytest "$@"
