#include "src/executable_py.h"

#include <pybind11/stl.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "cinn/common/error.h"
#include "cinn/runtime/artifact.h"
#include "cinn/runtime/module.h"

namespace py = pybind11;

namespace cinn::python {

// ---- numpy arrays

py::dtype numpy_dtype(common::Type t) {
  if (t.is_bfloat()) CINN_THROW(DTypeError) << "bfloat16 buffers cannot be exchanged with numpy";
  return py::dtype(t.to_string());
}

namespace {

// Host memory for `bytes` bytes (at least one), 64-byte aligned; freed with std::free.
void* alloc_aligned(int64_t bytes) {
  size_t rounded = (std::max<int64_t>(bytes, 1) + 63) / 64 * 64;
  void* data = std::aligned_alloc(64, rounded);
  if (!data) CINN_THROW(ExecutionError) << "out of memory allocating " << rounded << " bytes";
  return data;
}

}  // namespace

py::array empty_aligned(common::Type dtype, const std::vector<int64_t>& shape) {
  py::dtype dt = numpy_dtype(dtype);
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  void* data = alloc_aligned(n * dt.itemsize());
  py::capsule owner(data, [](void* p) { std::free(p); });
  return py::array(dt, shape, data, owner);
}

// DLPack device types (https://dmlc.github.io/dlpack/latest/).
enum DLDeviceType : int32_t { kDLCPU = 1, kDLCUDA = 2 };

namespace {

std::string shape_text(const std::vector<int64_t>& shape) {
  std::ostringstream os;
  os << "[";
  for (size_t i = 0; i < shape.size(); ++i) os << (i ? ", " : "") << shape[i];
  os << "]";
  return os.str();
}

// ---- DLPack (https://dmlc.github.io/dlpack/latest/): the C ABI of its legacy capsules.

enum DLDataTypeCode : uint8_t { kDLInt = 0, kDLUInt = 1, kDLFloat = 2, kDLBfloat = 4, kDLBool = 6 };
struct DLDevice {
  int32_t device_type;
  int32_t device_id;
};
struct DLDataType {
  uint8_t code;
  uint8_t bits;
  uint16_t lanes;
};
struct DLTensor {
  void* data;
  DLDevice device;
  int32_t ndim;
  DLDataType dtype;
  int64_t* shape;
  int64_t* strides;  // in elements; NULL: compact row-major
  uint64_t byte_offset;
};
struct DLManagedTensor {
  DLTensor dl_tensor;
  void* manager_ctx;
  void (*deleter)(DLManagedTensor* self);
};
constexpr const char* kCapsule = "dltensor";
constexpr const char* kUsedCapsule = "used_dltensor";

DLDataType dl_dtype(common::Type t) {
  DLDataType d{kDLFloat, static_cast<uint8_t>(t.bits()), 1};
  if (t.is_int()) d.code = kDLInt;
  if (t.is_uint()) d.code = kDLUInt;
  if (t.is_bfloat()) d.code = kDLBfloat;
  if (t.is_bool()) d = {kDLBool, 8, 1};
  return d;
}

// Whether `h` is a tensor other than a numpy array that speaks DLPack.
bool has_dlpack(py::handle h) {
  return !py::isinstance<py::array>(h) && py::hasattr(h, "__dlpack_device__") && py::hasattr(h, "__dlpack__");
}

// Whether `h` is a tensor in GPU memory that speaks DLPack (torch CUDA tensors, ...).
bool is_device_tensor(py::handle h) {
  if (!has_dlpack(h)) return false;
  try {
    py::tuple dev = h.attr("__dlpack_device__")();
    return dev.size() >= 1 && dev[0].cast<int>() == kDLCUDA;
  } catch (const py::error_already_set&) {
    return false;  // a tensor DLPack cannot describe (torch's meta device): not a device tensor
  } catch (const py::cast_error&) {
    return false;
  }
}

// A DLPack tensor taken from a producer: the data pointer, checked against a dtype, a
// device (CPU, or CUDA device 0) and C-contiguity; gives the tensor back (deleter) when
// destroyed.
class BorrowedTensor {
 public:
  BorrowedTensor(py::handle obj, const std::string& what, common::Type dtype, DLDeviceType device) {
    // On CUDA, stream 1 (the legacy default stream): the producer makes its pending work on
    // the tensor visible there; the executable's stream is a blocking one, so it waits for
    // it. Host tensors take no stream.
    try {
      capsule_ = device == kDLCUDA ? obj.attr("__dlpack__")(py::arg("stream") = 1) : obj.attr("__dlpack__")();
    } catch (py::error_already_set& e) {
      CINN_THROW(ExecutionError) << what << ": cannot read this " << std::string(py::str(obj.get_type().attr("__name__")))
                                 << " through DLPack (" << std::string(py::str(e.value())) << "); pass a tensor that does not require "
                                 << "grad (tensor.detach())";
    }
    if (!PyCapsule_IsValid(capsule_.ptr(), kCapsule)) {
      CINN_THROW(ExecutionError) << what << ": __dlpack__ did not return a DLPack tensor capsule";
    }
    managed_.reset(static_cast<DLManagedTensor*>(PyCapsule_GetPointer(capsule_.ptr(), kCapsule)));
    PyCapsule_SetName(capsule_.ptr(), kUsedCapsule);  // this consumer owns it now (managed_)
    const DLTensor& t = managed_->dl_tensor;
    if (t.device.device_type != device || (device == kDLCUDA && t.device.device_id != 0)) {
      CINN_THROW(ExecutionError) << what << " is on DLPack device (" << t.device.device_type << ", "
                                 << t.device.device_id << "); "
                                 << (device == kDLCUDA ? "the executable runs on CUDA device 0"
                                                       : "it must be in host memory (DLPack device 1, the CPU)");
    }
    DLDataType want = dl_dtype(dtype);
    bool bool_as_u8 = dtype.is_bool() && t.dtype.code == kDLUInt && t.dtype.bits == 8;
    if (!bool_as_u8 && (t.dtype.code != want.code || t.dtype.bits != want.bits || t.dtype.lanes != 1)) {
      CINN_THROW(DTypeError) << what << " must have dtype " << dtype << ", got DLPack type (code "
                             << int(t.dtype.code) << ", " << int(t.dtype.bits) << " bits, " << t.dtype.lanes
                             << " lanes)";
    }
    shape_.assign(t.shape, t.shape + t.ndim);
    int64_t expect = 1;
    bool empty = std::find(shape_.begin(), shape_.end(), 0) != shape_.end();  // any strides will do
    for (int d = t.ndim - 1; t.strides && !empty && d >= 0; --d) {
      if (t.shape[d] != 1 && t.strides[d] != expect) {
        CINN_THROW(ExecutionError) << what << " must be C-contiguous (tensor.contiguous())";
      }
      expect *= t.shape[d];
    }
    data_ = static_cast<char*>(t.data) + t.byte_offset;
    // GPU kernels move 16 bytes at a time (the runtime's own buffers are 64-byte aligned).
    if (device == kDLCUDA && reinterpret_cast<uintptr_t>(data_) % 16 != 0) {
      CINN_THROW(ExecutionError) << what << " starts at a device address that is not 16-byte aligned (a view at an "
                                 << "offset); pass a copy (tensor.clone())";
    }
  }
  void* data() const { return data_; }
  const std::vector<int64_t>& shape() const { return shape_; }

