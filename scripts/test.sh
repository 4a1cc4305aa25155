#!/usr/bin/env bash
# Runs the whole test suite: the C++ GoogleTest suites (ctest) and the Python tests (pytest).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${CINN_BUILD_DIR:-$ROOT/build}"
"$ROOT/scripts/setup.sh"
(cd "$BUILD" && ctest --output-on-failure -j"$(nproc)")
if [[ -d "$ROOT/tests/python" ]] && ls "$ROOT"/tests/python/test_*.py >/dev/null 2>&1; then
  # -rs: every skipped test is listed with its reason in the summary.
  cd "$ROOT" && "$ROOT/.venv/bin/python" -m pytest -q -rs tests/python
fi
