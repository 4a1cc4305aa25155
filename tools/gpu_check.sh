#!/usr/bin/env bash
# The GPU check of issue 5, in two halves.
#
# On the build machine (the full compiler, no GPU needed):
#   tools/gpu_check.sh build [OUT]   # default OUT=gpu_check: runs the graph op and fusion
#                                    # tests, saving every program they run as a CUDA
#                                    # artifact with its inputs and the host's outputs
# Copy OUT and the source tree's cinn/runtime, cinn/common, python/src, tools/ to the GPU machine, then:
#   tools/gpu_check.sh run [OUT]     # builds the runtime-only target (g++ + CMake only) and
#                                    # runs every artifact with cinn_run --check; then, with
#                                    # torch and the _cinn_runtime extension, on torch CUDA
#                                    # tensors through DLPack (tools/gpu_dlpack_check.py)
# `run` prints one PASS/FAIL line per artifact and a summary; it exits 1 on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-}
out=${2:-gpu_check}
case "$mode" in
  build)
    rm -rf "$out"
    mkdir -p "$out"
    CINN_GPU_ARTIFACTS="$(realpath "$out")" PYTHONPATH=python .venv/bin/python -m pytest -q \
      tests/python/graph/test_primitive_ops.py tests/python/graph/test_primitive_ops_2.py \
      tests/python/graph/test_graph_compiler.py tests/python/graph/test_composite_*.py
    echo "$(ls "$out" | wc -l) artifacts in $out ($(du -sh "$out" | cut -f1))"
    ;;
  run)
    build=${CINN_RUNTIME_BUILD:-build-runtime}
    cmake -S tools/runtime_only -B "$build" > /dev/null
    cmake --build "$build" -j "$(nproc)" > /dev/null
    # Several artifacts at once (one process each: a kernel fault cannot spoil the next).
    log=$(mktemp)
    ls -d "$out"/*/ | sed 's:/$::' | xargs -P "${CINN_GPU_CHECK_JOBS:-8}" -I{} \
      sh -c '"$0" "$1" --check || echo "FAIL $1 (cinn_run exit $?)"' "$build/cinn_run" {} 2>&1 | tee "$log"
    pass=$(grep -c '^PASS' "$log" || true)
    fail=$(grep -c '^FAIL' "$log" || true)
    total=$(ls -d "$out"/*/ | wc -l)
    rm -f "$log"
    echo "gpu_check: $pass passed, $fail failed, $((total - pass - fail)) without a verdict, of $total"
    # The same artifacts on torch CUDA tensors through DLPack (runtime-only Python extension),
    # where the machine's Python has torch and the build found pybind11.
    dlpack=0
    if ls "$build"/_cinn_runtime*.so > /dev/null 2>&1 && python3 -c "import torch" 2> /dev/null; then
      python3 tools/gpu_dlpack_check.py "$out" "$build" || dlpack=1
    else
      echo "gpu_dlpack: skipped (no _cinn_runtime extension in $build, or no torch)"
    fi
    [ "$fail" -eq 0 ] && [ "$pass" -eq "$total" ] && [ "$dlpack" -eq 0 ]
    ;;
  *)
    echo "usage: tools/gpu_check.sh build|run [DIR]" >&2
    exit 2
    ;;
esac
