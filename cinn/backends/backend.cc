#include "cinn/backends/backend.h"

#include <mutex>

#include "cinn/backends/backends_builtin.h"
#include "cinn/common/error.h"

namespace cinn::backends {
namespace {

struct Registry {
  std::mutex mu;
  std::map<std::string, std::shared_ptr<const Backend>> backends;
};

// The registry, with the built-in backends registered on first use.
Registry& registry() {
  static Registry* r = [] {
    auto* reg = new Registry;
    for (auto b : {make_x86_backend(), make_cuda_backend(), make_cuda_emulator_backend()}) reg->backends[b->name()] = b;
    return reg;
  }();
  return *r;
}

}  // namespace

const char* kernel_kind_name(KernelKind k) {
  switch (k) {
    case KernelKind::kElementWise: return "elementwise";
    case KernelKind::kReduction: return "reduction";
    case KernelKind::kOutFusible: return "out_fusible";
    case KernelKind::kOpaque: return "opaque";
  }
  return "?";
}

void register_backend(std::shared_ptr<const Backend> backend) {
  if (!backend) CINN_THROW(CompileError) << "register_backend: null backend";
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  std::string name = backend->name();
  if (name.empty()) CINN_THROW(CompileError) << "register_backend: a backend needs a name";
  if (r.backends.count(name)) {
    CINN_THROW(CompileError) << "register_backend: a backend named '" << name << "' is already registered";
  }
  r.backends[name] = std::move(backend);
}

const Backend& backend_for(const common::Target& target) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  auto it = r.backends.find(target.backend);
  if (it == r.backends.end()) {
    std::string names;
    for (const auto& [n, _] : r.backends) names += (names.empty() ? "" : ", ") + n;
    CINN_THROW(CompileError) << "no backend named '" << target.backend << "' for target "
                             << target.to_string() << " (registered: " << names << ")";
  }
  return *it->second;
}

std::vector<std::string> registered_backends() {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  std::vector<std::string> out;
  for (const auto& [n, _] : r.backends) out.push_back(n);
  return out;
}

}  // namespace cinn::backends
