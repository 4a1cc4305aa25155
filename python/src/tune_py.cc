// Bindings of the auto-scheduler: cinn.tune (a program over the backends' knobs),
// cinn.tune_kernel (a function over a Python design space) and the lookup of a function's
// best recorded schedule (cinn.build(..., database=)).
#include <pybind11/functional.h>
#include <pybind11/stl.h>

#include "cinn/auto_schedule/database.h"
#include "cinn/auto_schedule/search.h"
#include "cinn/auto_schedule/task.h"
#include "cinn/frontend/tune.h"
#include "src/bindings.h"
#include "src/convert.h"

namespace py = pybind11;

namespace cinn::python {
namespace {

// A Python callable that the search may copy and drop without the GIL (frontend::tune
// copies its options): copies share one reference, and the last owner takes the GIL to
// release it.
std::shared_ptr<py::object> shared_callable(py::object f) {
  return std::shared_ptr<py::object>(new py::object(std::move(f)), [](py::object* p) {
    py::gil_scoped_acquire gil;
    delete p;
  });
}

auto_schedule::TuneOptions tune_options(int trials, int batch, uint64_t seed,
                                        const py::object& progress) {
  auto_schedule::TuneOptions o;
  o.trials = trials;
  o.batch = batch;
  o.seed = seed;
  if (!progress.is_none()) {
    auto f = shared_callable(progress);
    o.progress = [f](const auto_schedule::TuneProgress& pr) {
      py::gil_scoped_acquire gil;
      (*f)(pr.done, pr.total, pr.kernel, pr.seconds);
    };
  }
  return o;
}

py::tuple report_tuple(const auto_schedule::TuneReport& r) {
  py::list tasks;
  for (const auto_schedule::TaskReport& k : r.tasks) {
    py::dict d;
    d["kernel"] = k.kernel;
    d["key"] = k.key;
    d["kind"] = k.kind;
    d["weight"] = k.weight;
    d["candidates"] = k.candidates;
    d["measured"] = k.measured;
    d["default_seconds"] = k.default_seconds;
    d["best_seconds"] = k.best_seconds;
    d["best_params"] = k.best_params;
    d["error"] = k.error;
    tasks.append(d);
  }
  return py::make_tuple(tasks, r.trials);
}

// A function tuned or built on its own is a task of kind "opaque" (a graph kernel of the
// same structure and kind shares its records).
auto_schedule::Task kernel_task(const ir::LoweredFunc& f, const common::Target& t) {
  return auto_schedule::make_task(f.name(), backends::KernelKind::kOpaque, f, t);
}

}  // namespace

void bind_tune(py::module_& m) {
  m.def(
      "tune",
      [](const frontend::Program& p, py::object target, const std::string& database, int trials,
         int batch, uint64_t seed, const frontend::CompileOptions& o, py::object progress) {
        auto_schedule::TuneOptions to = tune_options(trials, batch, seed, progress);
        common::Target t = target_or_host(target);
        auto_schedule::TuneReport r;
        {
          py::gil_scoped_release release;
          r = frontend::tune(p, t, database, to, o);
        }
        return report_tuple(r);
      },
      py::arg("program"), py::arg("target"), py::arg("database"), py::arg("trials"),
      py::arg("batch"), py::arg("seed"), py::arg("options"), py::arg("progress"));

  py::object schedule_error = m.attr("ScheduleError");
  m.def(
      "tune_kernel",
      [schedule_error](const ir::LoweredFunc& f, py::function space, py::object target,
                       const std::string& database, int trials, int batch, uint64_t seed,
                       py::object progress) {
        if (trials < 1)
          CINN_THROW(CompileError) << "tune_kernel: trials must be at least 1, got " << trials;
        common::Target t = target_or_host(target);
        auto_schedule::Task task = kernel_task(f, t);
        auto_schedule::TuneOptions to = tune_options(trials, batch, seed, progress);
        // The Python design space, run with the GIL; its cinn.ScheduleError means "these
        // decisions do not make a schedule" and drops the candidate, any other exception ends
        // the tuning.
        auto fn = shared_callable(space);
        auto error_type = shared_callable(schedule_error);
        auto_schedule::DesignSpace ds = [fn, error_type](ir::IRSchedule& sch) {
          py::gil_scoped_acquire gil;
          try {
            (*fn)(py::cast(&sch, py::return_value_policy::reference));
          } catch (py::error_already_set& e) {
            if (e.matches(*error_type)) CINN_THROW(ScheduleError) << std::string(py::str(e.value()));
            throw;
          }
        };
        auto_schedule::TuneReport r;
        {
          py::gil_scoped_release release;
          auto_schedule::Database db(database);
          r = auto_schedule::tune_space(task, ds, db, to);
        }
        return report_tuple(r);
      },
      py::arg("func"), py::arg("space"), py::arg("target"), py::arg("database"), py::arg("trials"),
      py::arg("batch"), py::arg("seed"), py::arg("progress"));

  m.def(
      "best_schedule",
      [](const ir::LoweredFunc& f, py::object target, const std::string& database) -> py::object {
        common::Target t = target_or_host(target);
        auto_schedule::Task task = kernel_task(f, t);
        auto_schedule::Database db(database, /*create=*/false);
        auto record = db.best(task.key, t.to_string());
        if (!record) return py::none();
        return py::cast(auto_schedule::replay_record(task, record->trace_json));
      },
      py::arg("func"), py::arg("target"), py::arg("database"),
      "The schedule of `func`'s fastest record in the tuning database, replayed; None without "
      "one.");
}

}  // namespace cinn::python
