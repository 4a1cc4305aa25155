#include "cinn/backends/c/c_helpers.h"

#include "cinn/backends/c/c_syntax.h"
#include "cinn/common/error.h"

namespace cinn::backends::c {
namespace {

// Definitions, with $T for the C type, $U for its unsigned twin, $S for the type suffix and
// $F for libm's fmod of the type.

constexpr const char* kFloorDiv =
    R"(// Floor division (the IR's integer /): rounds towards negative infinity, -7 / 2 == -4.
static inline $T cinn_floordiv_$S($T a, $T b) {
  if (b == -1) return ($T)(0 - ($U)a);  // the minimum / -1 wraps instead of trapping
  $T q = a / b;
  return (q * b != a && ((a < 0) != (b < 0))) ? q - 1 : q;
}
)";

constexpr const char* kFloorModInt =
    R"(// Floor modulo (the IR's integer %): the result has the sign of b, -7 % 2 == 1.
static inline $T cinn_floormod_$S($T a, $T b) {
  if (b == -1) return 0;
  $T r = a % b;
  return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}
)";

constexpr const char* kFloorModFloat =
    R"(// Floor modulo (the IR's float %): the result has the sign of b, like Python's %.
static inline $T cinn_floormod_$S($T a, $T b) {
  $T r = $F(a, b);
  return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}
)";

constexpr const char* kMin = "static inline $T cinn_min_$S($T a, $T b) { return a < b ? a : b; }\n";
constexpr const char* kMax = "static inline $T cinn_max_$S($T a, $T b) { return a > b ? a : b; }\n";
constexpr const char* kAbs =
    "static inline $T cinn_abs_$S($T a) { return a < 0 ? ($T)($U)(0u - ($U)a) : a; }\n";

constexpr const char* kMalloc =
    R"(// Heap temporaries. The kernel ABI has no error channel, so running out of memory aborts.
static inline void* cinn_malloc(int64_t count, size_t elem_bytes) {
  void* p = malloc(count > 0 ? (size_t)count * elem_bytes : 1);
  if (p == NULL) abort();
  return p;
}
)";

std::string instantiate(const std::string& text, Type t) {
  std::string ct = c_type(t);
  std::string ut = t.is_float() ? ct : c_type(common::UInt(t.bits()));
  std::string fmod = t.bits() == 32 ? "fmodf" : "fmod";
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    char k = i + 1 < text.size() ? text[i + 1] : '\0';
    if (text[i] == '$' && (k == 'T' || k == 'U' || k == 'S' || k == 'F')) {
      out += k == 'T' ? ct : k == 'U' ? ut : k == 'S' ? type_suffix(t) : fmod;
      ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

// Integer helpers exist for the signed (`signed_only`) or all integer types of at least
// `min_bits` bits.
void check_int(Type t, const char* what, bool signed_only, int min_bits) {
  if (!t.is_integer() || t.is_vector() || t.bits() < min_bits || (signed_only && !t.is_int())) {
    CINN_THROW(InternalError) << "C backend: no " << what << " helper for " << t;
  }
}

}  // namespace

std::string Helpers::add(const char* name, const char* definition, Type t) {
  std::string n = instantiate(name, t);
  defs_.emplace(n, instantiate(definition, t));
  return n;
}

std::string Helpers::floordiv(Type t) {
  check_int(t, "floordiv", true, 32);
  return add("cinn_floordiv_$S", kFloorDiv, t);
}

std::string Helpers::floormod(Type t) {
  if (t.is_float()) return add("cinn_floormod_$S", kFloorModFloat, t);
  check_int(t, "floormod", true, 32);
  return add("cinn_floormod_$S", kFloorModInt, t);
}

std::string Helpers::min(Type t) {
  check_int(t, "min", false, 8);
  return add("cinn_min_$S", kMin, t);
}

std::string Helpers::max(Type t) {
  check_int(t, "max", false, 8);
  return add("cinn_max_$S", kMax, t);
}

std::string Helpers::abs(Type t) {
  check_int(t, "abs", true, 8);
  return add("cinn_abs_$S", kAbs, t);
}

std::string Helpers::malloc() {
  defs_.emplace("cinn_malloc", kMalloc);
  return "cinn_malloc";
}

std::string Helpers::block_reduce(ir::NodeKind combiner, Type t) {
  bool f = t.is_float();
  std::string ct = c_type(t), kind, op, identity;
  switch (combiner) {
    case ir::NodeKind::kAdd: kind = "add"; op = "a + b"; identity = f ? "0.0" : "0"; break;
    case ir::NodeKind::kMul: kind = "mul"; op = "a * b"; identity = f ? "1.0" : "1"; break;
    case ir::NodeKind::kMax:
      kind = "max";
      op = f ? (t.bits() == 32 ? "fmaxf(a, b)" : "fmax(a, b)") : "a > b ? a : b";
      identity = f ? "-INFINITY" : "INT" + std::to_string(t.bits()) + "_MIN";
      break;
    case ir::NodeKind::kMin:
      kind = "min";
      op = f ? (t.bits() == 32 ? "fminf(a, b)" : "fmin(a, b)") : "a < b ? a : b";
      identity = f ? "INFINITY" : "INT" + std::to_string(t.bits()) + "_MAX";
      break;
    default: CINN_THROW(InternalError) << "C backend: no block reduction for combiner " << int(combiner);
  }
  std::string name = "cinn_block_reduce_" + kind + "_" + type_suffix(t);
  std::string combine = "cinn_block_combine_" + kind + "_" + type_suffix(t);
  std::string def =
      "static inline " + ct + " " + combine + "(" + ct + " a, " + ct + " b) { return " + op + "; }\n" +
      "// Block-wide " + kind + " of a " + ct + ": every thread of the block (a multiple of 32 threads\n"
      "// along x) calls it and gets the result.\n"
      "static inline " + ct + " " + name + "(" + ct + " v) {\n"
      "  __shared__ " + ct + " partial[32];\n"
      "  for (int o = 16; o > 0; o /= 2) v = " + combine + "(v, __shfl_xor_sync(0xffffffffu, v, o));\n"
      "  const unsigned lane = threadIdx.x % 32u, warps = (blockDim.x + 31u) / 32u;\n"
      "  __syncthreads();  // earlier calls have read `partial`\n"
      "  if (lane == 0u) partial[threadIdx.x / 32u] = v;\n"
      "  __syncthreads();\n"
      "  v = lane < warps ? partial[lane] : (" + ct + ")(" + identity + ");\n"
      "  for (int o = 16; o > 0; o /= 2) v = " + combine + "(v, __shfl_xor_sync(0xffffffffu, v, o));\n"
      "  return v;\n"
      "}\n";
  defs_.emplace(name, def);
  return name;
}

std::string Helpers::definitions(bool device) const {
  std::string out;
  for (const auto& [name, def] : defs_) {
    if (!out.empty()) out += "\n";
    // Helpers are "static inline" functions; CUDA needs them on the device.
    static const std::string kHost = "static inline ", kDevice = "static __device__ __forceinline__ ";
    std::string d = def;
    for (size_t at = d.find(kHost); device && at != std::string::npos; at = d.find(kHost, at + kDevice.size())) {
      d.replace(at, kHost.size(), kDevice);
    }
    out += d;
  }
  return out;
}

}  // namespace cinn::backends::c
