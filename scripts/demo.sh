#!/usr/bin/env bash
# The main job: builds kernels written in the DSL for this CPU, checks them against numpy
# and prints a table of their speed next to numpy's.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/scripts/setup.sh" >/dev/null
exec "$ROOT/.venv/bin/python" "$ROOT/python/cinn/demo.py" "$@"
