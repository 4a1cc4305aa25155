#include "cinn/backends/c/c_helpers.h"

#include "cinn/backends/c/c_syntax.h"
#include "cinn/common/error.h"

namespace cinn::backends::c {
namespace {

// Replaces every "$T" (the C type), "$U" (its unsigned twin) and "$S" (the suffix).
std::string instantiate(std::string text, Type t) {
  std::string ct = c_type(t);
  std::string ut = t.is_float() ? ct : c_type(common::UInt(t.bits()));
  std::string suffix = type_suffix(t);
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '$' && i + 1 < text.size()) {
      char k = text[i + 1];
      if (k == 'T' || k == 'U' || k == 'S') {
        out += k == 'T' ? ct : k == 'U' ? ut : suffix;
        ++i;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

void check_int(Type t, const char* what, bool allow_narrow) {
  if (!t.is_integer() || t.is_vector() || (!allow_narrow && t.bits() < 32)) {
    CINN_THROW(InternalError) << "C backend: no " << what << " helper for " << t;
  }
}

}  // namespace

std::string Helpers::add(const std::string& name, const std::string& definition) {
  defs_.emplace(name, definition);
  return name;
}

std::string Helpers::floordiv(Type t) {
  check_int(t, "floordiv", false);
  if (!t.is_int()) CINN_THROW(InternalError) << "C backend: floordiv helper on " << t;
  return add(instantiate("cinn_floordiv_$S", t), instantiate(R"(// Floor division (the IR's integer /): rounds towards negative infinity, -7 / 2 == -4.
static inline $T cinn_floordiv_$S($T a, $T b) {
  if (b == -1) return ($T)(0 - ($U)a);  // the minimum / -1 wraps instead of trapping
  $T q = a / b;
  return (q * b != a && ((a < 0) != (b < 0))) ? q - 1 : q;
}
)", t));
}

std::string Helpers::floormod(Type t) {
  if (t.is_float()) {
    c_type(t);
    const char* fmod = t.bits() == 32 ? "fmodf" : "fmod";
    return add(instantiate("cinn_floormod_$S", t),
               instantiate(R"(// Floor modulo (the IR's float %): the result has the sign of b, like Python's %.
static inline $T cinn_floormod_$S($T a, $T b) {
  $T r = )", t) + fmod + R"((a, b);
  return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}
)");
  }
  check_int(t, "floormod", false);
  if (!t.is_int()) CINN_THROW(InternalError) << "C backend: floormod helper on " << t;
  return add(instantiate("cinn_floormod_$S", t), instantiate(R"(// Floor modulo (the IR's integer %): the result has the sign of b, -7 % 2 == 1.
static inline $T cinn_floormod_$S($T a, $T b) {
  if (b == -1) return 0;
  $T r = a % b;
  return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}
)", t));
}

std::string Helpers::min(Type t) {
  check_int(t, "min", true);
  return add(instantiate("cinn_min_$S", t),
             instantiate("static inline $T cinn_min_$S($T a, $T b) { return a < b ? a : b; }\n", t));
}

std::string Helpers::max(Type t) {
  check_int(t, "max", true);
  return add(instantiate("cinn_max_$S", t),
             instantiate("static inline $T cinn_max_$S($T a, $T b) { return a > b ? a : b; }\n", t));
}

std::string Helpers::abs(Type t) {
  check_int(t, "abs", true);
  if (!t.is_int()) CINN_THROW(InternalError) << "C backend: abs helper on " << t;
  return add(instantiate("cinn_abs_$S", t),
             instantiate("static inline $T cinn_abs_$S($T a) { return a < 0 ? ($T)($U)(0u - ($U)a) : a; }\n",
                         t));
}

std::string Helpers::malloc() {
  return add("cinn_malloc", R"(// Heap temporaries. The kernel ABI has no error channel, so running out of memory aborts.
static inline void* cinn_malloc(int64_t count, size_t elem_bytes) {
  void* p = malloc(count > 0 ? (size_t)count * elem_bytes : 1);
  if (p == NULL) abort();
  return p;
}
)");
}

std::string Helpers::definitions() const {
  std::string out;
  for (const auto& [name, def] : defs_) {
    if (!out.empty()) out += "\n";
    out += def;
  }
  return out;
}

void Helpers::merge(const Helpers& other) {
  for (const auto& kv : other.defs_) defs_.insert(kv);
}

}  // namespace cinn::backends::c
