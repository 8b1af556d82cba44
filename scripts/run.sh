#!/usr/bin/env bash
# Set up, index the corpus if needed (incremental, seconds when nothing changed), and start.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/assistant ingest
exec .venv/bin/assistant chat
