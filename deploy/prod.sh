#!/usr/bin/env bash
# deploy/prod.sh up|down|status: the production topology on this machine (see deploy/prod.py).
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python deploy/prod.py "$@"
