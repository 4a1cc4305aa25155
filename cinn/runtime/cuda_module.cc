#include "cinn/runtime/cuda_module.h"

#include <dlfcn.h>

#include <mutex>
#include <sstream>

#include "cinn/common/dynamic_library.h"
#include "cinn/common/error.h"

namespace cinn::runtime {
namespace {

// The subset of cuda.h used here; the driver API's ABI is stable.
using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;  // NOLINT(runtime/int): the driver's type
using CUcontext = void*;
using CUmodule = void*;
using CUfunction = void*;
using CUstream = void*;
constexpr int kAttrComputeCapabilityMajor = 75;
constexpr int kAttrComputeCapabilityMinor = 76;

struct Driver {
  CUresult (*Init)(unsigned) = nullptr;
  CUresult (*GetErrorString)(CUresult, const char**) = nullptr;
  CUresult (*DeviceGetCount)(int*) = nullptr;
  CUresult (*DeviceGet)(CUdevice*, int) = nullptr;
  CUresult (*DeviceGetAttribute)(int*, int, CUdevice) = nullptr;
  CUresult (*DevicePrimaryCtxRetain)(CUcontext*, CUdevice) = nullptr;
  CUresult (*CtxSetCurrent)(CUcontext) = nullptr;
  CUresult (*ModuleLoadData)(CUmodule*, const void*) = nullptr;
  CUresult (*ModuleUnload)(CUmodule) = nullptr;
  CUresult (*ModuleGetFunction)(CUfunction*, CUmodule, const char*) = nullptr;
  CUresult (*LaunchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,
                           unsigned, CUstream, void**, void**) = nullptr;
  CUresult (*MemAlloc)(CUdeviceptr*, size_t) = nullptr;
  CUresult (*MemFree)(CUdeviceptr) = nullptr;
  CUresult (*MemcpyHtoDAsync)(CUdeviceptr, const void*, size_t, CUstream) = nullptr;
  CUresult (*MemcpyDtoHAsync)(void*, CUdeviceptr, size_t, CUstream) = nullptr;
  CUresult (*MemcpyDtoDAsync)(CUdeviceptr, CUdeviceptr, size_t, CUstream) = nullptr;
  CUresult (*StreamCreate)(CUstream*, unsigned) = nullptr;
  CUresult (*StreamDestroy)(CUstream) = nullptr;
  CUresult (*StreamSynchronize)(CUstream) = nullptr;

