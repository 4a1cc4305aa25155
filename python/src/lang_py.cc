#include <pybind11/functional.h>
#include <pybind11/stl.h>

#include "cinn/ir/intrinsics.h"
#include "cinn/ir/ir_operators.h"
#include "cinn/ir/printer.h"
#include "cinn/lang/lower.h"
#include "cinn/lang/reduce.h"
#include "cinn/lang/tensor.h"
#include "src/bindings.h"
#include "src/convert.h"

namespace py = pybind11;

namespace cinn::python {

using ir::Expr;

namespace {

std::vector<lang::ReduceAxis> to_axes(py::handle h) {
  std::vector<lang::ReduceAxis> out;
  auto one = [&](py::handle x) {
    if (!py::isinstance<ReduceAxisPy>(x)) {
      CINN_THROW(Error) << "axis= expects reduce axes made by lang.reduce_axis";
    }
    out.push_back(x.cast<ReduceAxisPy>().axis());
  };
  if (py::isinstance<py::tuple>(h) || py::isinstance<py::list>(h)) {
    for (py::handle x : h) one(x);
  } else {
    one(h);
  }
  return out;
}

py::object shape_to_py(const std::vector<Expr>& shape) {
  py::list out;
  for (const Expr& e : shape) {
    if (const int64_t* c = ir::as_const_int(e)) {
      out.append(*c);
    } else {
      out.append(py::cast(e));
    }
  }
  return py::tuple(out);
}

Expr reduce(lang::ReduceKind k, py::object src, py::object axis, py::object where) {
  return lang::reduce(k, to_expr(src), to_axes(axis), where.is_none() ? Expr() : to_expr(where));
}

}  // namespace

void bind_lang(py::module_& m) {
  py::class_<lang::Tensor>(m, "Tensor", "A tensor: a placeholder (input) or a compute.")
      .def_property_readonly("name", &lang::Tensor::name)
      .def_property_readonly("dtype", [](const lang::Tensor& t) { return t.dtype().to_string(); })
      .def_property_readonly("shape", [](const lang::Tensor& t) { return shape_to_py(t.shape()); })
      .def_property_readonly("ndim", &lang::Tensor::ndim)
      .def("__getitem__", [](const lang::Tensor& t, py::object idx) { return t(to_expr_list(idx)); })
      .def("__repr__", [](const lang::Tensor& t) {
        std::string s = "Tensor(" + t.name() + ", " + t.dtype().to_string() + ", [";
        for (int d = 0; d < t.ndim(); ++d) s += (d ? ", " : "") + ir::to_string(t.shape()[d]);
        return s + "])";
      });

  m.def("size_var", &lang::size_var, py::arg("name"), "A symbolic size (int64), bound at call time.");
  m.def("placeholder", [](py::object shape, const std::string& dtype, const std::string& name) {
    return lang::placeholder(to_expr_list(shape), common::Type::parse(dtype), name);
  }, py::arg("shape"), py::arg("dtype") = "float32", py::arg("name") = "placeholder");
  m.def("compute", [](py::object shape, py::function f, const std::string& name,
                      std::vector<std::string> axis_names) {
    return lang::compute(to_expr_list(shape), [&](const std::vector<Expr>& axes) {
      py::tuple args(axes.size());
      for (size_t i = 0; i < axes.size(); ++i) args[i] = py::cast(axes[i]);
      return to_expr(f(*args));
    }, name, axis_names);
  }, py::arg("shape"), py::arg("fcompute"), py::arg("name") = "compute",
     py::arg("axis_names") = std::vector<std::string>{});
  m.def("update", [](const lang::Tensor& into, py::object shape, py::function index, py::function value,
                     py::object where, const std::string& name) {
    auto call = [](py::function& f, const std::vector<Expr>& axes) {
      py::tuple args(axes.size());
      for (size_t i = 0; i < axes.size(); ++i) args[i] = py::cast(axes[i]);
      return f(*args);
    };
    py::function guard = where.is_none() ? py::function() : where.cast<py::function>();
    return lang::update(
        into, to_expr_list(shape), [&](const std::vector<Expr>& axes) { return to_expr_list(call(index, axes)); },
        [&](const std::vector<Expr>& axes) { return to_expr(call(value, axes)); },
        guard ? lang::ComputeFn([&](const std::vector<Expr>& axes) { return to_expr(call(guard, axes)); })
              : lang::ComputeFn(),
        name);
  }, py::arg("into"), py::arg("shape"), py::arg("index"), py::arg("value"), py::arg("where") = py::none(),
     py::arg("name") = "update");
  m.def("reduce_axis", [](py::object range, const std::string& name) {
    lang::ReduceAxis ax;
    if (py::isinstance<py::tuple>(range) || py::isinstance<py::list>(range)) {
      auto r = to_expr_list(range);
      if (r.size() != 2) CINN_THROW(Error) << "reduce_axis: range must be extent or (min, extent)";
      ax = lang::reduce_axis(r[0], r[1], name);
    } else {
      ax = lang::reduce_axis(to_expr(range), name);
    }
    ReduceAxisPy out;
    static_cast<Expr&>(out) = ax.var;
    out.min = ax.min;
    out.extent = ax.extent;
    return out;
  }, py::arg("range"), py::arg("name") = "k");
  m.def("sum", [](py::object s, py::object a, py::object w) { return reduce(lang::ReduceKind::kSum, s, a, w); },
        py::arg("expr"), py::arg("axis"), py::arg("where") = py::none());
  m.def("max", [](py::object s, py::object a, py::object w) { return reduce(lang::ReduceKind::kMax, s, a, w); },
        py::arg("expr"), py::arg("axis"), py::arg("where") = py::none());
  m.def("min", [](py::object s, py::object a, py::object w) { return reduce(lang::ReduceKind::kMin, s, a, w); },
        py::arg("expr"), py::arg("axis"), py::arg("where") = py::none());
  m.def("prod", [](py::object s, py::object a, py::object w) { return reduce(lang::ReduceKind::kProd, s, a, w); },
        py::arg("expr"), py::arg("axis"), py::arg("where") = py::none());
  m.def("call", [](const std::string& name, py::args args) {
    std::vector<Expr> es;
    for (py::handle a : args) es.push_back(to_expr(a));
    return ir::make_intrinsic(name, es);
  }, py::arg("name"), "Calls a math intrinsic by name.");
  m.def("cast", [](py::object e, const std::string& dtype) {
    return ir::cast(common::Type::parse(dtype), to_expr(e));
  }, py::arg("expr"), py::arg("dtype"));
  m.def("const", [](py::object v, const std::string& dtype) {
    return ir::make_const(common::Type::parse(dtype), v.cast<double>());
  }, py::arg("value"), py::arg("dtype") = "float32");
  m.def("select", [](py::object c, py::object t, py::object f) {
    return ir::select(to_expr(c), to_expr(t), to_expr(f));
  }, py::arg("cond"), py::arg("true_value"), py::arg("false_value"));
  m.def("elem_max", [](py::object a, py::object b) { return ir::max(to_expr(a), to_expr(b)); });
  m.def("elem_min", [](py::object a, py::object b) { return ir::min(to_expr(a), to_expr(b)); });
  m.def("lower", &lang::lower, py::arg("name"), py::arg("tensors"),
        "Lowers the tensors (inputs and outputs, in calling order) to one function.");
}

}  // namespace cinn::python
