#include <pybind11/pybind11.h>

#include "cinn/common/error.h"
#include "src/bindings.h"

namespace py = pybind11;

namespace cinn::python {

// cinn::Error subclasses become Python exceptions of the same names, all deriving from
// cinn.Error (itself a RuntimeError).
void bind_errors(py::module_& m) {
  static py::exception<Error> base(m, "Error", PyExc_RuntimeError);
  static py::exception<ShapeError> shape(m, "ShapeError", base.ptr());
  static py::exception<DTypeError> dtype(m, "DTypeError", base.ptr());
  static py::exception<UnsupportedOpError> unsupported(m, "UnsupportedOpError", base.ptr());
  static py::exception<ScheduleError> schedule(m, "ScheduleError", base.ptr());
  static py::exception<CompileError> compile(m, "CompileError", base.ptr());
  static py::exception<ExecutionError> execution(m, "ExecutionError", base.ptr());
  static py::exception<InternalError> internal(m, "InternalError", base.ptr());
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const ShapeError& e) {
      PyErr_SetString(shape.ptr(), e.what());
    } catch (const DTypeError& e) {
      PyErr_SetString(dtype.ptr(), e.what());
    } catch (const UnsupportedOpError& e) {
      PyErr_SetString(unsupported.ptr(), e.what());
    } catch (const ScheduleError& e) {
      PyErr_SetString(schedule.ptr(), e.what());
    } catch (const CompileError& e) {
      PyErr_SetString(compile.ptr(), e.what());
    } catch (const ExecutionError& e) {
      PyErr_SetString(execution.ptr(), e.what());
    } catch (const InternalError& e) {
      PyErr_SetString(internal.ptr(), e.what());
    } catch (const Error& e) {
      PyErr_SetString(base.ptr(), e.what());
    }
  });
}

}  // namespace cinn::python

