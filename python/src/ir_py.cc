#include <pybind11/operators.h>
#include <pybind11/stl.h>

#include "cinn/common/target.h"
#include "cinn/ir/intrinsics.h"
#include "cinn/ir/ir_operators.h"
#include "cinn/ir/lowered_func.h"
#include "cinn/ir/printer.h"
#include "src/bindings.h"
#include "src/convert.h"

namespace py = pybind11;

namespace cinn::python {

using ir::Expr;

Expr to_expr(py::handle h) {
  if (py::isinstance<Expr>(h)) return h.cast<Expr>();
  if (py::isinstance<py::bool_>(h)) return ir::IntImm::make(common::Bool(), h.cast<bool>());
  if (py::isinstance<py::int_>(h)) return Expr(h.cast<int64_t>());
  if (py::isinstance<py::float_>(h)) return ir::FloatImm::make(common::Float(32), h.cast<double>());
  // numpy scalars and other numbers
  if (py::hasattr(h, "__index__")) return Expr(h.attr("__index__")().cast<int64_t>());
  if (py::hasattr(h, "__float__")) {
    return ir::FloatImm::make(common::Float(32), h.attr("__float__")().cast<double>());
  }
  CINN_THROW(DTypeError) << "cannot use a Python " << std::string(py::str(h.get_type().attr("__name__")))
                         << " as an expression";
}

common::Target target_or_host(py::handle target) {
  if (target.is_none()) return common::Target::host_x86();
  if (py::isinstance<common::Target>(target)) return target.cast<common::Target>();
  if (py::isinstance<py::str>(target)) {
    std::string name = target.cast<std::string>();
    if (name == "x86" || name == "cpu" || name == "llvm") return common::Target::host_x86();
    if (name == "cuda") return common::Target::cuda();
    CINN_THROW(Error) << "unknown target '" << name << "'; the targets are 'x86' (the host CPU) and 'cuda', "
                      << "or a cinn.Target (cinn.Target.x86(), cinn.Target.cuda(sm_version))";
  }
  CINN_THROW(Error) << "target must be a cinn.Target, 'x86' or 'cuda', got "
                    << std::string(py::str(target.get_type().attr("__name__")));
}

std::vector<Expr> to_expr_list(py::handle h) {
  std::vector<Expr> out;
  if (py::isinstance<py::tuple>(h) || py::isinstance<py::list>(h)) {
    for (py::handle x : h) out.push_back(to_expr(x));
  } else {
    out.push_back(to_expr(h));
  }
  return out;
}

namespace {

Expr true_div(const Expr& a, const Expr& b) {
  if (!a.type().is_float() && !b.type().is_float()) {
    CINN_THROW(DTypeError) << "'/' on integer expressions (" << a << ", " << b
                           << "); use '//' for floor division";
  }
  return a / b;
}

}  // namespace

void bind_ir(py::module_& m) {
  py::class_<common::Target>(m, "Target", "A compilation target (architecture + options).")
      .def_static("x86", &common::Target::host_x86, "The host x86 CPU, features detected.")
      .def_static("cuda", &common::Target::cuda, py::arg("sm_version") = 90,
                  "An NVIDIA GPU descriptor (the CUDA backend comes in a later release).")
      .def_property_readonly("vector_bits", [](const common::Target& t) { return t.vector_bits; })
      .def_property_readonly("features", [](const common::Target& t) { return t.features; })
      .def_property_readonly("arch", [](const common::Target& t) {
        return t.arch == common::Target::Arch::kX86 ? "x86" : "cuda";
      })
      .def_property("backend", [](const common::Target& t) { return t.backend; },
                    [](common::Target& t, const std::string& b) { t.backend = b; },
                    "The registered backend that compiles for this target.")
      .def_property("num_threads", [](const common::Target& t) { return t.num_threads; },
                    [](common::Target& t, int n) { t.num_threads = n; })
      .def("__repr__", &common::Target::to_string)
      .def("__eq__", &common::Target::operator==);

  py::class_<Expr> expr(m, "Expr", "An IR expression. Arithmetic builds new expressions.");
  expr.def(py::init([](py::object v) { return to_expr(v); }))
      .def_property_readonly("dtype", [](const Expr& e) { return e.type().to_string(); })
      .def("__repr__", [](const Expr& e) { return ir::to_string(e); })
      .def("__str__", [](const Expr& e) { return ir::to_string(e); })
      .def("__bool__", [](const Expr& e) -> bool {
        CINN_THROW(Error) << "an expression (" << e << ") has no truth value; use lang.select "
                          << "or &, | for conditions";
      });
#define CINN_PY_BINOP(pyname, rpyname, fn)                                                  \
  expr.def(pyname, [](const Expr& a, py::object b) { return fn(a, to_expr(b)); });          \
  expr.def(rpyname, [](const Expr& a, py::object b) { return fn(to_expr(b), a); });
  CINN_PY_BINOP("__add__", "__radd__", [](Expr x, Expr y) { return x + y; })
  CINN_PY_BINOP("__sub__", "__rsub__", [](Expr x, Expr y) { return x - y; })
  CINN_PY_BINOP("__mul__", "__rmul__", [](Expr x, Expr y) { return x * y; })
  CINN_PY_BINOP("__truediv__", "__rtruediv__", true_div)
  CINN_PY_BINOP("__floordiv__", "__rfloordiv__", [](Expr x, Expr y) { return x / y; })
  CINN_PY_BINOP("__mod__", "__rmod__", [](Expr x, Expr y) { return x % y; })
  CINN_PY_BINOP("__and__", "__rand__", [](Expr x, Expr y) { return x && y; })
  CINN_PY_BINOP("__or__", "__ror__", [](Expr x, Expr y) { return x || y; })
#undef CINN_PY_BINOP
  expr.def("__lt__", [](const Expr& a, py::object b) { return a < to_expr(b); })
      .def("__le__", [](const Expr& a, py::object b) { return a <= to_expr(b); })
      .def("__gt__", [](const Expr& a, py::object b) { return a > to_expr(b); })
      .def("__ge__", [](const Expr& a, py::object b) { return a >= to_expr(b); })
      .def("__eq__", [](const Expr& a, py::object b) { return a == to_expr(b); })
      .def("__ne__", [](const Expr& a, py::object b) { return a != to_expr(b); })
      .def("__neg__", [](const Expr& a) { return -a; })
      .def("__invert__", [](const Expr& a) { return !a; })
      .def("__hash__", [](const Expr& a) { return reinterpret_cast<size_t>(a.get()); });

  py::class_<ReduceAxisPy, Expr>(m, "ReduceAxis", "A reduction axis (an Expr with a range).")
      .def_property_readonly("min", [](const ReduceAxisPy& r) { return r.min; })
      .def_property_readonly("extent", [](const ReduceAxisPy& r) { return r.extent; });

  py::class_<ir::LoweredFunc>(m, "LoweredFunc", "A lowered function: loop IR with blocks.")
      .def_property_readonly("name", &ir::LoweredFunc::name)
      .def_property_readonly("args", [](const ir::LoweredFunc& f) {
        std::vector<std::string> names;
        for (const auto& a : f.args()) names.push_back(a.buffer.name());
        return names;
      })
      .def("__str__", &ir::LoweredFunc::to_string)
      .def("__repr__", &ir::LoweredFunc::to_string);

  m.def("intrinsic_names", &ir::intrinsic_names, "Names of the math intrinsics.");
}

}  // namespace cinn::python