 private:
  // Gives the tensor back to its producer, also when a check above throws.
  struct GiveBack {
    void operator()(DLManagedTensor* m) const {
      if (m->deleter) m->deleter(m);
    }
  };
  py::object capsule_;
  std::unique_ptr<DLManagedTensor, GiveBack> managed_;
  std::vector<int64_t> shape_;
  void* data_ = nullptr;
};

// A bfloat16 tensor in host memory that exports DLPack (numpy has no bfloat16), as a uint16
// array of its bits over the same memory; the array gives the tensor back when freed.
py::array bfloat16_view(py::handle h, const std::string& what) {
  if (!has_dlpack(h)) {
    std::string got = py::isinstance<py::array>(h)
                          ? "a " + std::string(py::str(py::reinterpret_borrow<py::array>(h).dtype())) + " numpy array"
                          : std::string(py::str(h.get_type().attr("__name__")));
    CINN_THROW(DTypeError) << what << " must have dtype bfloat16, got " << got << "; numpy has no bfloat16: pass "
                           << "a tensor that exports DLPack (a torch.bfloat16 CPU tensor, or a cinn.DeviceArray)";
  }
  auto t = std::make_unique<BorrowedTensor>(h, what, common::BFloat16(), kDLCPU);
  std::vector<int64_t> shape = t->shape();
  void* data = t->data();
  py::capsule owner(t.release(), [](void* p) { delete static_cast<BorrowedTensor*>(p); });
  return py::array(py::dtype("uint16"), shape, data, owner);
}

}  // namespace

py::array checked_array(py::handle h, const std::string& what, common::Type dtype) {
  if (dtype.is_bfloat()) return bfloat16_view(h, what);
  if (!py::isinstance<py::array>(h)) {
    // A numpy scalar (np.float32(3)) is a 0-d array: it feeds a shape [] input. Checked
    // only off the array path, which every call of a compiled program takes.
    py::module_ np = py::module_::import("numpy");
    if (py::isinstance(h, np.attr("generic"))) return checked_array(np.attr("asarray")(h), what, dtype);
    // A tensor in host memory that speaks DLPack and numpy (a torch CPU tensor): numpy views
    // its memory, so outputs are written into it.
    if (py::hasattr(h, "__dlpack_device__") && py::hasattr(h, "__array__")) {
      py::tuple dev = h.attr("__dlpack_device__")();
      if (dev.size() == 2 && dev[0].cast<int>() == kDLCPU) {
        py::object arr;
        try {
          arr = np.attr("asarray")(h);
        } catch (py::error_already_set& e) {
          std::string got = py::hasattr(h, "dtype") ? std::string(py::str(h.attr("dtype"))) : "";
          if (got.find("bfloat16") != std::string::npos) {
            CINN_THROW(DTypeError) << what << " must have dtype " << dtype << ", got " << got;
          }
          CINN_THROW(ExecutionError) << what << ": numpy cannot view this "
                                     << std::string(py::str(h.get_type().attr("__name__"))) << " ("
                                     << e.what() << ")";
        }
        return checked_array(arr, what, dtype);
      }
    }
    CINN_THROW(ExecutionError) << what << " must be a numpy array, got "
                               << std::string(py::str(h.get_type().attr("__name__")));
  }
  py::array arr = py::reinterpret_borrow<py::array>(h);
  py::dtype want = numpy_dtype(dtype);
  if (!arr.dtype().is(want) && !(arr.dtype().kind() == want.kind() &&
                                  arr.dtype().itemsize() == want.itemsize())) {
    CINN_THROW(DTypeError) << what << " must have dtype " << dtype << ", got "
                           << std::string(py::str(arr.dtype()));
  }
  if (!arr.dtype().attr("isnative").cast<bool>()) {
    CINN_THROW(DTypeError) << what << " must be in the machine's byte order, got dtype '"
                           << std::string(py::str(arr.dtype().attr("str")))
                           << "'; convert it with a.astype(a.dtype.newbyteorder('='))";
  }
  return arr;
}

// Memory holding one output that numpy cannot hold as it is: in a GPU's memory (a run on
// device tensors), or bfloat16 in host memory. Exported through DLPack (torch.from_dlpack(a)
// wraps it without a copy; the memory lives while either does), or copied into a numpy
// array by numpy() (bfloat16 widened to float32, which is exact).
class DeviceArray {
 public:
  // Memory of the device `exe` runs on.
  DeviceArray(std::shared_ptr<runtime::Executable> exe, common::Type dtype, std::vector<int64_t> shape)
      : exe_(std::move(exe)), dtype_(dtype), shape_(std::move(shape)) {
    runtime::Device* dev = &exe_->module().device();
    int64_t bytes = std::max<int64_t>(nbytes(), 1);
    auto keep = exe_;  // the device (its module) outlives the memory
    data_ = std::shared_ptr<void>(dev->alloc(bytes), [dev, keep](void* p) { dev->free(p); });
  }
  // Host memory, 64-byte aligned like empty_aligned's.
  DeviceArray(common::Type dtype, std::vector<int64_t> shape)
      : dtype_(dtype), shape_(std::move(shape)), data_(alloc_aligned(nbytes()), [](void* p) { std::free(p); }) {}
  int64_t nbytes() const {
    int64_t n = dtype_.bytes();
    for (int64_t d : shape_) n *= d;
    return n;
  }
  void* data() const { return data_.get(); }
  const std::vector<int64_t>& shape() const { return shape_; }
  common::Type dtype() const { return dtype_; }
  bool on_host() const { return exe_ == nullptr; }

