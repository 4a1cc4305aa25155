// The system C compiler, for backends that produce host shared libraries (the x86
// backend's portable artifacts, a C source backend).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace cinn::backends {

// The compiler command: $CC when set, else "cc".
std::string host_cc();

// Writes each input (name -> bytes) to a fresh temporary directory under its name (whose
// suffix tells the compiler what it is: .c, .cc, .o), runs `host_cc() flags... inputs...
// -shared -o lib.so -lm` there and returns the library's bytes. CompileError with the
// compiler's output when it fails.
std::string link_host_library(const std::vector<std::pair<std::string, std::string>>& inputs,
                              const std::vector<std::string>& flags = {});

}  // namespace cinn::backends
