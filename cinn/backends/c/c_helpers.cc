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
  if (b == 0) return 0;                 // numpy's result; C's a / 0 traps on x86
  if (b == -1) return ($T)(0 - ($U)a);  // the minimum / -1 wraps instead of trapping
  $T q = a / b;
  return (q * b != a && ((a < 0) != (b < 0))) ? q - 1 : q;
}
)";

constexpr const char* kFloorModInt =
    R"(// Floor modulo (the IR's integer %): the result has the sign of b, -7 % 2 == 1.
static inline $T cinn_floormod_$S($T a, $T b) {
  if (b == 0 || b == -1) return 0;
  $T r = a % b;
  return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}
)";

constexpr const char* kUDiv =
    "static inline $T cinn_udiv_$S($T a, $T b) { return b ? a / b : 0; }  // a / 0 traps on x86\n";
constexpr const char* kUMod = "static inline $T cinn_umod_$S($T a, $T b) { return b ? a % b : 0; }\n";

constexpr const char* kFloorModFloat =
    R"(// Floor modulo (the IR's float %): the result has the sign of b, like Python's %.
static inline $T cinn_floormod_$S($T a, $T b) {
  $T r = $F(a, b);
  return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}
)";

// Float min / max propagate NaN (a NaN operand is the result), unlike C's fmin / fmax.
constexpr const char* kMin = "static inline $T cinn_min_$S($T a, $T b) { return a < b ? a : b; }\n";
constexpr const char* kMax = "static inline $T cinn_max_$S($T a, $T b) { return a > b ? a : b; }\n";
constexpr const char* kFloatMin =
    "static inline $T cinn_min_$S($T a, $T b) { return a != a ? a : a < b ? a : b; }  // NaN wins\n";
constexpr const char* kFloatMax =
    "static inline $T cinn_max_$S($T a, $T b) { return a != a ? a : a > b ? a : b; }  // NaN wins\n";
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

// float16: IEEE binary16 in 16 bits; conversions round to nearest, ties to even, like
// CUDA's cvt.rn (used on the device) and numpy's astype.
constexpr const char* kFloat16 =
    R"(// float16 values are floats, rounded to binary16 after every operation; memory holds the bits.
typedef struct { uint16_t bits; } cinn_float16;
static inline float cinn_float16_to_float(cinn_float16 h) {
#ifdef __CUDA_ARCH__
  float f;
  asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h.bits));
  return f;
#else
  uint32_t e = (h.bits >> 10) & 0x1fu, m = h.bits & 0x3ffu;
  if (e == 0u) {  // zero or subnormal: m * 2^-24, exact in float
    float f = (float)m * 5.9604644775390625e-8f;
    return (h.bits & 0x8000u) ? -f : f;
  }
  union { uint32_t u; float f; } v;
  v.u = ((uint32_t)(h.bits & 0x8000u) << 16) | (e == 0x1fu ? 0x7f800000u : (e + 112u) << 23) | (m << 13);
  return v.f;
#endif
}
static inline cinn_float16 cinn_float_to_float16(float f) {
  cinn_float16 h;
#ifdef __CUDA_ARCH__
  asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h.bits) : "f"(f));
#else
  union { float f; uint32_t u; } v;
  v.f = f;
  uint32_t a = v.u & 0x7fffffffu, q, rest, half;
  if (a > 0x7f800000u) {  // nan: quiet, the payload's top bits kept
    q = 0x7e00u | ((a >> 13) & 0x3ffu);
  } else if (a >= 0x477ff000u) {  // 65520 and above (inf too) round to inf
    q = 0x7c00u;
  } else if (a >= 0x38800000u) {  // normal: the exponent rebiased, 13 bits rounded off
    q = (a - 0x38000000u) >> 13;
    rest = a & 0x1fffu;
    q += (rest > 0x1000u || (rest == 0x1000u && (q & 1u))) ? 1u : 0u;
  } else if (a > 0x33000000u) {  // subnormal result: the significand shifted by 14..24 bits
    uint32_t shift = 126u - (a >> 23), sig = (a & 0x7fffffu) | 0x800000u;
    q = sig >> shift;
    rest = sig & ((1u << shift) - 1u);
    half = 1u << (shift - 1u);
    q += (rest > half || (rest == half && (q & 1u))) ? 1u : 0u;
  } else {  // 2^-25 and below round to zero
    q = 0u;
  }
  h.bits = (uint16_t)(((v.u >> 16) & 0x8000u) | q);
#endif
  return h;
}
static inline float cinn_round_float16(float f) { return cinn_float16_to_float(cinn_float_to_float16(f)); }
)";