  py::array numpy() const {
    py::array out = empty_aligned(dtype_.is_bfloat() ? common::Float(32) : dtype_, shape_);
    {
      py::gil_scoped_release release;
      std::vector<uint16_t> staged;
      const void* host = data();
      if (!on_host()) {
        runtime::Device& dev = exe_->module().device();
        if (dtype_.is_bfloat()) staged.resize(nbytes() / 2);
        void* to = dtype_.is_bfloat() ? static_cast<void*>(staged.data()) : out.mutable_data();
        dev.copy(to, data(), nbytes(), runtime::Device::Copy::kDeviceToHost);
        dev.synchronize();
        host = to;
      }
      if (dtype_.is_bfloat()) {
        auto* bits = static_cast<const uint16_t*>(host);
        auto* wide = static_cast<uint32_t*>(out.mutable_data());
        for (int64_t i = 0; i < nbytes() / 2; ++i) wide[i] = uint32_t(bits[i]) << 16;
      } else if (on_host()) {
        std::memcpy(out.mutable_data(), host, nbytes());
      }
    }
    return out;
  }

  // A DLPack capsule of this memory; the managed tensor keeps a reference to it. The run
  // that wrote it has finished (run_on_device synchronizes), so no stream needs to wait.
  py::capsule dlpack() const {
    struct Context {
      std::shared_ptr<void> data;
      std::vector<int64_t> shape;
      DLManagedTensor managed;
    };
    auto* ctx = new Context{data_, shape_, {}};
    DLTensor& t = ctx->managed.dl_tensor;
    t.data = ctx->data.get();
    t.device = {on_host() ? kDLCPU : kDLCUDA, 0};
    t.ndim = static_cast<int32_t>(ctx->shape.size());
    t.dtype = dl_dtype(dtype_);
    t.shape = ctx->shape.data();
    t.strides = nullptr;
    t.byte_offset = 0;
    ctx->managed.manager_ctx = ctx;
    ctx->managed.deleter = [](DLManagedTensor* self) { delete static_cast<Context*>(self->manager_ctx); };
    // A capsule nobody consumed still owns the tensor.
    return py::capsule(&ctx->managed, kCapsule, [](PyObject* cap) {
      if (PyCapsule_IsValid(cap, kCapsule)) {
        auto* m = static_cast<DLManagedTensor*>(PyCapsule_GetPointer(cap, kCapsule));
        m->deleter(m);
      }
    });
  }