  CUcontext context = nullptr;
  int sm_version = 0;
  std::string error;  // why the device is unusable; empty when usable
};


std::string result_string(const Driver& d, CUresult r) {
  const char* s = nullptr;
  if (d.GetErrorString && d.GetErrorString(r, &s) == 0 && s) return s;
  return "CUDA error " + std::to_string(r);
}

// The driver, initialized on the first call: device 0's primary context.
Driver& driver() {
  static Driver d;
  static std::once_flag once;
  std::call_once(once, [] {
    void* lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
      const char* e = dlerror();
      d.error = std::string("cannot load the CUDA driver (libcuda.so.1): ") + (e ? e : "not found");
      return;
    }
    std::string& e = d.error;
    common::load_symbol(lib, "cuInit", &d.Init, "libcuda.so.1", &e);
    common::load_symbol(lib, "cuGetErrorString", &d.GetErrorString, "libcuda.so.1", &e);
    common::load_symbol(lib, "cuDeviceGetCount", &d.DeviceGetCount, "libcuda.so.1", &e);
    common::load_symbol(lib, "cuDeviceGet", &d.DeviceGet, "libcuda.so.1", &e);
    common::load_symbol(lib, "cuDeviceGetAttribute", &d.DeviceGetAttribute, "libcuda.so.1", &e);
    common::load_symbol(lib, "cuDevicePrimaryCtxRetain", &d.DevicePrimaryCtxRetain, "libcuda.so.1", &e);
    common::load_symbol(lib, "cuCtxSetCurrent", &d.CtxSetCurrent, "libcuda.so.1", &e);
    common::load_symbol(lib, "cuModuleLoadData", &d.ModuleLoadData, "libcuda.so.1", &e);
    common::load_symbol(lib, "cuModuleUnload", &d.ModuleUnload, "libcuda.so.1", &e);
    common::load_symbol(lib, "cuModuleGetFunction", &d.ModuleGetFunction, "libcuda.so.1", &e);
    common::load_symbol(lib, "cuLaunchKernel", &d.LaunchKernel, "libcuda.so.1", &e);
    common::load_symbol(lib, "cuMemAlloc_v2", &d.MemAlloc, "libcuda.so.1", &e);
    common::load_symbol(lib, "cuMemFree_v2", &d.MemFree, "libcuda.so.1", &e);
    common::load_symbol(lib, "cuMemcpyHtoDAsync_v2", &d.MemcpyHtoDAsync, "libcuda.so.1", &e);
    common::load_symbol(lib, "cuMemcpyDtoHAsync_v2", &d.MemcpyDtoHAsync, "libcuda.so.1", &e);
    common::load_symbol(lib, "cuMemcpyDtoDAsync_v2", &d.MemcpyDtoDAsync, "libcuda.so.1", &e);
    common::load_symbol(lib, "cuStreamCreate", &d.StreamCreate, "libcuda.so.1", &e);
    common::load_symbol(lib, "cuStreamDestroy_v2", &d.StreamDestroy, "libcuda.so.1", &e);
    common::load_symbol(lib, "cuStreamSynchronize", &d.StreamSynchronize, "libcuda.so.1", &e);
    if (!e.empty()) return;
    CUresult r = d.Init(0);
    if (r != 0) {
      e = "cuInit failed: " + result_string(d, r);
      return;
    }
    int count = 0;
    r = d.DeviceGetCount(&count);
    if (r != 0 || count == 0) {
      e = r != 0 ? "cuDeviceGetCount failed: " + result_string(d, r) : "the driver sees no device";
      return;
    }
    CUdevice dev = 0;
    int major = 0, minor = 0;
    if ((r = d.DeviceGet(&dev, 0)) != 0 || (r = d.DevicePrimaryCtxRetain(&d.context, dev)) != 0 ||
        (r = d.DeviceGetAttribute(&major, kAttrComputeCapabilityMajor, dev)) != 0 ||
        (r = d.DeviceGetAttribute(&minor, kAttrComputeCapabilityMinor, dev)) != 0) {
      e = "cannot open device 0: " + result_string(d, r);
      return;
    }
    d.sm_version = major * 10 + minor;
  });
  return d;
}

// The driver with the context current on this thread; ExecutionError when unusable.
Driver& ready_driver() {
  Driver& d = driver();
  if (!d.error.empty()) CINN_THROW(ExecutionError) << "no CUDA device: " << d.error;
  d.CtxSetCurrent(d.context);
  return d;
}

void check(const Driver& d, CUresult r, const char* what) {
  if (r != 0) CINN_THROW(ExecutionError) << "CUDA " << what << " failed: " << result_string(d, r);
}

// Device memory and copies on one stream, created on first use.
class CudaStreamDevice final : public Device {
 public:
  ~CudaStreamDevice() override {
    if (stream_) {
      Driver& d = driver();
      d.CtxSetCurrent(d.context);
      d.StreamDestroy(stream_);
    }
  }
  std::string name() const override { return "cuda"; }
  bool is_host() const override { return false; }
  void* alloc(int64_t bytes) override {
    Driver& d = ready_driver();
    CUdeviceptr p = 0;
    CUresult r = d.MemAlloc(&p, static_cast<size_t>(std::max<int64_t>(bytes, 1)));
    if (r != 0) CINN_THROW(ExecutionError) << "CUDA: cannot allocate " << bytes << " bytes: " << result_string(d, r);
    return reinterpret_cast<void*>(p);
  }
  void free(void* p) override {
    if (!p) return;
    Driver& d = ready_driver();
    d.MemFree(reinterpret_cast<CUdeviceptr>(p));
  }
  void copy(void* dst, const void* src, int64_t bytes, Copy kind) override {
    if (bytes <= 0) return;
    Driver& d = ready_driver();
    auto n = static_cast<size_t>(bytes);
    CUresult r = 0;
    switch (kind) {
      case Copy::kHostToDevice: r = d.MemcpyHtoDAsync(reinterpret_cast<CUdeviceptr>(dst), src, n, stream()); break;
      case Copy::kDeviceToHost: r = d.MemcpyDtoHAsync(dst, reinterpret_cast<CUdeviceptr>(src), n, stream()); break;
      case Copy::kDeviceToDevice:
        r = d.MemcpyDtoDAsync(reinterpret_cast<CUdeviceptr>(dst), reinterpret_cast<CUdeviceptr>(src), n, stream());
        break;
    }
    check(d, r, "copy");
  }
  void synchronize() override {
    Driver& d = ready_driver();
    check(d, d.StreamSynchronize(stream()), "stream synchronize");
  }
  CUstream stream() {
    std::call_once(once_, [this] {
      Driver& d = ready_driver();
      check(d, d.StreamCreate(&stream_, 0), "stream creation");
    });
    return stream_;
  }

