// Bindings of the graph compiler: NetBuilder, Program, compile, CompiledProgram.
#include <map>
#include <optional>

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include "cinn/backends/backend.h"
#include "cinn/frontend/autodiff.h"
#include "cinn/frontend/compile.h"
#include "cinn/frontend/mlir/import.h"
#include "cinn/frontend/net_builder.h"
#include "cinn/frontend/train_step.h"
#include "cinn/runtime/artifact.h"
#include "src/bindings.h"
#include "src/convert.h"
#include "src/executable_py.h"

namespace py = pybind11;

namespace cinn::python {
namespace {

using frontend::NetBuilder;

// A value of a builder's graph; keeps the builder (and so the graph) alive.
struct ValuePy {
  std::shared_ptr<NetBuilder> builder;
  hlir::Value* value;
};

common::Type to_dtype(py::handle h) {
  if (py::isinstance<py::str>(h)) return common::Type::parse(h.cast<std::string>());
  if (py::hasattr(h, "dtype") || py::isinstance<py::dtype>(h) || py::isinstance<py::type>(h)) {
    return common::Type::parse(std::string(py::str(py::dtype::from_args(py::reinterpret_borrow<py::object>(h)))));
  }
  return h.cast<common::Type>();
}

// A Python value as an attribute of the kind the op declares.
hlir::Attr to_attr(const hlir::OpInfo& op, const std::string& name, py::handle h) {
  const hlir::AttrSpec* spec = op.find_attr(name);
  if (!spec) {
    // Unknown names are reported by the registry's validation; pass something through.
    if (py::isinstance<py::bool_>(h)) return h.cast<bool>();
    if (py::isinstance<py::int_>(h)) return h.cast<int64_t>();
    return std::string(py::str(h));
  }
  auto bad = [&]() -> hlir::Attr {
    CINN_THROW(Error) << "op '" << op.name << "': attribute '" << name << "' expects "
                      << hlir::attr_kind_name(spec->kind) << ", got "
                      << std::string(py::repr(h));
  };
  try {
    switch (spec->kind) {
      case hlir::AttrKind::kBool:
        if (!py::isinstance<py::bool_>(h) && !py::isinstance<py::int_>(h)) return bad();
        return h.cast<bool>();
      case hlir::AttrKind::kInt:
        if (py::isinstance<py::float_>(h)) return bad();
        return h.cast<int64_t>();
      case hlir::AttrKind::kFloat: return h.cast<double>();
      case hlir::AttrKind::kString: return h.cast<std::string>();
      case hlir::AttrKind::kInts:
        if (py::isinstance<py::int_>(h)) return std::vector<int64_t>{h.cast<int64_t>()};
        for (auto x : h) {
          if (py::isinstance<py::float_>(x)) return bad();
        }
        return h.cast<std::vector<int64_t>>();
      case hlir::AttrKind::kFloats:
        if (py::isinstance<py::float_>(h) || py::isinstance<py::int_>(h)) return std::vector<double>{h.cast<double>()};
        return h.cast<std::vector<double>>();
      case hlir::AttrKind::kDType: return to_dtype(h);
      case hlir::AttrKind::kData: {
        py::array arr = py::array::ensure(h, py::array::c_style);
        if (!arr) return bad();
        auto data = std::make_shared<hlir::ConstData>();
        data->dtype = common::Type::parse(std::string(py::str(arr.dtype())));
        for (py::ssize_t d = 0; d < arr.ndim(); ++d) data->shape.push_back(arr.shape(d));
        auto* p = static_cast<const uint8_t*>(arr.data());
        data->bytes.assign(p, p + arr.nbytes());
        return hlir::ConstDataPtr(data);
      }
    }
  } catch (const py::cast_error&) {
    return bad();
  }
  return bad();
}

py::object attr_to_py(const hlir::Attr& a) {
  return std::visit(
      [](const auto& v) -> py::object {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, common::Type>) {
          return py::str(v.to_string());
        } else if constexpr (std::is_same_v<T, hlir::ConstDataPtr>) {
          return py::str(hlir::attr_to_string(hlir::Attr(v)));
        } else {
          return py::cast(v);
        }
      },
      a);
}

py::dict op_schema(const hlir::OpInfo& op) {
  py::dict d;
  d["name"] = op.name;
  d["doc"] = op.doc;
  d["composite"] = op.is_composite();
  d["has_vjp"] = static_cast<bool>(op.vjp_fn);
  d["pattern"] = op.is_composite() ? "" : hlir::op_pattern_name(op.op_pattern);
  py::list inputs;
  for (const auto& s : op.input_specs) inputs.append(py::make_tuple(s.name, s.variadic, s.optional));
  d["inputs"] = inputs;
  py::list attrs;
  for (const auto& s : op.attr_specs) {
    attrs.append(py::make_tuple(s.name, hlir::attr_kind_name(s.kind),
                                s.default_value ? attr_to_py(*s.default_value) : py::object(py::none()),
                                s.default_value.has_value(), s.doc));
  }
  d["attrs"] = attrs;
  return d;
}

class CompiledPy {
 public:
  explicit CompiledPy(std::shared_ptr<frontend::CompiledProgram> c) : c_(std::move(c)), exe_(c_->executable) {}