 private:
  std::shared_ptr<runtime::Executable> exe_;  // null: host memory
  common::Type dtype_;
  std::vector<int64_t> shape_;
  std::shared_ptr<void> data_;
};

HostOutput new_host_output(common::Type dtype, const std::vector<int64_t>& shape) {
  if (!dtype.is_bfloat()) {
    py::array a = empty_aligned(dtype, shape);
    return {a, a};
  }
  auto arr = std::make_shared<DeviceArray>(dtype, shape);
  py::object result = py::cast(arr);
  return {py::array(py::dtype("uint16"), shape, arr->data(), result), result};
}

std::vector<std::string> ExecutablePy::input_names() const {
  std::vector<std::string> names;
  for (size_t i = 0; i < exe_->num_inputs(); ++i) names.push_back(exe_->input(i).name);
  return names;
}

std::vector<std::string> ExecutablePy::output_names() const {
  std::vector<std::string> names;
  for (size_t i = 0; i < exe_->num_outputs(); ++i) names.push_back(exe_->output(i).name);
  return names;
}

namespace {

// The host arrays of one run (kept alive) with their data pointers.
struct HostArguments {
  std::vector<py::array> keep;
  std::vector<const void*> in_ptrs;
  std::vector<void*> out_ptrs;
  py::list outs;
};

HostArguments host_arguments(const runtime::Executable& exe, const std::vector<py::object>& inputs,
                             const std::optional<std::vector<py::object>>& outputs) {
  HostArguments args;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const runtime::BufferSpec& spec = exe.input(i);
    py::array arr = checked_array(inputs[i], "input '" + spec.name + "'", spec.dtype);
    std::vector<int64_t> got(arr.shape(), arr.shape() + arr.ndim());
    if (got != spec.shape) {
      CINN_THROW(ShapeError) << "input '" << spec.name << "' must have shape " << shape_text(spec.shape)
                             << ", got " << shape_text(got);
    }
    arr = py::array::ensure(arr, py::array::c_style);
    args.keep.push_back(arr);
    args.in_ptrs.push_back(arr.data());
  }
  for (size_t i = 0; i < exe.num_outputs(); ++i) {
    const runtime::BufferSpec& spec = exe.output(i);
    if (outputs && !(*outputs)[i].is_none()) {
      py::object o = (*outputs)[i];
      py::array arr = checked_array(o, "output '" + spec.name + "'", spec.dtype);
      bool ok = (arr.flags() & py::array::c_style) && arr.writeable() &&
                std::vector<int64_t>(arr.shape(), arr.shape() + arr.ndim()) == spec.shape;
      if (!ok) {
        CINN_THROW(ExecutionError) << "output '" << spec.name << "' must be a writeable C-contiguous "
                                   << spec.dtype.to_string() << " array of shape " << shape_text(spec.shape)
                                   << ", got " << std::string(py::repr(o));
      }
      args.keep.push_back(arr);
      args.out_ptrs.push_back(arr.mutable_data());
      args.outs.append(o);
      continue;
    }
    HostOutput out = new_host_output(spec.dtype, spec.shape);
    args.keep.push_back(out.view);
    args.out_ptrs.push_back(out.view.mutable_data());
    args.outs.append(out.result);
  }
  return args;
}

void check_shape(const BorrowedTensor& t, const std::string& what, const runtime::BufferSpec& spec) {
  if (t.shape() != spec.shape) {
    CINN_THROW(ShapeError) << what << " must have shape " << shape_text(spec.shape) << ", got "
                           << shape_text(t.shape());
  }
}

}  // namespace

