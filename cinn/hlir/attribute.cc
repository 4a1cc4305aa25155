#include "cinn/hlir/attribute.h"

#include <cstring>
#include <functional>
#include <sstream>

namespace cinn::hlir {

const char* attr_kind_name(AttrKind k) {
  switch (k) {
    case AttrKind::kBool: return "bool";
    case AttrKind::kInt: return "int";
    case AttrKind::kFloat: return "float";
    case AttrKind::kString: return "str";
    case AttrKind::kInts: return "list[int]";
    case AttrKind::kFloats: return "list[float]";
    case AttrKind::kDType: return "dtype";
    case AttrKind::kData: return "tensor";
  }
  return "?";
}

namespace {
template <typename T>
void print_list(std::ostream& os, const std::vector<T>& v) {
  os << "[";
  for (size_t i = 0; i < v.size(); ++i) os << (i ? ", " : "") << v[i];
  os << "]";
}
}  // namespace

std::string attr_to_string(const Attr& a) {
  std::ostringstream os;
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool>) {
          os << (v ? "true" : "false");
        } else if constexpr (std::is_same_v<T, std::string>) {
          os << '"' << v << '"';
        } else if constexpr (std::is_same_v<T, std::vector<int64_t>> ||
                             std::is_same_v<T, std::vector<double>>) {
          print_list(os, v);
        } else if constexpr (std::is_same_v<T, ConstDataPtr>) {
          os << "tensor<" << v->dtype << ", ";
          print_list(os, v->shape);
          os << ">";
        } else {
          os << v;
        }
      },
      a);
  return os.str();
}

bool attr_equal(const Attr& a, const Attr& b) {
  if (a.index() != b.index()) return false;
  if (const auto* da = std::get_if<ConstDataPtr>(&a)) {
    const auto& db = std::get<ConstDataPtr>(b);
    return da->get() == db.get() || ((*da)->dtype == db->dtype && (*da)->shape == db->shape &&
                                     (*da)->bytes == db->bytes);
  }
  return a == b;
}

size_t attr_hash(const Attr& a) {
  size_t h = a.index() * 0x9e3779b97f4a7c15ull;
  auto mix = [&](size_t v) { h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2); };
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::vector<int64_t>>) {
          for (auto x : v) mix(std::hash<int64_t>()(x));
        } else if constexpr (std::is_same_v<T, std::vector<double>>) {
          for (auto x : v) mix(std::hash<double>()(x));
        } else if constexpr (std::is_same_v<T, ConstDataPtr>) {
          mix(std::hash<common::Type>()(v->dtype));
          for (auto x : v->shape) mix(std::hash<int64_t>()(x));
          mix(std::hash<std::string_view>()(std::string_view(
              reinterpret_cast<const char*>(v->bytes.data()), v->bytes.size())));
        } else {
          mix(std::hash<T>()(v));
        }
      },
      a);
  return h;
}

}  // namespace cinn::hlir
