#include "cinn/backends/c/c_syntax.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <unordered_set>

#include "cinn/common/error.h"

namespace cinn::backends::c {

std::string operand(const CExpr& e, Prec need) {
  if (e.prec >= need) return e.text;
  return "(" + e.text + ")";
}

std::string c_type(Type t) {
  if (t.is_vector()) {
    CINN_THROW(UnsupportedOpError)
        << "C backend: vector type " << t << " (the C backend expects scalar IR)";
  }
  switch (t.code()) {
    case Type::Code::kInt:
    case Type::Code::kUInt:
      if (t.bits() == 8 || t.bits() == 16 || t.bits() == 32 || t.bits() == 64) {
        return std::string(t.is_uint() ? "uint" : "int") + std::to_string(t.bits()) + "_t";
      }
      break;
    case Type::Code::kFloat:
      if (t.bits() == 16 || t.bits() == 32) return "float";
      if (t.bits() == 64) return "double";
      break;
    case Type::Code::kBFloat:
      if (t.bits() == 16) return "float";
      break;
    case Type::Code::kBool:
      return "bool";
    case Type::Code::kHandle:
      return "void*";
    case Type::Code::kVoid:
      return "void";
  }
  CINN_THROW(UnsupportedOpError) << "C backend: type " << t << " is not supported";
}

bool is_half_type(Type t) { return t.is_scalar() && t.is_float() && t.bits() == 16; }

std::string c_storage_type(Type t) {
  if (is_half_type(t)) return t.is_bfloat() ? "cinn_bfloat16" : "cinn_float16";
  return t.is_bool() ? "uint8_t" : c_type(t);
}

std::string type_suffix(Type t) {
  c_type(t);  // rejects what C cannot express
  switch (t.code()) {
    case Type::Code::kInt:
      return "i" + std::to_string(t.bits());
    case Type::Code::kUInt:
      return "u" + std::to_string(t.bits());
    case Type::Code::kFloat:
    case Type::Code::kBFloat:
      return c_type(t) == "float" ? "f32" : "f64";  // half types compute in float
    default:
      break;
  }
  CINN_THROW(InternalError) << "C backend: no helper suffix for type " << t;
}

bool is_promoted_in_c(Type t) { return t.is_integer() && t.bits() < 32; }

std::string c_int_literal(Type t, int64_t v) {
  if (t.is_bool()) return v ? "true" : "false";
  if (t.bits() == 64) {
    if (v == std::numeric_limits<int64_t>::min()) return "INT64_MIN";
    // Small int64 immediates print bare: the other operand makes the arithmetic 64-bit
    // (the printer casts when both operands are bare literals).
    if (v >= std::numeric_limits<int32_t>::min() + 1 && v <= std::numeric_limits<int32_t>::max()) {
      return std::to_string(v);
    }
    return "INT64_C(" + std::to_string(v) + ")";
  }
  if (v == std::numeric_limits<int32_t>::min()) return "INT32_MIN";
  return std::to_string(v);
}

std::string c_uint_literal(Type t, uint64_t v) {
  if (t.bits() == 64) return "UINT64_C(" + std::to_string(v) + ")";
  if (t.bits() == 32) return std::to_string(v) + "u";
  return std::to_string(v);
}

double round_to_half_type(Type t, double v) {
  if (std::isnan(v) || std::isinf(v) || v == 0) return v;
  int e;
  std::frexp(std::fabs(v), &e);  // |v| = m * 2^e, m in [0.5, 1)
  // Significant bits kept: 11 (float16) or 8 (bfloat16), fewer for subnormals.
  int keep = t.is_bfloat() ? std::min(8 - e, 133) : (e >= -13 ? 11 - e : 24);
  double q = std::ldexp(std::nearbyint(std::ldexp(std::fabs(v), keep)), -keep);  // ties to even
  double max = t.is_bfloat() ? 3.3895313892515355e38 : 65504.0;
  if (q > max) q = std::numeric_limits<double>::infinity();
  return std::copysign(q, v);
}

std::string c_float_literal(Type t, double v) {
  if (is_half_type(t)) v = round_to_half_type(t, v);  // exact in float
  bool f32 = c_type(t) == "float";
  if (f32) v = static_cast<float>(v);  // what the float32 immediate holds (may be inf)
  if (std::isnan(v)) return f32 ? "NAN" : "(double)NAN";
  if (std::isinf(v)) {
    std::string s = f32 ? "INFINITY" : "(double)INFINITY";
    return v > 0 ? s : "-" + s;
  }
  // The shortest decimal that reads back as the same value (0.1f, not 0.100000001f).
  char buf[64];
  for (int digits = 1; digits <= 17; ++digits) {
    std::snprintf(buf, sizeof(buf), "%.*g", digits, v);
    double back = std::strtod(buf, nullptr);
    if (f32 ? static_cast<float>(back) == static_cast<float>(v) : back == v) {
      // %g switches to an exponent when it has fewer digits than the integer part (10 ->
      // 1e+01); print moderate magnitudes positionally instead.
      int exponent = static_cast<int>(std::floor(std::log10(std::fabs(v))));
      if (v != 0 && exponent >= digits && exponent < 16) {
        std::snprintf(buf, sizeof(buf), "%.*g", exponent + 1, v);
      }
      break;
    }
  }
  std::string s = buf;
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return f32 ? s + "f" : s;
}

std::string c_string_literal(const std::string& s) {
  std::string out = "\"";
  for (unsigned char ch : s) {
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += static_cast<char>(ch);
    } else if (ch == '\n') {
      out += "\\n";
    } else if (std::isprint(ch)) {
      out += static_cast<char>(ch);
    } else {
      // Octal escapes stop after three digits, so a following digit cannot extend them.
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\%03o", ch);
      out += buf;
    }
  }
  return out + "\"";
}