py::list ExecutablePy::run(const std::vector<py::object>& inputs,
                           const std::optional<std::vector<py::object>>& outputs) const {
  const runtime::Executable& exe = *exe_;
  if (inputs.size() != exe.num_inputs()) {
    CINN_THROW(ExecutionError) << "expected " << exe.num_inputs() << " inputs, got " << inputs.size();
  }
  if (outputs && outputs->size() != exe.num_outputs()) {
    CINN_THROW(ExecutionError) << "expected " << exe.num_outputs() << " output arrays, got " << outputs->size();
  }
  size_t on_device = 0;
  for (const py::object& in : inputs) on_device += is_device_tensor(in) ? 1 : 0;
  if (on_device == 0) {
    HostArguments a = host_arguments(exe, inputs, outputs);
    {
      py::gil_scoped_release release;
      exe.run(a.in_ptrs, a.out_ptrs);
    }
    return a.outs;
  }

  // Tensors in GPU memory: no copies.
  runtime::Device& dev = exe.module().device();
  if (dev.is_host()) {
    CINN_THROW(ExecutionError) << "the inputs are tensors in GPU memory, but this executable runs on "
                               << dev.name() << "; compile for cinn.Target.cuda(), or pass host tensors";
  }
  std::vector<BorrowedTensor> borrowed;
  std::vector<const void*> in_ptrs;
  std::vector<void*> out_ptrs;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const runtime::BufferSpec& spec = exe.input(i);
    if (!is_device_tensor(inputs[i])) {
      CINN_THROW(ExecutionError) << "input '" << spec.name << "' is not a tensor in GPU memory while other inputs "
                                 << "are; pass all inputs on the GPU (DLPack) or all as host arrays";
    }
    borrowed.emplace_back(inputs[i], "input '" + spec.name + "'", spec.dtype, kDLCUDA);
    check_shape(borrowed.back(), "input '" + spec.name + "'", spec);
    in_ptrs.push_back(borrowed.back().data());
  }
  py::list outs;
  for (size_t i = 0; i < exe.num_outputs(); ++i) {
    const runtime::BufferSpec& spec = exe.output(i);
    if (outputs && !(*outputs)[i].is_none()) {
      py::object o = (*outputs)[i];
      if (!is_device_tensor(o)) {
        CINN_THROW(ExecutionError) << "output '" << spec.name << "' must be a tensor in GPU memory (DLPack), like "
                                   << "the inputs; got " << std::string(py::repr(o));
      }
      borrowed.emplace_back(o, "output '" + spec.name + "'", spec.dtype, kDLCUDA);
      check_shape(borrowed.back(), "output '" + spec.name + "'", spec);
      out_ptrs.push_back(borrowed.back().data());
      outs.append(o);
      continue;
    }
    auto arr = std::make_shared<DeviceArray>(exe_, spec.dtype, spec.shape);
    out_ptrs.push_back(arr->data());
    outs.append(py::cast(arr));
  }
  {
    py::gil_scoped_release release;
    exe.run_on_device(in_ptrs, out_ptrs);
  }
  return outs;
}

