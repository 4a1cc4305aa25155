// Shared declarations of the pybind11 extension `cinn._cinn`.
#pragma once

#include <pybind11/pybind11.h>

namespace cinn::python {

void bind_errors(pybind11::module_& m);
void bind_ir(pybind11::module_& m);
void bind_lang(pybind11::module_& m);
void bind_build(pybind11::module_& m);
void bind_schedule(pybind11::module_& m);
void bind_compile_options(pybind11::module_& m);
void bind_frontend(pybind11::module_& m);
void bind_tune(pybind11::module_& m);

}  // namespace cinn::python