 private:
  std::once_flag once_;
  CUstream stream_ = nullptr;
};

class CudaModule final : public KernelModule {
 public:
  CudaModule(ModuleImage image, std::vector<CudaLaunchSpec> kernels)
      : image_(std::move(image)), kernels_(std::move(kernels)) {}
  ~CudaModule() override {
    if (module_) {
      Driver& d = driver();
      d.CtxSetCurrent(d.context);
      d.ModuleUnload(module_);
    }
  }
  Device& device() override { return device_; }
  int find(const std::string& name) const override {
    for (size_t i = 0; i < kernels_.size(); ++i) {
      if (kernels_[i].name == name) return static_cast<int>(i);
    }
    CINN_THROW(ExecutionError) << "CUDA module has no kernel '" << name << "'";
  }
  void launch(int kernel, void* const* args, const int64_t* sizes) override {
    load();
    Driver& d = ready_driver();
    const CudaLaunchSpec& k = kernels_.at(static_cast<size_t>(kernel));
    std::vector<CUdeviceptr> ptrs(static_cast<size_t>(k.num_buffers));
    std::vector<int64_t> size_values(static_cast<size_t>(k.num_sizes));
    std::vector<void*> params;
    for (int i = 0; i < k.num_buffers; ++i) {
      ptrs[i] = reinterpret_cast<CUdeviceptr>(args[i]);
      params.push_back(&ptrs[i]);
    }
    for (int i = 0; i < k.num_sizes; ++i) {
      size_values[i] = sizes[i];
      params.push_back(&size_values[i]);
    }
    auto u = [](int64_t x) { return static_cast<unsigned>(x); };
    for (size_t p = 0; p < k.parts.size(); ++p) {
      const CudaLaunchSpec::Part& part = k.parts[p];
      check(d, d.LaunchKernel(functions_[kernel][p], u(part.grid[0]), u(part.grid[1]), u(part.grid[2]),
                              u(part.block[0]), u(part.block[1]), u(part.block[2]), 0, device_.stream(),
                              params.data(), nullptr),
            ("launch of kernel '" + part.function + "'").c_str());
    }
  }
  ModuleImage image() const override { return image_; }

 private:
  // Loads the CUBIN, or the PTX when the CUBIN is for another architecture.
  void load() {
    std::call_once(loaded_, [this] {
      Driver& d = ready_driver();
      CUresult r = d.ModuleLoadData(&module_, image_.files.at("kernels.cubin").data());
      if (r != 0) {
        std::string ptx = image_.files.at("kernels.ptx");
        CUresult r2 = d.ModuleLoadData(&module_, ptx.c_str());
        if (r2 != 0) {
          CINN_THROW(ExecutionError) << "CUDA: cannot load the kernels on this device (sm_" << d.sm_version
                                     << "): CUBIN: " << result_string(d, r) << "; PTX: " << result_string(d, r2);
        }
      }
      for (const CudaLaunchSpec& k : kernels_) {
        functions_.emplace_back();
        for (const CudaLaunchSpec::Part& part : k.parts) {
          CUfunction f = nullptr;
          check(d, d.ModuleGetFunction(&f, module_, part.function.c_str()),
                ("lookup of kernel '" + part.function + "'").c_str());
          functions_.back().push_back(f);
        }
      }
    });
  }

  ModuleImage image_;
  std::vector<CudaLaunchSpec> kernels_;
  CudaStreamDevice device_;
  std::once_flag loaded_;
  CUmodule module_ = nullptr;
  std::vector<std::vector<CUfunction>> functions_;
};

}  // namespace

ModuleImage cuda_module_image(const std::string& cubin, const std::string& ptx,
                              const std::vector<CudaLaunchSpec>& kernels) {
  ModuleImage im;
  im.format = "cuda-cubin";
  im.files["kernels.cubin"] = cubin;
  im.files["kernels.ptx"] = ptx;
  std::ostringstream os;
  for (const CudaLaunchSpec& k : kernels) {
    os << k.name << " " << k.num_buffers << " " << k.num_sizes << " " << k.parts.size();
    for (const CudaLaunchSpec::Part& p : k.parts) {
      os << " " << p.function << " " << p.grid[0] << " " << p.grid[1] << " " << p.grid[2] << " " << p.block[0]
         << " " << p.block[1] << " " << p.block[2];
    }
    os << "\n";
  }
  im.files["launch.txt"] = os.str();
  return im;
}

std::shared_ptr<KernelModule> load_cuda_module(const ModuleImage& image) {
  for (const char* f : {"kernels.cubin", "kernels.ptx", "launch.txt"}) {
    if (!image.files.count(f)) CINN_THROW(ExecutionError) << "cuda-cubin module: the image lacks " << f;
  }
  std::vector<CudaLaunchSpec> kernels;
  std::istringstream is(image.files.at("launch.txt"));
  for (std::string line; std::getline(is, line);) {
    if (line.empty()) continue;
    std::istringstream ls(line);
    CudaLaunchSpec k;
    size_t parts = 0;
    ls >> k.name >> k.num_buffers >> k.num_sizes >> parts;
    for (size_t p = 0; ls && p < parts && p < 4096; ++p) {
      CudaLaunchSpec::Part part;
      ls >> part.function >> part.grid[0] >> part.grid[1] >> part.grid[2] >> part.block[0] >> part.block[1] >>
          part.block[2];
      k.parts.push_back(part);
    }
    if (!ls || k.name.empty() || k.parts.size() != parts || parts == 0) CINN_THROW(ExecutionError) << "cuda-cubin module: bad launch.txt line '" << line << "'";
    kernels.push_back(k);
  }
  return std::make_shared<CudaModule>(image, std::move(kernels));
}

bool cuda_device_available(std::string* why) {
  const Driver& d = driver();
  if (why) *why = d.error;
  return d.error.empty();
}

int cuda_device_sm_version() {
  const Driver& d = driver();
  return d.error.empty() ? d.sm_version : 0;
}

}  // namespace cinn::runtime
