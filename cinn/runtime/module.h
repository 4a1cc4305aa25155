// The runtime side of a backend: where buffers live (Device) and loaded kernels
// (KernelModule), plus the serialized form of a module (ModuleImage) and the registry of
// loaders that turn an image back into a module.
//
// Nothing here depends on the compiler: the runtime-only build links this file, the host
// shared-library loader and the CUDA driver-API loader, and loads saved artifacts with them.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace cinn::runtime {

// The memory a module's kernels read and write.
class Device {
 public:
  enum class Copy { kHostToDevice, kDeviceToHost, kDeviceToDevice };
  virtual ~Device() = default;
  virtual std::string name() const = 0;
  // True when device memory is host memory (no copies needed at the boundary).
  virtual bool is_host() const = 0;
  // `bytes` bytes aligned to at least 64 bytes; throws ExecutionError when out of memory
  // or when the device is unusable ("no CUDA device").
  virtual void* alloc(int64_t bytes) = 0;
  virtual void free(void* p) = 0;
  // Copies on the device's stream, in order with the launches.
  virtual void copy(void* dst, const void* src, int64_t bytes, Copy kind) = 0;
  // Waits until every launch and copy issued so far has finished.
  virtual void synchronize() = 0;
};

// The CPU's memory (aligned_alloc / memcpy).
Device& host_device();

// Buffers of one device, freed together when this goes out of scope (a kernel's arguments
// for one call or measurement).
class DeviceBuffers {
 public:
  explicit DeviceBuffers(Device& device) : device_(device) {}
  ~DeviceBuffers() {
    for (void* p : buffers_) device_.free(p);
  }
  DeviceBuffers(const DeviceBuffers&) = delete;
  DeviceBuffers& operator=(const DeviceBuffers&) = delete;
  void* alloc(int64_t bytes) {
    buffers_.reserve(buffers_.size() + 1);  // so that push_back cannot throw and leak
    buffers_.push_back(device_.alloc(bytes));
    return buffers_.back();
  }
  void* const* data() const { return buffers_.data(); }
  void* operator[](size_t i) const { return buffers_[i]; }

 private:
  Device& device_;
  std::vector<void*> buffers_;
};

// The serialized kernels of a module: a format name that selects the loader, and named
// files (a shared library, a CUBIN, a launch table, ...).
struct ModuleImage {
  std::string format;
  std::map<std::string, std::string> files;
};

// Kernels ready to launch, with the signature of the graph compiler's functions: buffer
// arguments in order, then symbolic sizes.
class KernelModule {
 public:
  virtual ~KernelModule() = default;
  virtual Device& device() = 0;
  // The index of kernel `name` for launch(); throws ExecutionError when there is none.
  virtual int find(const std::string& name) const = 0;
  // args[i]: device address of buffer argument i; sizes[k]: value of size variable k.
  // May return before the kernel has finished (on a device with a stream).
  virtual void launch(int kernel, void* const* args, const int64_t* sizes) = 0;
  // The image a loader turns back into an equivalent module in another process: what the
  // compile cache stores.
  virtual ModuleImage image() const = 0;
  // The image for a deployment artifact, loadable by the runtime-only build (for x86, a
  // shared library instead of an object file). Defaults to image().
  virtual ModuleImage portable_image() const { return image(); }
};

using ModuleLoader = std::function<std::shared_ptr<KernelModule>(const ModuleImage&)>;

// Registers the loader of images of `format` (a later registration of the same format
// replaces the earlier one). The runtime registers "host-so" (a shared library of host
// kernels loaded with dlopen) and "cuda-cubin" itself; backends register their own.
void register_module_loader(const std::string& format, ModuleLoader loader);
// The module of `image`; ExecutionError for an unknown format or an invalid image.
std::shared_ptr<KernelModule> load_module(const ModuleImage& image);
std::vector<std::string> module_formats();

// The "kernels.txt" file of an image: kernel names, one per line.
std::string kernel_names_file(const std::vector<std::string>& names);
std::vector<std::string> parse_kernel_names_file(const std::string& text);

// Host kernels in a shared library: `library` holds the bytes of a .so whose exported
// functions have the ABI `void name(void** args, const int64_t* sizes)` and whose only
// undefined symbols besides libc/libm are the runtime's (cinn_parallel_for). The
// image format is "host-so" with files "kernels.so" and "kernels.txt" (kernel names, one
// per line).
ModuleImage host_so_image(std::string library, const std::vector<std::string>& kernels);

}  // namespace cinn::runtime