constexpr const char* kOddFloat =
    R"(// x as a float rounded to odd: an inexact result is the odd one of x's two neighbours. One
// more rounding to a narrower type (float16, bfloat16) then gives x correctly rounded.
static inline float cinn_odd_float(double x) {
  float f = (float)x;
  if ((double)f != x && x == x) {
    union { float f; uint32_t u; } v;
    v.f = f;
    if (!(v.u & 1u)) v.u = ((x > 0) == ((double)f < x)) ? v.u + 1u : v.u - 1u;  /* towards x */
    f = v.f;
  }
  return f;
}
)";

// bfloat16: the top 16 bits of a float32, rounded to nearest, ties to even.
constexpr const char* kBFloat16 =
    R"(// bfloat16 values are floats, rounded to bfloat16 after every operation; memory holds the bits.
typedef struct { uint16_t bits; } cinn_bfloat16;
static inline float cinn_bfloat16_to_float(cinn_bfloat16 h) {
  union { uint32_t u; float f; } v;
  v.u = (uint32_t)h.bits << 16;
  return v.f;
}
static inline cinn_bfloat16 cinn_float_to_bfloat16(float f) {
  cinn_bfloat16 h;
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  asm("cvt.rn.bf16.f32 %0, %1;" : "=h"(h.bits) : "f"(f));
#else
  union { float f; uint32_t u; } v;
  v.f = f;
  if ((v.u & 0x7fffffffu) > 0x7f800000u) {
    h.bits = (uint16_t)((v.u >> 16) | 0x40u);  // nan stays a quiet nan
  } else {
    h.bits = (uint16_t)((v.u + 0x7fffu + ((v.u >> 16) & 1u)) >> 16);
  }
#endif
  return h;
}
static inline float cinn_round_bfloat16(float f) { return cinn_bfloat16_to_float(cinn_float_to_bfloat16(f)); }
)";

std::string instantiate(const std::string& text, Type t) {
  std::string ct = c_type(t);
  std::string ut = t.is_float() ? ct : c_type(common::UInt(t.bits()));
  std::string fmod = ct == "float" ? "fmodf" : "fmod";
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

// float or double.
bool is_c_float(Type t) { return t.is_float() && t.is_scalar() && (t.bits() == 32 || t.bits() == 64); }

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

std::string Helpers::udiv(Type t) {
  check_int(t, "udiv", false, 32);
  return add("cinn_udiv_$S", kUDiv, t);
}

std::string Helpers::umod(Type t) {
  check_int(t, "umod", false, 32);
  return add("cinn_umod_$S", kUMod, t);
}

std::string Helpers::floormod(Type t) {
  if (t.is_float()) return add("cinn_floormod_$S", kFloorModFloat, t);
  check_int(t, "floormod", true, 32);
  return add("cinn_floormod_$S", kFloorModInt, t);
}

std::string Helpers::min(Type t) {
  if (is_c_float(t)) return add("cinn_min_$S", kFloatMin, t);
  check_int(t, "min", false, 8);
  return add("cinn_min_$S", kMin, t);
}

std::string Helpers::max(Type t) {
  if (is_c_float(t)) return add("cinn_max_$S", kFloatMax, t);
  check_int(t, "max", false, 8);
  return add("cinn_max_$S", kMax, t);
}

std::string Helpers::abs(Type t) {
  check_int(t, "abs", true, 8);
  return add("cinn_abs_$S", kAbs, t);
}

std::string Helpers::half(Type t) {
  if (!is_half_type(t)) CINN_THROW(InternalError) << "C backend: " << t << " is not float16 or bfloat16";
  defs_.emplace(c_storage_type(t), t.is_bfloat() ? kBFloat16 : kFloat16);
  return c_storage_type(t);
}

std::string Helpers::odd_float() {
  defs_.emplace("cinn_odd_float", kOddFloat);
  return "cinn_odd_float";
}

std::string Helpers::to_float(Type t) { return half(t) + "_to_float"; }
std::string Helpers::from_float(Type t) { return "cinn_float_to_" + half(t).substr(5); }
std::string Helpers::round(Type t) { return "cinn_round_" + half(t).substr(5); }

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
      op = f ? "a != a ? a : a > b ? a : b" : "a > b ? a : b";  // NaN wins
      identity = f ? "-INFINITY" : "INT" + std::to_string(t.bits()) + "_MIN";
      break;
    case ir::NodeKind::kMin:
      kind = "min";
      op = f ? "a != a ? a : a < b ? a : b" : "a < b ? a : b";  // NaN wins
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