  // ExecutablePy::run: numpy arrays, or DLPack tensors in GPU memory.
  py::list run(const std::vector<py::object>& inputs, const std::optional<std::vector<py::object>>& outputs) const {
    return exe_.run(inputs, outputs);
  }
  py::list profile(const std::vector<py::object>& inputs, int repeat) const { return exe_.profile(inputs, repeat); }
  std::vector<std::string> input_names() const { return exe_.input_names(); }

  std::shared_ptr<frontend::CompiledProgram> c_;

 private:
  ExecutablePy exe_;
};

std::string type_name(py::handle h) { return py::str(h.get_type().attr("__name__")).cast<std::string>(); }

// An input of `p` given as a builder Value or its name.
const hlir::Value* program_input(const frontend::Program& p, py::handle h, const char* fn, const char* what) {
  const hlir::Graph& g = p.graph();
  if (py::isinstance<py::str>(h)) {
    std::string name = h.cast<std::string>();
    const hlir::Value* v = g.input(name);
    if (!v) {
      std::string names;
      for (auto* in : g.inputs()) names += (names.empty() ? "" : ", ") + in->name;
      CINN_THROW(Error) << fn << ": the program has no input '" << name << "'; its inputs are: " << names;
    }
    return v;
  }
  if (py::isinstance<ValuePy>(h)) {
    const hlir::Value* v = h.cast<ValuePy>().value;
    const hlir::Value* mapped = p.from_built(v);
    if (!mapped) {
      CINN_THROW(Error) << fn << ": '" << v->name << "' (" << v->type.to_string()
                        << ") is not an input of the program; " << what << " must be program inputs";
    }
    return mapped;
  }
  CINN_THROW(Error) << fn << ": " << what << " must be cinn.Values or input names, got " << type_name(h);
}

// An output of `p` given as a builder Value (one passed to build) or an output index.
const hlir::Value* program_output(const frontend::Program& p, py::handle h, const char* fn, const char* what) {
  const hlir::Graph& g = p.graph();
  if (py::isinstance<ValuePy>(h)) {
    const hlir::Value* v = h.cast<ValuePy>().value;
    const hlir::Value* l = p.from_built(v);
    if (!l) {
      CINN_THROW(Error) << fn << ": " << what << " '" << v->name << "' is not an output of the program; "
                        << "pass it to NetBuilder.build";
    }
    return l;
  }
  if (py::isinstance<py::int_>(h)) {
    int64_t i = h.cast<int64_t>(), n = static_cast<int64_t>(g.outputs().size());
    if (i < -n || i >= n) {
      CINN_THROW(Error) << fn << ": " << what << " output index " << i << " is out of range for a program with "
                        << n << " outputs";
    }
    return g.outputs()[i < 0 ? i + n : i];
  }
  CINN_THROW(Error) << fn << ": " << what << " must be a cinn.Value or an output index, got " << type_name(h);
}

}  // namespace

