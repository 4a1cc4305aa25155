#!/usr/bin/env bash
# Idempotent set-up on Debian 12: apt packages (only those missing), the .venv with Debian's
# Python and system site-packages, a Release build with ccache, and `import cinn` from the
# venv in any directory. Quick no-op when everything is present and up to date.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${CINN_BUILD_DIR:-$ROOT/build}"

PACKAGES=(build-essential cmake pkgconf ccache llvm-19-dev libmlir-19-dev mlir-19-tools
  libzstd-dev libisl-dev libgmp-dev pybind11-dev python3-dev python3-venv python3-numpy
  python3-pytest python3-torch python3-torchvision python3-pil python3-onnx libgtest-dev libgmock-dev
  libbenchmark-dev libxgboost-dev libsqlite3-dev libdnnl-dev libopenblas-dev python3-tqdm)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [[ ! -x "$ROOT/.venv/bin/python" ]]; then
  /usr/bin/python3 -m venv --system-site-packages "$ROOT/.venv"
fi
# Make `import cinn` work from the venv in any directory.
SITE="$("$ROOT/.venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
echo "$ROOT/python" > "$SITE/cinn.pth"

if [[ ! -f "$BUILD/CMakeCache.txt" ]]; then
  cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release \
    -DPython_EXECUTABLE="$ROOT/.venv/bin/python" >/dev/null
fi
cmake --build "$BUILD" -j"$(nproc)"
