#!/usr/bin/env bash
# The main job: builds kernels written in the DSL for this CPU, checks them against numpy
# and prints a table of their speed next to numpy's.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/scripts/setup.sh" >/dev/null
# As a module: run as a script, python/cinn would be first on sys.path and its `torch`
# subpackage would shadow PyTorch.
exec "$ROOT/.venv/bin/python" -m cinn.demo "$@"
