// Running a runtime::Executable from Python, shared by the full extension (cinn._cinn) and
// the runtime-only one (_cinn_runtime, tools/runtime_only): inputs and outputs are numpy
// arrays in host memory or, for executables on a GPU, tensors in device memory exchanged
// through DLPack (torch CUDA tensors) without copies. Needs only cinn/runtime and pybind11.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cinn/common/type.h"
#include "cinn/runtime/executable.h"

namespace cinn::python {

// numpy dtype of an IR element type (DTypeError for bfloat16: numpy has none).
pybind11::dtype numpy_dtype(common::Type t);
// A new C-contiguous array whose data is 64-byte aligned (numpy's allocator gives 16), so
// kernels writing it use whole-cache-line and non-temporal stores (docs/architecture.md, codegen).
pybind11::array empty_aligned(common::Type dtype, const std::vector<int64_t>& shape);
// `h` as a numpy array of element type `dtype` (numpy arrays and scalars; host tensors that
// numpy views, sharing their memory); ExecutionError / DTypeError naming `what`
// ("argument 'A'", "input 'x'") otherwise. bfloat16 comes from host tensors that export
// DLPack (torch.bfloat16, DeviceArray) as a uint16 array of the bits, sharing the memory.
pybind11::array checked_array(pybind11::handle h, const std::string& what, common::Type dtype);

// A new output in host memory: `view` is the array the kernels write, `result` what the
// caller gets back. The same array, except for bfloat16, which numpy has no type for:
// `view` is then a uint16 array of the bits of `result`, a DeviceArray in host memory.
struct HostOutput {
  pybind11::array view;
  pybind11::object result;
};
HostOutput new_host_output(common::Type dtype, const std::vector<int64_t>& shape);

class ExecutablePy {
 public:
  explicit ExecutablePy(std::shared_ptr<runtime::Executable> exe) : exe_(std::move(exe)) {}

  // Inputs in declaration order; returns the outputs as a list: new arrays, or those given
  // in `outputs` (None entries get new ones). Host executables take numpy arrays; a given
  // output array must be C-contiguous, writeable and of the output's dtype and shape (an
  // input's array given as the output aliased to it, a training step's parameter, is
  // updated in place). bfloat16 inputs and given outputs are host tensors exported through
  // DLPack (torch.bfloat16); new bfloat16 outputs are host DeviceArrays. Executables on a GPU take numpy arrays (copied in and out) or,
  // all inputs alike, tensors in the GPU's memory that export DLPack (`__dlpack__`: torch
  // CUDA tensors; C-contiguous, 16-byte aligned, on device 0): those run without copies
  // and their outputs are DeviceArrays (torch.from_dlpack takes them without a copy), or
  // write into given device tensors.
  pybind11::list run(const std::vector<pybind11::object>& inputs,
                     const std::optional<std::vector<pybind11::object>>& outputs) const;
  // Runs `repeat` times on `inputs` (host arrays) and returns each launch's fastest time in
  // seconds (a list in launch order).
  pybind11::list profile(const std::vector<pybind11::object>& inputs, int repeat) const;

  const runtime::Executable& exe() const { return *exe_; }
  std::vector<std::string> input_names() const;
  std::vector<std::string> output_names() const;

 private:
  std::shared_ptr<runtime::Executable> exe_;
};

// Registers DeviceArray (an output in GPU memory, or bfloat16 on the host; exported through DLPack).
void bind_device_array(pybind11::module_& m);
// The classes and functions of the runtime-only extension that the full one has too:
// errors, DeviceArray, Executable (ExecutablePy) with run / profile / names, and
// load(dir) (runtime::load_executable).
void bind_runtime(pybind11::module_& m);

}  // namespace cinn::python
