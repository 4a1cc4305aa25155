#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cstdlib>
#include <map>

#include "cinn/backends/build.h"
#include "cinn/backends/cuda/nvrtc.h"
#include "cinn/runtime/cuda_module.h"
#include "cinn/ir/ir_operators.h"
#include "cinn/ir/printer.h"
#include "cinn/ir/simplify.h"
#include "cinn/ir/substitute.h"
#include "cinn/runtime/thread_pool.h"
#include "src/bindings.h"
#include "src/convert.h"

namespace py = pybind11;

namespace cinn::python {

using ir::Expr;

namespace {


// Evaluates a shape expression once its size variables are bound (by the simplifier).
bool eval_shape(const Expr& e, const std::map<const ir::Var*, int64_t>& env, int64_t* out) {
  ir::VarMap values;
  for (const auto& [v, x] : env) values[v] = Expr(x);
  const int64_t* c = ir::as_const_int(ir::simplify(ir::substitute(e, values)));
  if (c) *out = *c;
  return c != nullptr;
}

class KernelPy {
 public:
  explicit KernelPy(std::shared_ptr<backends::Kernel> k) : k_(std::move(k)) {}

  // kern(a, b, c): outputs written in place, returns None.
  // kern(a, b):    outputs allocated and returned (one array, or a tuple).
  // Arrays may also be passed by their buffer's name (kern(A=a, B=b)).
  py::object call(py::args positional, py::kwargs named) {
    const ir::LoweredFunc& f = k_->func();
    size_t n_args = f.args().size(), n_inputs = 0;
    for (const auto& a : f.args()) n_inputs += a.kind == ir::Argument::Kind::kInput;
    size_t n_given = positional.size() + named.size();
    bool names_output = false;
    for (const auto& a : f.args()) {
      names_output |= a.kind == ir::Argument::Kind::kOutput && named.contains(a.buffer.name());
    }
    bool allocate = n_given == n_inputs && n_inputs != n_args && !names_output;
    if (named.empty() && n_given != n_args && !allocate) {
      CINN_THROW(ExecutionError) << "kernel '" << f.name() << "' takes " << n_args
                                 << " arrays (or its " << n_inputs << " inputs), got " << n_given;
    }
    for (auto item : named) {
      std::string key = py::str(item.first);
      bool known = false;
      for (const auto& a : f.args()) known |= a.buffer.name() == key;
      if (!known) {
        std::string names;
        for (const auto& a : f.args()) names += (names.empty() ? "" : ", ") + a.buffer.name();
        CINN_THROW(ExecutionError) << "kernel '" << f.name() << "' has no argument '" << key
                                   << "'; its arguments are " << names;
      }
    }
    // The arrays in argument order (outputs left out when they are allocated here).
    std::vector<py::object> args;
    size_t next = 0;
    for (const auto& a : f.args()) {
      if (allocate && a.kind == ir::Argument::Kind::kOutput) continue;
      const std::string& name = a.buffer.name();
      if (next < positional.size()) {
        if (named.contains(name)) {
          CINN_THROW(ExecutionError) << "kernel '" << f.name() << "': argument '" << name
                                     << "' given both by position and by name";
        }
        args.push_back(positional[next++]);
      } else if (named.contains(name)) {
        args.push_back(named[name.c_str()]);
      } else {
        CINN_THROW(ExecutionError) << "kernel '" << f.name() << "': missing argument '" << name << "'";
      }
    }
    if (next < positional.size()) {
      CINN_THROW(ExecutionError) << "kernel '" << f.name() << "' takes " << args.size() << " arrays here, got "
                                 << positional.size() << " by position and " << named.size() << " by name";
    }
    std::map<const ir::Var*, int64_t> env;
    std::vector<py::array> arrays(n_args);
    std::vector<py::object> results(n_args);  // allocated outputs as returned (bfloat16: a DeviceArray)
    std::vector<bool> present(n_args, false);
    std::vector<void*> data(n_args);
    // Bind size variables from the given arrays first, then check every array.
    size_t given = 0;
    for (size_t i = 0; i < n_args; ++i) {
      const ir::Argument& a = f.args()[i];
      if (allocate && a.kind == ir::Argument::Kind::kOutput) continue;
      py::handle h = args[given++];
      const std::string& name = a.buffer.name();
      py::array arr = checked_array(h, "argument '" + name + "'", a.buffer.dtype());
      if (arr.ndim() != a.buffer.ndim()) {
        CINN_THROW(ShapeError) << "argument '" << name << "' must have " << a.buffer.ndim()
                               << " dimension(s), got " << arr.ndim();
      }
      if (!(arr.flags() & py::array::c_style)) {
        CINN_THROW(ExecutionError) << "argument '" << name
                                   << "' must be C-contiguous; use numpy.ascontiguousarray";
      }
      if (a.kind == ir::Argument::Kind::kOutput && !arr.writeable()) {
        CINN_THROW(ExecutionError) << "output '" << name << "' is read-only";
      }
      for (int d = 0; d < a.buffer.ndim(); ++d) {
        if (const auto* v = a.buffer.shape()[d].as<ir::Var>(); v && !env.count(v)) {
          env[v] = arr.shape(d);
        }
      }
      arrays[i] = arr;
      present[i] = true;
    }
    for (size_t i = 0; i < n_args; ++i) {
      const ir::Argument& a = f.args()[i];
      std::vector<int64_t> shape(a.buffer.ndim());
      for (int d = 0; d < a.buffer.ndim(); ++d) {
        if (!eval_shape(a.buffer.shape()[d], env, &shape[d])) {
          CINN_THROW(ShapeError) << "argument '" << a.buffer.name() << "': cannot determine "
                                 << "dimension " << d << " (" << a.buffer.shape()[d]
                                 << ") from the arrays given";
        }
      }
      if (!present[i]) {
        HostOutput out = new_host_output(a.buffer.dtype(), shape);
        arrays[i] = out.view;
        results[i] = out.result;
      } else {
        for (int d = 0; d < a.buffer.ndim(); ++d) {
          if (arrays[i].shape(d) != shape[d]) {
            CINN_THROW(ShapeError) << "argument '" << a.buffer.name() << "': dimension " << d
                                   << " must be " << shape[d] << " (" << a.buffer.shape()[d]
                                   << "), got " << arrays[i].shape(d);
          }
        }
      }
      // Inputs are only read (a read-only array is fine); outputs were checked writeable.
      data[i] = const_cast<void*>(arrays[i].data());
    }
    // The kernel assumes its buffers do not overlap (they are noalias in the generated code).
    for (size_t i = 0; i < n_args; ++i) {
      for (size_t j = i + 1; j < n_args; ++j) {
        bool out_i = f.args()[i].kind == ir::Argument::Kind::kOutput;
        bool out_j = f.args()[j].kind == ir::Argument::Kind::kOutput;
        if (!out_i && !out_j) continue;
        auto lo_i = static_cast<const char*>(data[i]), lo_j = static_cast<const char*>(data[j]);
        auto hi_i = lo_i + arrays[i].nbytes(), hi_j = lo_j + arrays[j].nbytes();
        if (lo_i < hi_j && lo_j < hi_i && arrays[i].nbytes() && arrays[j].nbytes()) {
          CINN_THROW(ExecutionError) << "arguments '" << f.args()[i].buffer.name() << "' and '"
                                     << f.args()[j].buffer.name() << "' overlap in memory; "
                                     << "an output may not share memory with another argument";
        }
      }
    }
    std::vector<int64_t> sizes;
    for (const Expr& v : f.size_vars()) {
      auto it = env.find(v.as<ir::Var>());
      if (it == env.end()) {
        CINN_THROW(ShapeError) << "size '" << v << "' of kernel '" << f.name()
                               << "' is not a whole dimension of any input array";
      }
      sizes.push_back(it->second);
    }
    std::vector<int64_t> bytes;
    for (const py::array& a : arrays) bytes.push_back(static_cast<int64_t>(a.nbytes()));
    {
      py::gil_scoped_release release;
      k_->call(data.data(), sizes.data(), bytes.data());
    }
    if (!allocate) return py::none();
    py::list outs;
    for (size_t i = 0; i < n_args; ++i) {
      if (f.args()[i].kind == ir::Argument::Kind::kOutput) outs.append(results[i]);
    }
    if (outs.size() == 1) return outs[0];
    return py::tuple(outs);
  }