namespace {

// The graph values of `values`, which must come from builder `b`: Error naming `what`
// otherwise (a value of another NetBuilder).
std::vector<hlir::Value*> own_values(const std::shared_ptr<NetBuilder>& b,
                                     const std::vector<ValuePy>& values, const std::string& what) {
  std::vector<hlir::Value*> out;
  for (const auto& v : values) {
    if (v.builder != b) {
      CINN_THROW(Error) << what << ": '" << v.value->name << "' belongs to another NetBuilder";
    }
    out.push_back(v.value);
  }
  return out;
}

}  // namespace

void bind_frontend(py::module_& m) {
  py::class_<ValuePy>(m, "Value", "A value of a program under construction (a tensor).")
      .def_property_readonly("shape", [](const ValuePy& v) { return v.value->shape(); })
      .def_property_readonly("dtype", [](const ValuePy& v) { return v.value->dtype().to_string(); })
      .def_property_readonly("name", [](const ValuePy& v) { return v.value->name; })
      .def("__repr__", [](const ValuePy& v) {
        return "<cinn.Value " + v.value->name + ": " + v.value->type.to_string() + ">";
      });

  py::class_<frontend::Program>(m, "Program", "A program of frontend ops; print it to see it.")
      .def("__str__", &frontend::Program::to_string)
      .def("__repr__", &frontend::Program::to_string)
      .def_property_readonly("inputs", [](const frontend::Program& p) {
        py::list l;
        for (auto* v : p.graph().inputs()) l.append(py::make_tuple(v->name, v->shape(), v->dtype().to_string()));
        return l;
      })
      .def_property_readonly("num_nodes", [](const frontend::Program& p) { return p.graph().nodes().size(); })
      .def_property_readonly("aliases", &frontend::Program::aliases,
                             "(output index, input index) pairs: outputs that replace inputs in place")
      .def_property_readonly("outputs", [](const frontend::Program& p) {
        py::list l;
        for (auto* v : p.graph().outputs()) l.append(py::make_tuple(v->name, v->shape(), v->dtype().to_string()));
        return l;
      });

  // loss: a builder Value (one of the outputs given to build) or an output index; wrt:
  // builder Values (inputs) or input names.
  m.def("grad", [](const frontend::Program& p, py::object loss, py::list wrt) {
    std::vector<const hlir::Value*> w;
    for (py::handle h : wrt) w.push_back(program_input(p, h, "grad", "wrt entries"));
    return frontend::grad(p, program_output(p, loss, "grad", "the loss"), w);
  }, py::arg("program"), py::arg("loss"), py::arg("wrt"));

  // opt: {"kind": "sgd" | "adam" | "adamw", and the Optimizer fields by name};
  // updates: (input, value) pairs, each a Value or (inputs) a name / (values) an output index;
  // rng_keys: inputs (Values or names).
  m.def("train_step", [](const frontend::Program& p, py::object loss, py::list params, py::dict opt,
                         py::list updates, py::list rng_keys) {
    frontend::Optimizer o;
    std::string kind = opt["kind"].cast<std::string>();
    if (kind == "sgd") o.kind = frontend::Optimizer::Kind::kSGD;
    else if (kind == "adam") o.kind = frontend::Optimizer::Kind::kAdam;
    else if (kind == "adamw") o.kind = frontend::Optimizer::Kind::kAdamW;
    else CINN_THROW(Error) << "train_step: unknown optimizer '" << kind << "' (sgd, adam, adamw)";
    for (auto [k, v] : opt) {
      std::string key = k.cast<std::string>();
      if (key == "kind") continue;
      if (key == "nesterov") { o.nesterov = v.cast<bool>(); continue; }
      double x = v.cast<double>();
      if (key == "lr") o.lr = x;
      else if (key == "momentum") o.momentum = x;
      else if (key == "dampening") o.dampening = x;
      else if (key == "weight_decay") o.weight_decay = x;
      else if (key == "beta1") o.beta1 = x;
      else if (key == "beta2") o.beta2 = x;
      else if (key == "eps") o.eps = x;
      else CINN_THROW(Error) << "train_step: unknown optimizer setting '" << key << "'";
    }
    std::vector<const hlir::Value*> w;
    for (py::handle h : params) w.push_back(program_input(p, h, "train_step", "parameters"));
    std::vector<std::pair<const hlir::Value*, const hlir::Value*>> u;
    for (py::handle h : updates) {
      auto t = h.cast<py::tuple>();
      u.push_back({program_input(p, t[0], "train_step", "updated states"),
                   program_output(p, t[1], "train_step", "an update")});
    }
    std::vector<const hlir::Value*> keys;
    for (py::handle h : rng_keys) keys.push_back(program_input(p, h, "train_step", "random keys"));
    return frontend::train_step(p, program_output(p, loss, "train_step", "the loss"), w, o, u, keys);
  }, py::arg("program"), py::arg("loss"), py::arg("params"), py::arg("optimizer"), py::arg("updates"),
     py::arg("rng_keys") = py::list());

  py::class_<NetBuilder, std::shared_ptr<NetBuilder>>(m, "NetBuilderCore")
      .def(py::init<const std::string&>(), py::arg("name"))
      .def("input", [](std::shared_ptr<NetBuilder> b, std::vector<int64_t> shape, py::object dtype,
                       const std::string& name) {
        return ValuePy{b, b->input(shape, to_dtype(dtype), name)};
      })
      .def("call", [](std::shared_ptr<NetBuilder> b, const std::string& name,
                      const std::vector<ValuePy>& inputs, py::dict attrs) {
        const hlir::OpInfo& op = hlir::OpRegistry::global().get(name);
        std::vector<hlir::Value*> ins = own_values(b, inputs, "op '" + name + "': input");
        hlir::AttrMap am;
        for (auto [k, v] : attrs) {
          std::string key = k.cast<std::string>();
          am[key] = to_attr(op, key, v);
        }
        py::list outs;
        for (hlir::Value* v : b->call(name, ins, am)) outs.append(ValuePy{b, v});
        return outs;
      })
      .def("vjp", [](std::shared_ptr<NetBuilder> b, const std::string& name,
                     const std::vector<ValuePy>& inputs, py::list cotangents, py::dict attrs) {
        const hlir::OpInfo& op = hlir::OpRegistry::global().get(name);
        std::vector<hlir::Value*> ins = own_values(b, inputs, "vjp of op '" + name + "': input");
        std::vector<hlir::Value*> cots;
        for (py::handle h : cotangents) {
          if (h.is_none()) {
            cots.push_back(nullptr);
            continue;
          }
          cots.push_back(own_values(b, {h.cast<ValuePy>()}, "vjp of op '" + name + "': cotangent")[0]);
        }
        hlir::AttrMap am;
        for (auto [k, v] : attrs) {
          std::string key = k.cast<std::string>();
          am[key] = to_attr(op, key, v);
        }
        py::list grads;
        for (hlir::Value* g : frontend::append_vjp(*b, name, ins, am, cots)) {
          if (g) grads.append(ValuePy{b, g});
          else grads.append(py::none());
        }
        return grads;
      })
      .def("build", [](std::shared_ptr<NetBuilder> b, const std::vector<ValuePy>& outputs) {
        return b->build(own_values(b, outputs, "build: output"));
      });

  m.def("import_tosa", &frontend::mlir::import_tosa, py::arg("text"), py::arg("source_name"),
        py::arg("entry"), "The Program of an MLIR module's TOSA function (cinn.mlir).");
  m.def("mlir_supported_ops", &frontend::mlir::supported_ops,
        "The MLIR operations the TOSA importer maps, sorted.");

  m.def("op_schemas", [] {
    py::list l;
    for (const hlir::OpInfo* op : hlir::OpRegistry::global().all()) l.append(op_schema(*op));
    return l;
  }, "Every registered op: name, doc, inputs (name, variadic, optional), attrs (name, kind, "
     "default, has_default, doc).");

  py::class_<CompiledPy>(m, "CompiledProgram")
      .def("run", &CompiledPy::run, py::arg("inputs"), py::arg("outputs") = py::none())
      .def("profile", &CompiledPy::profile, py::arg("inputs"), py::arg("repeat"))
      .def_property_readonly("launches", [](const CompiledPy& c) {
        py::list names;
        for (const auto& l : c.c_->executable->plan().launches) names.append(l.group());
        return names;
      })
      .def_property_readonly("aliases", [](const CompiledPy& c) { return c.c_->executable->plan().aliases; })
      .def_property_readonly("aliases_in_place", [](const CompiledPy& c) {
        return c.c_->executable->aliases_in_place();
      })
      .def_property_readonly("input_names", &CompiledPy::input_names)
      .def_property_readonly("kernels", [](const CompiledPy& c) {
        py::list l;
        for (const auto& k : c.c_->kernels) {
          py::dict d;
          d["name"] = k.name;
          d["pattern"] = k.pattern;
          d["ops"] = k.ops;
          d["inputs"] = k.inputs;
          d["outputs"] = k.outputs;
          d["schedule"] = k.schedule;
          d["function"] = k.function;
          l.append(d);
        }
        return l;
      })
      .def_property_readonly("source", [](const CompiledPy& c) { return c.c_->source; })
      .def_property_readonly("loop_ir", [](const CompiledPy& c) { return c.c_->loop_ir; })
      .def_property_readonly("primitive_graph", [](const CompiledPy& c) { return c.c_->primitive_graph; })
      .def_property_readonly("arena_bytes", [](const CompiledPy& c) { return c.c_->executable->arena_bytes(); })
      .def_property_readonly("cache_status", [](const CompiledPy& c) { return c.c_->cache_status; })
      .def_property_readonly("cache_path", [](const CompiledPy& c) { return c.c_->cache_path; })
      .def_property_readonly("unplanned_temp_bytes", [](const CompiledPy& c) {
        return c.c_->executable->unplanned_temp_bytes();
      })
      .def_property_readonly("target", [](const CompiledPy& c) { return c.c_->target; })
      .def("save", [](const CompiledPy& c, const std::string& dir) {
        runtime::save_executable(*c.c_->executable, dir, c.c_->target);
      }, py::arg("dir"));

  m.def("load_artifact", [](const std::string& dir) {
    auto c = std::make_shared<frontend::CompiledProgram>();
    c->executable = runtime::load_executable(dir, &c->target);
    c->cache_status = "off";
    return CompiledPy(c);
  }, py::arg("dir"));

  m.def("tuning_knobs", [](py::object target) {
    common::Target t = target_or_host(target);
    const backends::Backend& backend = backends::backend_for(t);
    py::list out;
    std::map<std::string, py::dict> by_name;
    std::vector<std::string> order;
    for (auto kind : {backends::KernelKind::kElementWise, backends::KernelKind::kReduction,
                      backends::KernelKind::kOutFusible, backends::KernelKind::kOpaque}) {
      for (const backends::TuningKnob& k : backend.tuning_knobs(kind, t)) {
        if (!by_name.count(k.name)) {
          py::dict d;
          d["name"] = k.name;
          d["candidates"] = k.candidates;
          d["doc"] = k.doc;
          d["kernels"] = py::list();
          by_name[k.name] = d;
          order.push_back(k.name);
        }
        by_name[k.name]["kernels"].cast<py::list>().append(backends::kernel_kind_name(kind));
      }
    }
    for (const std::string& n : order) out.append(by_name[n]);
    return out;
  }, py::arg("target") = py::none(),
     "The tuning knobs of the target's backend: name, candidate values, doc and the kernel kinds "
     "whose schedules read it. Give values to compile(..., schedule_params=...).");
  m.def("compile_program", [](const frontend::Program& p, py::object target, const frontend::CompileOptions& o) {
    common::Target t = target_or_host(target);
    std::shared_ptr<frontend::CompiledProgram> c;
    {
      py::gil_scoped_release release;
      c = frontend::compile(p, t, o);
    }
    return CompiledPy(c);
  }, py::arg("program"), py::arg("target"), py::arg("options"));

}

}  // namespace cinn::python