py::list ExecutablePy::profile(const std::vector<py::object>& inputs, int repeat) const {
  if (inputs.size() != exe_->num_inputs()) {
    CINN_THROW(ExecutionError) << "expected " << exe_->num_inputs() << " inputs, got " << inputs.size();
  }
  HostArguments a = host_arguments(*exe_, inputs, std::nullopt);
  std::vector<double> best;
  {
    py::gil_scoped_release release;
    for (int r = 0; r < repeat; ++r) {
      std::vector<double> t = exe_->run_profiled(a.in_ptrs, a.out_ptrs);
      if (best.empty()) best = t;
      for (size_t k = 0; k < t.size(); ++k) best[k] = std::min(best[k], t[k]);
    }
  }
  py::list times;
  for (double t : best) times.append(t);
  return times;
}

void bind_device_array(py::module_& m) {
  py::class_<DeviceArray, std::shared_ptr<DeviceArray>>(
      m, "DeviceArray",
      "An output numpy cannot hold as it is: in GPU memory (a run on device tensors), or bfloat16. "
      "torch.from_dlpack(a) (or any DLPack consumer) takes it without a copy; a.numpy() copies it "
      "into a numpy array (bfloat16 widened to float32, exactly).")
      .def_property_readonly("shape", [](const DeviceArray& a) { return py::tuple(py::cast(a.shape())); })
      .def_property_readonly("dtype", [](const DeviceArray& a) { return a.dtype().to_string(); })
      .def_property_readonly("nbytes", &DeviceArray::nbytes)
      .def("numpy", &DeviceArray::numpy, "A host copy (numpy array).")
      .def("__dlpack__", [](const DeviceArray& a, py::object /*stream*/) { return a.dlpack(); },
           py::arg("stream") = py::none())
      .def_property_readonly("device", [](const DeviceArray& a) { return a.on_host() ? "cpu" : "cuda:0"; })
      .def("__dlpack_device__", [](const DeviceArray& a) { return py::make_tuple(int(a.on_host() ? kDLCPU : kDLCUDA), 0); })
      .def("__repr__", [](const DeviceArray& a) {
        return "DeviceArray(" + a.dtype().to_string() + shape_text(a.shape()) + ", " +
               (a.on_host() ? "cpu" : "cuda:0") + ")";
      });
}

void bind_runtime(py::module_& m) {
  bind_device_array(m);
  py::class_<ExecutablePy>(m, "Executable",
                           "A saved executable loaded by load(dir): run(inputs, outputs=None), "
                           "profile(inputs, repeat), input_names, output_names, target.")
      .def("run", &ExecutablePy::run, py::arg("inputs"), py::arg("outputs") = py::none())
      .def("profile", &ExecutablePy::profile, py::arg("inputs"), py::arg("repeat"))
      .def_property_readonly("input_names", &ExecutablePy::input_names)
      .def_property_readonly("output_names", &ExecutablePy::output_names)
      .def_property_readonly("device", [](const ExecutablePy& e) { return e.exe().module().device().name(); });
  m.def("load", [](const std::string& dir) {
    std::string target;
    return ExecutablePy(runtime::load_executable(dir, &target));
  }, py::arg("dir"), "The executable saved in `dir` (Executable.save, cinn_run's format).");
}

}  // namespace cinn::python
