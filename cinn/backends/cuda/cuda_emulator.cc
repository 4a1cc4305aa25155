// The `cuda_emulator` backend: the CUDA backend's schedules and CUDA C, compiled for the
// host and run on the CPU (runtime/cuda_emulator.h). It checks the numerics of GPU
// schedules -- thread bindings, shared memory, barriers, warp shuffles -- on machines
// without a GPU. Select it with a CUDA target whose backend is "cuda_emulator":
//
//   Target t = Target::cuda();  t.backend = "cuda_emulator";
//
// The generated CUDA C is exactly what the `cuda` backend hands to NVRTC; a prologue maps
// CUDA's built-ins onto the emulator runtime, and the host C++ compiler builds it together
// with one entry point per function, `void f(void** args, const int64_t* sizes)`, that
// launches f's kernels in order. The module is an ordinary "host-so" image, so emulated
// executables save, load and run like x86 ones. Emulation is slow (a fiber per GPU thread
// where the kernel has barriers) and meant for tests.
#include <sstream>

#include "cinn/backends/backends_builtin.h"
#include "cinn/backends/c/c_intrinsics.h"
#include "cinn/backends/cuda/codegen_cuda.h"
#include "cinn/backends/host_cc.h"

namespace cinn::backends {
namespace {

// Maps CUDA C onto the host compiler and the emulator runtime. The generated code defines
// the fixed-width integer types (in namespace cinn_emu, apart from the host's) and
// INFINITY/NAN itself.
const char* kPrologue = R"(// CUDA C compiled for the host by CINN's CUDA emulator backend.
extern "C" {
struct cinn_emu_dim3 { unsigned x, y, z; };
typedef void (*cinn_emu_kernel_t)(void* const* args, const long long* sizes);
void cinn_emu_launch_kernel(cinn_emu_kernel_t kernel, void* const* args, int nargs, const long long* sizes,
                            const long long* grid, const long long* block, int barriers);
const cinn_emu_dim3* cinn_emu_thread_idx(void);
const cinn_emu_dim3* cinn_emu_block_idx(void);
const cinn_emu_dim3* cinn_emu_block_dim(void);
const cinn_emu_dim3* cinn_emu_grid_dim(void);
void cinn_emu_syncthreads(void);
void cinn_emu_warp_shuffle(void* value, int bytes, int kind, int arg, int width);
void cinn_emu_move_vector(void* dst, const void* src, int bytes);
}
#define __global__
#define __device__
#define __forceinline__ inline
#define __launch_bounds__(n)
#define __shared__ static
#define __align__(n) __attribute__((aligned(n)))
// The vector types of vectorized copies (`*(uint4*)dst = *(const uint4*)src`). Without
// CUDA's alignment, so the access itself never faults here: the assignment checks the
// alignment a GPU needs (cinn_emu_move_vector; the runtime allows for host arrays that start
// misaligned) and copies.
template <int N> struct cinn_emu_vector {
  unsigned v[N];
  cinn_emu_vector& operator=(const cinn_emu_vector& o) {
    cinn_emu_move_vector(this, &o, (int)sizeof(cinn_emu_vector));
    return *this;
  }
};
typedef cinn_emu_vector<1> uint1;
typedef cinn_emu_vector<2> uint2;
typedef cinn_emu_vector<4> uint4;
#define __restrict__ __restrict
#define threadIdx (*cinn_emu_thread_idx())
#define blockIdx (*cinn_emu_block_idx())
#define blockDim (*cinn_emu_block_dim())
#define gridDim (*cinn_emu_grid_dim())
#define __syncthreads() cinn_emu_syncthreads()
static inline float __int_as_float(int i) { float f; __builtin_memcpy(&f, &i, 4); return f; }
static inline int __float_as_int(float f) { int i; __builtin_memcpy(&i, &f, 4); return i; }
template <class T> static inline T cinn_emu_shfl(T v, int kind, int arg, int width) {
  cinn_emu_warp_shuffle(&v, (int)sizeof(T), kind, arg, width);
  return v;
}
template <class T> static inline T __shfl_sync(unsigned, T v, int lane, int width = 32) { return cinn_emu_shfl(v, 0, lane, width); }
template <class T> static inline T __shfl_up_sync(unsigned, T v, int d, int width = 32) { return cinn_emu_shfl(v, 1, d, width); }
template <class T> static inline T __shfl_down_sync(unsigned, T v, int d, int width = 32) { return cinn_emu_shfl(v, 2, d, width); }
template <class T> static inline T __shfl_xor_sync(unsigned, T v, int m, int width = 32) { return cinn_emu_shfl(v, 3, m, width); }
// A buffer argument: converts to the kernel parameter's pointer type.
struct cinn_emu_arg {
  void* p;
  template <class T> operator T*() const { return static_cast<T*>(p); }
};
)";

// Declarations of the math functions the printer calls: cheaper to compile than <math.h>,
// and free of the host's integer typedefs.
std::string math_declarations() {
  std::ostringstream os;
  os << "extern \"C\" {\n";
  for (const c::CMathFunction& f : c::c_math_functions()) {
    if (f.predicate) continue;
    for (const char* t : {"double", "float"}) {
      bool f32 = std::string(t) == "float";
      os << t << " " << f.name << (f32 ? "f" : "") << "(";
      for (int i = 0; i < f.arity; ++i) os << (i ? ", " : "") << t;
      os << ") noexcept;\n";
    }
  }
  os << "}\n";
  for (const c::CMathFunction& f : c::c_math_functions()) {
    if (!f.predicate) continue;
    for (const char* t : {"double", "float"}) {
      os << "static inline bool " << f.name << "(" << t << " x) { return __builtin_" << f.name << "(x); }\n";
    }
  }
  return os.str();
}

std::string emulation_source(const ir::Module& module, const cuda::CudaModule& cm) {
  std::ostringstream os;
  // The namespace keeps the CUDA prologue's integer typedefs apart from the host's.
  os << kPrologue << math_declarations() << "\nnamespace cinn_emu {\n" << cm.source << "}  // namespace cinn_emu\n"
     << "\n// Host entry points: each launches its function's kernels in order.\n";
  for (const cuda::CudaKernel& k : cm.kernels) {
    const ir::LoweredFunc& f = module.functions[static_cast<size_t>(k.function)];
    os << "static void cinn_emu_thread_" << k.name << "(void* const* args, const long long* sizes) {\n  cinn_emu::"
       << k.name << "(";
    size_t params = 0;
    for (size_t i = 0; i < f.args().size(); ++i) os << (params++ ? ", " : "") << "cinn_emu_arg{args[" << i << "]}";
    for (size_t i = 0; i < f.size_vars().size(); ++i) os << (params++ ? ", " : "") << "sizes[" << i << "]";
    os << ");\n  (void)args;\n  (void)sizes;\n}\n";
  }
  for (size_t fi = 0; fi < module.functions.size(); ++fi) {
    os << "extern \"C\" void " << module.functions[fi].name() << "(void** args, const long long* sizes) {\n";
    for (const cuda::CudaKernel& k : cm.kernels) {
      if (static_cast<size_t>(k.function) != fi) continue;
      os << "  {\n    const long long grid[3] = {" << k.dims.grid[0] << ", " << k.dims.grid[1] << ", "
         << k.dims.grid[2] << "}, block[3] = {" << k.dims.block[0] << ", " << k.dims.block[1] << ", "
         << k.dims.block[2] << "};\n    cinn_emu_launch_kernel(cinn_emu_thread_" << k.name
         << ", args, " << module.functions[fi].args().size() << ", sizes, grid, block, " << (k.barriers ? 1 : 0) << ");  // fibers where it synchronizes\n  }\n";
    }
    os << "}\n";
  }
  return os.str();
}

class CudaEmulatorBackend final : public CudaScheduling {
 public:
  std::string name() const override { return "cuda_emulator"; }

  CompiledModule compile(const ir::Module& module, const CodegenOptions& options) const override {
    // Kernels get a prefix so that a function of one kernel keeps its name for the entry.
    cuda::CudaModule cm = cuda::generate_cuda(module, "emulated_");
    std::string tu = emulation_source(module, cm);
    std::string opt = options.opt_level > 0 ? "-O1" : "-O0";
    std::string library = link_host_library({{"kernels.cc", tu}}, {opt, "-fPIC", "-fwrapv", "-fno-strict-aliasing", "-w"});
    std::vector<std::string> names;
    for (const ir::LoweredFunc& f : module.functions) names.push_back(f.name());
    CompiledModule out;
    out.source = cm.source;
    out.module = runtime::load_module(runtime::host_so_image(library, names));
    return out;
  }

};

}  // namespace

std::shared_ptr<const Backend> make_cuda_emulator_backend() { return std::make_shared<CudaEmulatorBackend>(); }

}  // namespace cinn::backends
