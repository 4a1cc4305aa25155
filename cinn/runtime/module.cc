#include "cinn/runtime/module.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include "cinn/common/error.h"
#include "cinn/runtime/cuda_module.h"
#include "cinn/runtime/thread_pool.h"

namespace cinn::runtime {
namespace {

class HostDevice final : public Device {
 public:
  std::string name() const override { return "host"; }
  bool is_host() const override { return true; }
  void* alloc(int64_t bytes) override {
    size_t n = static_cast<size_t>((std::max<int64_t>(bytes, 1) + 63) / 64 * 64);
    void* p = std::aligned_alloc(64, n);
    if (!p) CINN_THROW(ExecutionError) << "host: out of memory for " << bytes << " bytes";
    return p;
  }
  void free(void* p) override { std::free(p); }
  void copy(void* dst, const void* src, int64_t bytes, Copy) override {
    if (bytes > 0) std::memcpy(dst, src, static_cast<size_t>(bytes));
  }
  void synchronize() override {}
};

struct Registry {
  std::mutex mu;
  std::map<std::string, ModuleLoader> loaders;
};

std::shared_ptr<KernelModule> load_host_so(const ModuleImage& image);

// The registry, with the runtime's own loaders registered on first use.
Registry& registry() {
  static Registry* r = [] {
    auto* reg = new Registry;
    reg->loaders["host-so"] = load_host_so;
    reg->loaders["cuda-cubin"] = load_cuda_module;
    return reg;
  }();
  return *r;
}

// Makes the runtime's exported functions visible to libraries loaded later. The library
// holding this code may have been loaded with RTLD_LOCAL (as Python loads extensions);
// reopening it with RTLD_NOLOAD | RTLD_GLOBAL promotes its symbols to the global scope.
void export_runtime_symbols() {
  static std::once_flag once;
  std::call_once(once, [] {
    Dl_info info;
    if (dladdr(reinterpret_cast<void*>(&cinn_parallel_for), &info) && info.dli_fname) {
      dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_GLOBAL);
    }
  });
}

class HostSoModule final : public KernelModule {
 public:
  HostSoModule(ModuleImage image) : image_(std::move(image)) {
    auto lib = image_.files.find("kernels.so");
    auto names = image_.files.find("kernels.txt");
    if (lib == image_.files.end() || names == image_.files.end()) {
      CINN_THROW(ExecutionError) << "host-so module: the image lacks kernels.so or kernels.txt";
    }
    export_runtime_symbols();
    // dlopen needs a file: write the library to a temporary one, removed once mapped.
    std::string tmpl = (std::filesystem::temp_directory_path() / "cinn-kernels-XXXXXX").string();
    std::vector<char> path(tmpl.begin(), tmpl.end());
    path.push_back('\0');
    int fd = mkstemp(path.data());
    if (fd < 0) CINN_THROW(ExecutionError) << "host-so module: cannot create a temporary file in " << tmpl;
    const std::string& bytes = lib->second;
    bool ok = ::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size());
    ::close(fd);
    if (ok) handle_ = dlopen(path.data(), RTLD_NOW | RTLD_LOCAL);
    std::string err = handle_ ? "" : (ok ? dlerror() : "short write");
    std::remove(path.data());
    if (!handle_) CINN_THROW(ExecutionError) << "host-so module: cannot load the kernel library: " << err;
    for (const std::string& name : parse_kernel_names_file(names->second)) {
      void* fn = dlsym(handle_, name.c_str());
      if (!fn) CINN_THROW(ExecutionError) << "host-so module: the kernel library has no function '" << name << "'";
      names_.push_back(name);
      fns_.push_back(reinterpret_cast<Fn>(fn));
    }
  }
  ~HostSoModule() override {
    if (handle_) dlclose(handle_);
  }
  Device& device() override { return host_device(); }
  int find(const std::string& name) const override {
    for (size_t i = 0; i < names_.size(); ++i) {
      if (names_[i] == name) return static_cast<int>(i);
    }
    CINN_THROW(ExecutionError) << "module has no kernel '" << name << "'";
  }
  void launch(int kernel, void* const* args, const int64_t* sizes) override {
    fns_.at(static_cast<size_t>(kernel))(const_cast<void**>(args), sizes);
  }
  ModuleImage image() const override { return image_; }

 private:
  using Fn = void (*)(void**, const int64_t*);
  ModuleImage image_;
  void* handle_ = nullptr;
  std::vector<std::string> names_;
  std::vector<Fn> fns_;
};

std::shared_ptr<KernelModule> load_host_so(const ModuleImage& image) {
  return std::make_shared<HostSoModule>(image);
}

}  // namespace

Device& host_device() {
  static HostDevice* d = new HostDevice;
  return *d;
}

void register_module_loader(const std::string& format, ModuleLoader loader) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  r.loaders[format] = std::move(loader);
}

std::shared_ptr<KernelModule> load_module(const ModuleImage& image) {
  ModuleLoader loader;
  {
    Registry& r = registry();
    std::lock_guard<std::mutex> lock(r.mu);
    auto it = r.loaders.find(image.format);
    if (it != r.loaders.end()) loader = it->second;
  }
  if (!loader) {
    std::string known;
    for (const std::string& f : module_formats()) known += (known.empty() ? "" : ", ") + f;
    CINN_THROW(ExecutionError) << "no loader for kernel modules of format '" << image.format
                               << "' in this build (it has: " << known << ")";
  }
  return loader(image);
}

std::vector<std::string> module_formats() {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  std::vector<std::string> out;
  for (const auto& [name, _] : r.loaders) out.push_back(name);
  return out;
}

ModuleImage host_so_image(std::string library, const std::vector<std::string>& kernels) {
  ModuleImage im;
  im.format = "host-so";
  im.files["kernels.so"] = std::move(library);
  im.files["kernels.txt"] = kernel_names_file(kernels);
  return im;
}

std::string kernel_names_file(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += n + "\n";
  return out;
}

std::vector<std::string> parse_kernel_names_file(const std::string& text) {
  std::vector<std::string> names;
  std::istringstream is(text);
  for (std::string n; std::getline(is, n);) {
    if (!n.empty()) names.push_back(n);
  }
  return names;
}

}  // namespace cinn::runtime