namespace {

// Names the generated file itself uses or that its headers may define as macros: a local of
// that name would hide them.
const std::unordered_set<std::string>& keywords() {
  static const std::unordered_set<std::string> kNames = {
      // C99 keywords and stdbool.h's macros.
      "auto",     "break",  "case",   "char",     "const",      "continue", "default",  "do",
      "double",   "else",   "enum",   "extern",   "float",      "for",      "goto",     "if",
      "inline",   "int",    "long",   "register", "restrict",   "return",   "short",    "signed",
      "sizeof",   "static", "struct", "switch",   "typedef",    "union",    "unsigned", "void",
      "volatile", "while",  "_Bool",  "_Complex", "_Imaginary", "bool",     "true",     "false"};
  return kNames;
}

const std::unordered_set<std::string>& reserved_names() {
  static const std::unordered_set<std::string> kNames = [] {
    std::unordered_set<std::string> names = {
        "main", "args", "sizes",  // the ABI's parameters
        // stddef.h, stdint.h, stdlib.h.
        "size_t", "NULL", "int8_t", "int16_t", "int32_t", "int64_t", "uint8_t", "uint16_t",
        "uint32_t", "uint64_t", "intptr_t", "uintptr_t", "intmax_t", "uintmax_t", "INT64_C",
        "UINT64_C", "malloc", "calloc", "realloc", "free", "abort", "exit", "atexit", "abs", "labs",
        "llabs", "div", "ldiv", "lldiv", "atoi", "atol", "atoll", "atof", "strtod", "strtof",
        "strtol", "strtoll", "strtoul", "strtoull", "rand", "srand", "qsort", "bsearch", "getenv",
        "system",
        // math.h macros.
        "NAN", "INFINITY", "isnan", "isinf", "isfinite", "isnormal", "signbit", "fpclassify",
        "isgreater", "isgreaterequal", "isless", "islessequal", "islessgreater", "isunordered",
        "float_t", "double_t",
        // The CUDA dialect: its built-in variables and the C++ keywords CUDA C adds.
        "threadIdx", "blockIdx", "blockDim", "gridDim", "warpSize", "alignas", "alignof",
        "and", "and_eq", "asm", "bitand", "bitor", "catch", "char16_t", "char32_t", "class",
        "compl", "concept", "consteval", "constexpr", "constinit", "const_cast", "co_await",
        "co_return", "co_yield", "decltype", "delete", "dynamic_cast", "explicit", "export",
        "friend", "mutable", "namespace", "new", "noexcept", "not", "not_eq", "nullptr",
        "operator", "or", "or_eq", "private", "protected", "public", "reinterpret_cast",
        "requires", "static_assert", "static_cast", "template", "this", "thread_local",
        "throw", "try", "typeid", "typename", "using", "virtual", "wchar_t", "xor", "xor_eq"};
    // math.h functions, each also with the f and l suffixes.
    for (const char* f :
         {"acos",     "asin",   "atan",      "atan2",      "cos",    "sin",       "tan",
          "acosh",    "asinh",  "atanh",     "cosh",       "sinh",   "tanh",      "exp",
          "exp2",     "expm1",  "frexp",     "ilogb",      "ldexp",  "log",       "log10",
          "log1p",    "log2",   "logb",      "modf",       "scalbn", "scalbln",   "cbrt",
          "fabs",     "hypot",  "pow",       "sqrt",       "erf",    "erfc",      "lgamma",
          "tgamma",   "ceil",   "floor",     "nearbyint",  "rint",   "lrint",     "llrint",
          "round",    "lround", "llround",   "trunc",      "fmod",   "remainder", "remquo",
          "copysign", "nan",    "nextafter", "nexttoward", "fdim",   "fmax",      "fmin",
          "fma"}) {
      for (const char* suffix : {"", "f", "l"}) names.insert(std::string(f) + suffix);
    }
    return names;
  }();
  return kNames;
}

}  // namespace

bool is_c_identifier(const std::string& s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  for (unsigned char ch : s) {
    if (!std::isalnum(ch) && ch != '_') return false;
  }
  return !keywords().count(s);
}

bool is_free_c_identifier(const std::string& name) {
  if (!is_c_identifier(name) || reserved_names().count(name)) return false;
  // Reserved to the implementation by the C standard, and the backend's helper prefix.
  if (name[0] == '_' && (name.size() == 1 || name[1] == '_' || std::isupper(name[1]))) {
    return false;
  }
  if (name.rfind("cinn_", 0) == 0 || name == "math_errhandling" || name == "errno") return false;
  // Object-like macros of the included headers: INT64_MAX, FP_NAN, M_PI, HUGE_VALF, ...
  bool upper = std::all_of(name.begin(), name.end(), [](unsigned char ch) {
    return std::isupper(ch) || std::isdigit(ch) || ch == '_';
  });
  if (upper) {
    for (const char* prefix : {"INT", "UINT", "FP_", "M_", "MATH_", "HUGE_", "EXIT_", "RAND_",
                               "SIZE_", "PTRDIFF_", "SIG_ATOMIC_", "WCHAR_", "WINT_", "MB_"}) {
      if (name.rfind(prefix, 0) == 0) return false;
    }
  }
  return true;
}

std::string sanitize_identifier(const std::string& name) {
  std::string s;
  for (unsigned char ch : name) s += (std::isalnum(ch) || ch == '_') ? static_cast<char>(ch) : '_';
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0])) ||
      (s[0] == '_' && !is_free_c_identifier(s)) || s.rfind("cinn_", 0) == 0) {
    s = "v_" + s;
  }
  if (!is_free_c_identifier(s)) s += "_";
  return s;
}

}  // namespace cinn::backends::c
