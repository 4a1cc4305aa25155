// The system C compiler, for backends that produce host shared libraries (the x86
// backend's portable artifacts, a C source backend).
#pragma once

#include <string>
#include <vector>

namespace cinn::backends {

// The compiler command: $CC when set, else "cc".
std::string host_cc();

// Writes `input` to a fresh temporary directory as `input_name` (its suffix tells the
// compiler what it is: .c, .o), runs `host_cc() flags... input -shared -o lib.so -lm` there
// and returns the library's bytes. CompileError with the compiler's output when it fails.
std::string link_host_library(const std::string& input_name, const std::string& input,
                              const std::vector<std::string>& flags = {});

}  // namespace cinn::backends
