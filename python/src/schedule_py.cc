#include <pybind11/stl.h>

#include "cinn/ir/schedule.h"
#include "src/bindings.h"

namespace py = pybind11;

namespace cinn::python {

namespace {
// Handles that remember their names for printing.
struct LoopPy {
  ir::LoopRV rv;
  std::string name;
};
struct BlockPy {
  ir::BlockRV rv;
  std::string name;
};

LoopPy wrap(const ir::IRSchedule& s, ir::LoopRV rv) { return {rv, s.loop_var(rv).var_name()}; }
BlockPy wrap(const ir::IRSchedule& s, ir::BlockRV rv) { return {rv, s.block_name(rv)}; }

template <typename RV>
auto wrap_all(const ir::IRSchedule& s, const std::vector<RV>& rvs) {
  std::vector<decltype(wrap(s, rvs[0]))> out;
  for (auto rv : rvs) out.push_back(wrap(s, rv));
  return out;
}

std::vector<ir::LoopRV> unwrap(const std::vector<LoopPy>& loops) {
  std::vector<ir::LoopRV> out;
  for (const auto& l : loops) out.push_back(l.rv);
  return out;
}

// A Block handle, or a block name (looked up, which the trace records).
ir::BlockRV as_block(ir::IRSchedule& s, const py::object& b) {
  if (py::isinstance<py::str>(b)) return s.get_block(b.cast<std::string>());
  return b.cast<BlockPy>().rv;
}

ir::MemoryScope as_scope(const std::string& s) { return ir::parse_memory_scope(s); }
}  // namespace

void bind_schedule(py::module_& m) {
  py::class_<LoopPy>(m, "Loop", "A handle to a loop of a schedule.")
      .def_readonly("name", &LoopPy::name)
      .def("__repr__", [](const LoopPy& l) { return "Loop(" + l.name + ")"; });
  py::class_<BlockPy>(m, "Block", "A handle to a block (one computation) of a schedule.")
      .def_readonly("name", &BlockPy::name)
      .def("__repr__", [](const BlockPy& b) { return "Block(" + b.name + ")"; });

  py::class_<ir::IRSchedule>(m, "Schedule", R"doc(
Transforms a lowered function with checked, traced primitives (docs/schedules.md).

    sch = cinn.Schedule(lang.lower("f", [A, B]))
    i, j = sch.get_loops("B")
    jo, ji = sch.split(j, [None, 16])
    sch.vectorize(ji); sch.parallel(i)
    kern = cinn.build(sch)

Blocks are named by Block handles or by name. Illegal requests raise cinn.ScheduleError;
`trace` is the JSON of the applied steps and `Schedule.replay(func, trace)` applies them
to a freshly lowered function. `seed` drives the sample_* primitives.)doc")
      .def(py::init<ir::LoweredFunc, uint64_t>(), py::arg("func"), py::arg("seed") = 0)
      .def_property_readonly("func", &ir::IRSchedule::func)
      .def_property_readonly("trace", [](const ir::IRSchedule& s) { return s.trace().to_json(); })
      .def("block_names", &ir::IRSchedule::block_names)
      .def("get_block", [](ir::IRSchedule& s, const std::string& name) {
        return wrap(s, s.get_block(name));
      }, py::arg("name"))
      .def("get_all_blocks", [](ir::IRSchedule& s) { return wrap_all(s, s.get_all_blocks()); })
      .def("get_child_blocks", [](ir::IRSchedule& s, const LoopPy& l) {
        return wrap_all(s, s.get_child_blocks(l.rv));
      }, py::arg("loop"))
      .def("get_loops", [](ir::IRSchedule& s, const py::object& b) {
        return wrap_all(s, s.get_loops(as_block(s, b)));
      }, py::arg("block"))
      .def("split", [](ir::IRSchedule& s, const LoopPy& l, const std::vector<py::object>& factors) {
        std::vector<int64_t> fs;
        for (const auto& f : factors) fs.push_back(f.is_none() ? -1 : f.cast<int64_t>());
        return wrap_all(s, s.split(l.rv, fs));
      }, py::arg("loop"), py::arg("factors"))
      .def("fuse", [](ir::IRSchedule& s, py::args loops) {
        return wrap(s, s.fuse(unwrap(loops.cast<std::vector<LoopPy>>())));
      })
      .def("reorder", [](ir::IRSchedule& s, py::args loops) {
        s.reorder(unwrap(loops.cast<std::vector<LoopPy>>()));
      })
      .def("parallel", [](ir::IRSchedule& s, const LoopPy& l) { s.parallel(l.rv); })
      .def("vectorize", [](ir::IRSchedule& s, const LoopPy& l) { s.vectorize(l.rv); })
      .def("unroll", [](ir::IRSchedule& s, const LoopPy& l) { s.unroll(l.rv); })
      .def("bind", [](ir::IRSchedule& s, const LoopPy& l, const std::string& axis) {
        s.bind(l.rv, axis);
      }, py::arg("loop"), py::arg("thread_axis"))
      .def("annotate", [](ir::IRSchedule& s, const py::object& b, const std::string& key,
                          const std::string& value) { s.annotate(as_block(s, b), key, value); },
           py::arg("block"), py::arg("key"), py::arg("value"))
      .def("compute_inline", [](ir::IRSchedule& s, const py::object& b) {
        s.compute_inline(as_block(s, b));
      }, py::arg("block"))
      .def("reverse_compute_inline", [](ir::IRSchedule& s, const py::object& b) {
        s.reverse_compute_inline(as_block(s, b));
      }, py::arg("block"))
      .def("compute_at", [](ir::IRSchedule& s, const py::object& b, const LoopPy& l) {
        s.compute_at(as_block(s, b), l.rv);
      }, py::arg("block"), py::arg("loop"))
      .def("reverse_compute_at", [](ir::IRSchedule& s, const py::object& b, const LoopPy& l) {
        s.reverse_compute_at(as_block(s, b), l.rv);
      }, py::arg("block"), py::arg("loop"))
      .def("cache_read", [](ir::IRSchedule& s, const py::object& b, const std::string& buffer,
                            const std::string& scope) {
        // One consumer block, or a list of consumers in one loop nest sharing the copy.
        std::vector<ir::BlockRV> blocks;
        if (py::isinstance<py::list>(b) || py::isinstance<py::tuple>(b)) {
          for (py::handle h : b) blocks.push_back(as_block(s, py::reinterpret_borrow<py::object>(h)));
        } else {
          blocks.push_back(as_block(s, b));
        }
        return wrap(s, s.cache_read(blocks, buffer, as_scope(scope)));
      }, py::arg("block"), py::arg("buffer"), py::arg("scope") = "local")
      .def("cache_write", [](ir::IRSchedule& s, const py::object& b, const std::string& buffer,
                             const std::string& scope) {
        return wrap(s, s.cache_write(as_block(s, b), buffer, as_scope(scope)));
      }, py::arg("block"), py::arg("buffer"), py::arg("scope") = "local")
      .def("set_scope", [](ir::IRSchedule& s, const std::string& buffer, const std::string& scope) {
        s.set_scope(buffer, as_scope(scope));
      }, py::arg("buffer"), py::arg("scope"))
      .def("layout_transform", [](ir::IRSchedule& s, const std::string& buffer,
                                  const py::function& index_map) {
        // Call the map on fresh variables named after its parameters.
        py::object sig = py::module_::import("inspect").attr("signature")(index_map);
        py::object params = sig.attr("parameters");
        std::vector<ir::Expr> vars;
        for (const auto& p : params) vars.push_back(ir::Var::make(p.cast<std::string>()));
        py::tuple args(vars.size());
        for (size_t i = 0; i < vars.size(); ++i) args[i] = py::cast(vars[i]);
        py::object res = index_map(*args);
        std::vector<ir::Expr> map;
        for (const auto& e : res) map.push_back(e.cast<ir::Expr>());
        s.layout_transform(buffer, vars, map);
      }, py::arg("buffer"), py::arg("index_map"))
      .def("storage_align", &ir::IRSchedule::storage_align, py::arg("buffer"), py::arg("axis"),
           py::arg("factor"), py::arg("offset"))
      .def("rfactor", [](ir::IRSchedule& s, const LoopPy& l, int factor_axis) {
        return wrap(s, s.rfactor(l.rv, factor_axis));
      }, py::arg("loop"), py::arg("factor_axis") = -1)
      .def("decompose_reduction", [](ir::IRSchedule& s, const py::object& b, const LoopPy& l) {
        return wrap(s, s.decompose_reduction(as_block(s, b), l.rv));
      }, py::arg("block"), py::arg("loop"))
      .def("sample_perfect_tile", [](ir::IRSchedule& s, const LoopPy& l, int n,
                                     int64_t max_innermost_factor) {
        return s.sample_perfect_tile(l.rv, n, max_innermost_factor);
      }, py::arg("loop"), py::arg("n"), py::arg("max_innermost_factor") = 16)
      .def("sample_categorical", [](ir::IRSchedule& s, const std::vector<int64_t>& candidates,
                                    const std::vector<double>& probs) {
        return s.sample_categorical(candidates, probs);
      }, py::arg("candidates"), py::arg("probs"))
      .def_static("replay", [](const ir::LoweredFunc& f, const std::string& trace) {
        return ir::IRSchedule::replay(f, ir::Trace::from_json(trace));
      }, py::arg("func"), py::arg("trace"))
      .def("__str__", [](const ir::IRSchedule& s) { return s.func().to_string(); });
}

}  // namespace cinn::python
