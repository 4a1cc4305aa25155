#include <pybind11/pybind11.h>

#include "src/bindings.h"
#include "src/executable_py.h"

namespace py = pybind11;

PYBIND11_MODULE(_cinn, m) {
  m.doc() = "CINN compiler core (C++ extension); use the `cinn` package.";
  cinn::python::bind_errors(m);
  cinn::python::bind_ir(m);
  cinn::python::bind_lang(m);
  cinn::python::bind_schedule(m);
  cinn::python::bind_build(m);
  cinn::python::bind_compile_options(m);
  cinn::python::bind_frontend(m);
  cinn::python::bind_tune(m);
  cinn::python::bind_device_array(m);
}