  std::shared_ptr<backends::Kernel> k_;
};

}  // namespace

void bind_build(py::module_& m) {
  py::class_<KernelPy>(m, "Kernel", "A compiled kernel: call it on numpy arrays.")
      .def("__call__", &KernelPy::call)
      .def("source", [](const KernelPy& k) { return k.k_->source(); },
           "The generated code (x86: optimized LLVM IR; CUDA: CUDA C).")
      .def("llvm_ir", [](const KernelPy& k, bool optimized) {
        return optimized ? k.k_->source() : k.k_->source_unoptimized();
      }, py::arg("optimized") = true)
      .def_property_readonly("func", [](const KernelPy& k) { return k.k_->func(); })
      .def_property_readonly("lowered", [](const KernelPy& k) { return k.k_->lowered(); },
                             "The function after the loop passes, as it went to codegen.");
  m.def("build", [](const ir::LoweredFunc& f, py::object target, bool precise_math, int opt_level) {
    common::Target t = target_or_host(target);
    backends::CodegenOptions opts;
    opts.precise_math = precise_math;
    opts.opt_level = opt_level;
    return KernelPy(backends::build(f, t, opts));
  }, py::arg("func"), py::arg("target") = py::none(), py::arg("precise_math") = false,
     py::arg("opt_level") = 3);
  m.def("c_source", &backends::c_source, py::arg("func"),
        "Readable C99 source of a lowered function (the C backend), after the loop passes.");
  m.def("set_num_threads", [](int n) {
    if (n < 0 || n > 1024) {
      CINN_THROW(Error) << "set_num_threads: n must be between 0 (one thread per hardware thread) and 1024, got " << n;
    }
    runtime::set_num_threads(n);
  }, py::arg("n"), "Threads used by parallel loops and by compiling (0: one per hardware thread; at most 1024).");
  m.def("num_threads", &runtime::num_threads);
  m.def("nvrtc_available", [] {
    std::string why;
    bool ok = backends::cuda::nvrtc_available(&why);
    return py::make_tuple(ok, why);
  }, "(available, reason): whether CUDA code can be compiled (libnvrtc.so.13 loads).");
  m.def("cuda_device_available", [] {
    std::string why;
    bool ok = runtime::cuda_device_available(&why);
    return py::make_tuple(ok, why);
  }, "(available, reason): whether CUDA kernels can run here (driver and a device).");
}

}  // namespace cinn::python
