// Symbols of libraries opened with dlopen (NVRTC, the CUDA driver).
#pragma once

#include <dlfcn.h>

#include <string>

namespace cinn::common {

// Sets *f to symbol `name` of `lib`; when it is missing, records the first such failure in
// *error ("<library> has no symbol <name>") and leaves *f null.
template <typename F>
void load_symbol(void* lib, const char* name, F* f, const char* library, std::string* error) {
  *f = reinterpret_cast<F>(dlsym(lib, name));
  if (!*f && error->empty()) *error = std::string(library) + " has no symbol " + name;
}

}  // namespace cinn::common
