#!/usr/bin/env bash
# Serve the demo: the background worker and the web server together; Ctrl+C stops both.
set -euo pipefail
BIN="$(dirname "$0")/../.venv/bin"
"$BIN/wraparound" db_worker --interval 1 &
worker=$!
"$BIN/wraparound" run_periodic --loop 60 > /dev/null &
periodic=$!
trap 'kill $worker $periodic 2>/dev/null || true' EXIT INT TERM
echo "Wraparound is at http://127.0.0.1:${PORT:-8000}/ (Ctrl+C to stop)"
"$BIN/wraparound" runserver "127.0.0.1:${PORT:-8000}" --noreload
