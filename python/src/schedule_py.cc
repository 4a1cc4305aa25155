#include <pybind11/stl.h>

#include "cinn/ir/schedule.h"
#include "src/bindings.h"

namespace py = pybind11;

namespace cinn::python {

namespace {
// A loop handle that remembers its schedule so it can print its current name.
struct LoopPy {
  ir::LoopRV rv;
  std::string name;
};

LoopPy wrap(const ir::IRSchedule& s, ir::LoopRV rv) { return {rv, s.loop_var(rv).var_name()}; }

std::vector<LoopPy> wrap_all(const ir::IRSchedule& s, const std::vector<ir::LoopRV>& rvs) {
  std::vector<LoopPy> out;
  for (auto rv : rvs) out.push_back(wrap(s, rv));
  return out;
}

std::vector<ir::LoopRV> unwrap(const std::vector<LoopPy>& loops) {
  std::vector<ir::LoopRV> out;
  for (const auto& l : loops) out.push_back(l.rv);
  return out;
}
}  // namespace

void bind_schedule(py::module_& m) {
  py::class_<LoopPy>(m, "Loop", "A handle to a loop of a schedule.")
      .def_readonly("name", &LoopPy::name)
      .def("__repr__", [](const LoopPy& l) { return "Loop(" + l.name + ")"; });

  py::class_<ir::IRSchedule>(m, "Schedule", R"doc(
Transforms a lowered function with checked, traced primitives.

    sch = cinn.Schedule(lang.lower("f", [A, B]))
    i, j = sch.get_loops("B")
    jo, ji = sch.split(j, [None, 16])
    sch.vectorize(ji); sch.parallel(i)
    kern = cinn.build(sch)

Illegal requests raise cinn.ScheduleError; `trace` is the JSON of the applied steps and
`Schedule.replay(func, trace)` applies them to a freshly lowered function.)doc")
      .def(py::init<ir::LoweredFunc>(), py::arg("func"))
      .def_property_readonly("func", &ir::IRSchedule::func)
      .def_property_readonly("trace", [](const ir::IRSchedule& s) { return s.trace().to_json(); })
      .def("block_names", &ir::IRSchedule::block_names)
      .def("get_loops", [](ir::IRSchedule& s, const std::string& b) {
        return wrap_all(s, s.get_loops(b));
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
      .def_static("replay", [](const ir::LoweredFunc& f, const std::string& trace) {
        return ir::IRSchedule::replay(f, ir::Trace::from_json(trace));
      }, py::arg("func"), py::arg("trace"))
      .def("__str__", [](const ir::IRSchedule& s) { return s.func().to_string(); });
}

}  // namespace cinn::python
