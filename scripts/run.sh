#!/usr/bin/env bash
# Set up, index the corpus if needed (incremental, seconds when nothing changed), and start
# the web chat on http://127.0.0.1:7860/ (extra arguments go to `assistant serve`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/assistant ingest
exec .venv/bin/assistant serve "$@"
