// The runtime-only extension `_cinn_runtime` (tools/runtime_only): loads saved executables
// and runs them on numpy arrays or DLPack tensors in GPU memory, with no compiler inside.
#include <pybind11/pybind11.h>

#include "src/bindings.h"
#include "src/executable_py.h"

PYBIND11_MODULE(_cinn_runtime, m) {
  m.doc() = "CINN runtime (saved executables only): load(dir) -> Executable; run(inputs, outputs=None).";
  cinn::python::bind_errors(m);
  cinn::python::bind_runtime(m);
}
