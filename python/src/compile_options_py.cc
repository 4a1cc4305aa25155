// cinn.CompileOptions: the Python face of frontend::CompileOptions, the one value that
// carries compile options (DESIGN.md, "No global flags").
#include <pybind11/stl.h>

#include <limits>
#include <map>
#include <optional>
#include <string>

#include "cinn/common/error.h"
#include "cinn/frontend/compile.h"
#include "src/bindings.h"

namespace py = pybind11;

namespace cinn::python {
namespace {

using frontend::CompileOptions;

std::string type_of(py::handle h) { return py::str(py::type::handle_of(h).attr("__name__")); }

bool to_bool(const char* field, py::handle h) {
  if (!py::isinstance<py::bool_>(h))
    CINN_THROW(Error) << "CompileOptions." << field << " must be a bool, got " << type_of(h) << " "
                      << std::string(py::repr(h));
  return h.cast<bool>();
}

// None, a str or an os.PathLike.
std::optional<std::string> to_path(const char* field, py::handle h) {
  if (h.is_none()) return std::nullopt;
  if (!py::isinstance<py::str>(h) && !py::hasattr(h, "__fspath__"))
    CINN_THROW(Error) << "CompileOptions." << field
                      << " must be a path (str or os.PathLike) or None, got " << type_of(h);
  return py::module_::import("os").attr("fspath")(h).cast<std::string>();
}

py::object path_or_none(const std::optional<std::string>& p) {
  return p ? py::object(py::str(*p)) : py::object(py::none());
}

// The fields in declaration order; each with how to read and write it from Python.
struct Field {
  const char* name;
  py::object (*get)(const CompileOptions&);
  void (*set)(CompileOptions&, py::handle);
};

const std::vector<Field>& fields() {
  static const std::vector<Field> fs = {
      {"fusion", [](const CompileOptions& o) { return py::object(py::bool_(o.fusion)); },
       [](CompileOptions& o, py::handle h) { o.fusion = to_bool("fusion", h); }},
      {"opt_level", [](const CompileOptions& o) { return py::object(py::int_(o.opt_level)); },
       [](CompileOptions& o, py::handle h) {
         if (py::isinstance<py::bool_>(h) || !py::isinstance<py::int_>(h))
           CINN_THROW(Error) << "CompileOptions.opt_level must be an int, got " << type_of(h);
         auto v = py::reinterpret_borrow<py::int_>(h);
         if (v < py::int_(0) || v > py::int_(3))
           CINN_THROW(Error) << "CompileOptions.opt_level must be 0, 1, 2 or 3, got "
                             << std::string(py::str(h));
         o.opt_level = v.cast<int>();
       }},
      {"precise_math",
       [](const CompileOptions& o) { return py::object(py::bool_(o.precise_math)); },
       [](CompileOptions& o, py::handle h) { o.precise_math = to_bool("precise_math", h); }},
      {"fold_constants",
       [](const CompileOptions& o) { return py::object(py::bool_(o.fold_constants)); },
       [](CompileOptions& o, py::handle h) { o.fold_constants = to_bool("fold_constants", h); }},
      {"cache", [](const CompileOptions& o) { return py::object(py::bool_(o.cache)); },
       [](CompileOptions& o, py::handle h) { o.cache = to_bool("cache", h); }},
      {"cache_dir", [](const CompileOptions& o) { return path_or_none(o.cache_dir); },
       [](CompileOptions& o, py::handle h) { o.cache_dir = to_path("cache_dir", h); }},
      {"dump_dir", [](const CompileOptions& o) { return path_or_none(o.dump_dir); },
       [](CompileOptions& o, py::handle h) { o.dump_dir = to_path("dump_dir", h); }},
      {"schedule_params",
       [](const CompileOptions& o) { return py::object(py::cast(o.schedule_params)); },
       [](CompileOptions& o, py::handle h) {
         if (h.is_none()) {
           o.schedule_params.clear();
           return;
         }
         if (!py::isinstance<py::dict>(h))
           CINN_THROW(Error)
               << "CompileOptions.schedule_params must be a dict of knob name to int, got "
               << type_of(h);
         std::map<std::string, int64_t> params;
         for (auto [k, v] : h.cast<py::dict>()) {
           if (!py::isinstance<py::str>(k) || py::isinstance<py::bool_>(v) ||
               !py::isinstance<py::int_>(v))
             CINN_THROW(Error)
                 << "CompileOptions.schedule_params must map knob names (str) to ints, got "
                 << std::string(py::repr(k)) << ": " << std::string(py::repr(v));
           if (v < py::int_(std::numeric_limits<int64_t>::min()) ||
               v > py::int_(std::numeric_limits<int64_t>::max()))
             CINN_THROW(Error) << "CompileOptions.schedule_params['" << k.cast<std::string>()
                               << "'] must fit in 64 bits, got " << std::string(py::str(v));
           params[k.cast<std::string>()] = v.cast<int64_t>();
         }
         o.schedule_params = std::move(params);
       }},
      {"database",
       [](const CompileOptions& o) {
         return o.database.empty() ? py::object(py::none()) : py::object(py::str(o.database));
       },
       [](CompileOptions& o, py::handle h) { o.database = to_path("database", h).value_or(""); }},
  };
  return fs;
}

const Field& field(const std::string& name) {
  for (const Field& f : fields())
    if (name == f.name) return f;
  std::string names;
  for (const Field& f : fields()) names += (names.empty() ? "" : ", ") + std::string(f.name);
  CINN_THROW(Error) << "CompileOptions: unknown option '" << name << "'; the options are " << names;
}

CompileOptions with(CompileOptions o, const py::kwargs& changes) {
  for (auto [k, v] : changes) field(k.cast<std::string>()).set(o, v);
  return o;
}

}  // namespace

void bind_compile_options(py::module_& m) {
  py::class_<CompileOptions> cls(m, "CompileOptions", R"doc(
The options of :func:`cinn.compile` (and of everything that compiles: ``cinn.onnx.compile``,
``cinn.mlir.compile``, ``cinn.torch.compile``, :func:`cinn.train_step`, :func:`cinn.tune`).

``CompileOptions(**fields)``; every field has a default:

- ``fusion`` (True): fuse ops into kernels; False gives one kernel per primitive op.
- ``opt_level`` (3): 0..3, LLVM's O0..O3 (0 for debugging).
- ``precise_math`` (False): libm/CUDA precise functions instead of the fast approximations.
- ``fold_constants`` (True): evaluate constant subgraphs at compile time.
- ``cache`` (True): the disk compile cache; a later compile of the same program, in any
  process, loads the result instead of compiling. Bypassed while IR dumps are on.
- ``cache_dir`` (None): the cache directory; None is ``$CINN_CACHE_DIR``, else
  ``$XDG_CACHE_HOME/cinn``, else ``~/.cache/cinn``.
- ``dump_dir`` (None): where to dump every pass's IR and the generated source; None is
  ``$CINN_DUMP_DIR`` (unset: no dumps), ``""`` turns dumps off.
- ``schedule_params`` ({}): values of the target backend's tuning knobs for the default
  schedules of every kernel, e.g. ``{"matmul_tm": 8}`` on CUDA (:func:`cinn.tuning_knobs`
  lists them); an unknown name raises ScheduleError at compile time.
- ``database`` (None): a tuning database written by :func:`cinn.tune`; each kernel with a
  record there gets its fastest measured schedule instead of the default rules.

A wrong name or type raises :class:`cinn.Error`. ``replace(**fields)`` returns a copy with
some fields changed. Options are values: compared with ``==``, printed with their fields.
)doc");
  cls.def(py::init([](const py::kwargs& kw) { return with(CompileOptions{}, kw); }));
  for (const Field& f : fields()) {
    auto get = f.get;
    auto set = f.set;
    cls.def_property(
        f.name, [get](const CompileOptions& o) { return get(o); },
        [set](CompileOptions& o, py::handle h) { set(o, h); });
  }
  cls.def(
      "replace", [](const CompileOptions& o, const py::kwargs& kw) { return with(o, kw); },
      "A copy of these options with the given fields changed.");
  cls.def("__eq__", [](const CompileOptions& a, const CompileOptions& b) {
    for (const Field& f : fields())
      if (!f.get(a).equal(f.get(b))) return false;
    return true;
  });
  cls.def("__eq__", [](const CompileOptions&, py::object) { return false; });
  cls.attr("__hash__") = py::none();
  cls.def("__copy__", [](const CompileOptions& o) { return o; });
  cls.def("__deepcopy__", [](const CompileOptions& o, py::dict) { return o; });
  cls.def("__repr__", [](const CompileOptions& o) {
    std::string s = "CompileOptions(";
    bool first = true;
    for (const Field& f : fields()) {
      s += (first ? "" : ", ") + std::string(f.name) + "=" + std::string(py::repr(f.get(o)));
      first = false;
    }
    return s + ")";
  });
  py::tuple names(fields().size());
  for (size_t i = 0; i < fields().size(); ++i) names[i] = py::str(fields()[i].name);
  cls.attr("fields") = names;
}

}  // namespace cinn::python
