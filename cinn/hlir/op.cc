#include "cinn/hlir/op.h"

#include <algorithm>

namespace cinn::hlir {

const char* op_pattern_name(OpPattern p) {
  switch (p) {
    case OpPattern::kElementWise: return "ElementWise";
    case OpPattern::kBroadcast: return "Broadcast";
    case OpPattern::kInjective: return "Injective";
    case OpPattern::kReduction: return "Reduction";
    case OpPattern::kOutFusible: return "OutFusible";
    case OpPattern::kOpaque: return "Opaque";
  }
  return "?";
}

int64_t normalize_axis(const std::string& op, int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= std::max<int64_t>(rank, 1)) {
    CINN_THROW(ShapeError) << "op '" << op << "': axis " << axis << " is out of range for rank "
                           << rank;
  }
  return axis < 0 ? axis + rank : axis;
}

int64_t OpCall::normalize_axis(int64_t axis, int64_t rank) const {
  return hlir::normalize_axis(op.name, axis, rank);
}

std::vector<int64_t> normalize_axes(const std::string& op, const std::vector<int64_t>& axes,
                                    int64_t rank) {
  std::vector<int64_t> out;
  if (axes.empty()) {
    for (int64_t i = 0; i < rank; ++i) out.push_back(i);
    return out;
  }
  for (auto a : axes) out.push_back(normalize_axis(op, a, rank));
  std::sort(out.begin(), out.end());
  if (std::adjacent_find(out.begin(), out.end()) != out.end()) {
    CINN_THROW(ShapeError) << "op '" << op << "': repeated axis in the axis list "
                           << attr_to_string(Attr(axes));
  }
  return out;
}

const AttrSpec* OpInfo::find_attr(const std::string& n) const {
  for (const auto& a : attr_specs) {
    if (a.name == n) return &a;
  }
  return nullptr;
}

OpInfo& OpInfo::inputs(std::vector<std::string> names) {
  input_specs.clear();
  for (auto& n : names) {
    InputSpec s;
    if (n.size() > 3 && n.compare(n.size() - 3, 3, "...") == 0) {
      s.variadic = true;
      n.resize(n.size() - 3);
    } else if (n.size() > 1 && n.back() == '?') {
      s.optional = true;
      n.pop_back();
    }
    CINN_CHECK(!s.variadic || input_specs.empty() || !input_specs.back().optional)
        << "op '" << name << "': a variadic input cannot follow an optional one";
    CINN_CHECK(s.optional || s.variadic || input_specs.empty() || !input_specs.back().optional)
        << "op '" << name << "': input '" << n << "' follows an optional input";
    CINN_CHECK(input_specs.empty() || !input_specs.back().variadic)
        << "op '" << name << "': only the last input can be variadic";
    s.name = n;
    input_specs.push_back(s);
  }
  return *this;
}

size_t OpInfo::num_required_inputs() const {
  size_t n = 0;
  for (const auto& s : input_specs) n += s.optional ? 0 : 1;
  return n;
}

OpInfo& OpInfo::attr(const std::string& n, Attr default_value, std::string d) {
  AttrSpec s;
  s.name = n;
  s.kind = attr_kind(default_value);
  s.default_value = std::move(default_value);
  s.doc = std::move(d);
  attr_specs.push_back(std::move(s));
  return *this;
}

OpInfo& OpInfo::required_attr(const std::string& n, AttrKind kind, std::string d) {
  AttrSpec s;
  s.name = n;
  s.kind = kind;
  s.doc = std::move(d);
  attr_specs.push_back(std::move(s));
  return *this;
}

namespace {
// Accepts the natural conversions a Python caller makes: int for float, int list for a
// float list, an empty float list for an int list, bool for int.
std::optional<Attr> convert_attr(const Attr& a, AttrKind want) {
  AttrKind have = attr_kind(a);
  if (have == want) return a;
  if (want == AttrKind::kFloat && have == AttrKind::kInt) {
    return Attr(static_cast<double>(std::get<int64_t>(a)));
  }
  if (want == AttrKind::kInt && have == AttrKind::kBool) {
    return Attr(static_cast<int64_t>(std::get<bool>(a)));
  }
  if (want == AttrKind::kFloats && have == AttrKind::kInts) {
    const auto& v = std::get<std::vector<int64_t>>(a);
    return Attr(std::vector<double>(v.begin(), v.end()));
  }
  if (want == AttrKind::kInts && have == AttrKind::kFloats &&
      std::get<std::vector<double>>(a).empty()) {
    return Attr(std::vector<int64_t>{});
  }
  if (want == AttrKind::kInts && have == AttrKind::kInt) {
    return Attr(std::vector<int64_t>{std::get<int64_t>(a)});
  }
  return std::nullopt;
}
}  // namespace

AttrMap OpInfo::validate(size_t num_inputs, const AttrMap& attrs) const {
  bool variadic = !input_specs.empty() && input_specs.back().variadic;
  size_t required = num_required_inputs();
  size_t most = input_specs.size();
  if (num_inputs < required || (!variadic && num_inputs > most)) {
    std::string names;
    for (const auto& s : input_specs) {
      names += (names.empty() ? "" : ", ") + s.name + (s.variadic ? "..." : "") +
               (s.optional ? "?" : "");
    }
    CINN_THROW(Error) << "op '" << name << "' takes "
                      << (variadic ? "at least " + std::to_string(required)
                          : required == most
                              ? std::to_string(required)
                              : std::to_string(required) + " to " + std::to_string(most))
                      << " input(s) (" << names << "), got " << num_inputs;
  }
  AttrMap out;
  for (const auto& [k, v] : attrs) {
    const AttrSpec* s = find_attr(k);
    if (!s) {
      std::string known;
      for (const auto& a : attr_specs) known += (known.empty() ? "" : ", ") + a.name;
      CINN_THROW(Error) << "op '" << name << "': unknown attribute '" << k << "'"
                        << (known.empty() ? std::string("; it takes none")
                                          : "; it takes: " + known);
    }
    auto c = convert_attr(v, s->kind);
    if (!c) {
      CINN_THROW(Error) << "op '" << name << "': attribute '" << k << "' expects "
                        << attr_kind_name(s->kind) << ", got " << attr_kind_name(attr_kind(v))
                        << " " << attr_to_string(v);
    }
    out[k] = std::move(*c);
  }
  for (const auto& s : attr_specs) {
    if (out.count(s.name)) continue;
    if (!s.default_value) {
      CINN_THROW(Error) << "op '" << name << "': missing required attribute '" << s.name
                        << "' (" << attr_kind_name(s.kind) << ")";
    }
    out[s.name] = *s.default_value;
  }
  return out;
}

std::vector<TensorType> OpInfo::infer(const OpCall& call) const {
  CINN_CHECK(shape_fn) << "op '" << name << "' has no shape rule";
  std::vector<Shape> shapes = shape_fn(call);
  std::vector<common::Type> dtypes;
  if (dtype_fn) {
    dtypes = dtype_fn(call);
  } else {
    CINN_CHECK(!call.inputs.empty()) << "op '" << name << "' needs a dtype rule";
    dtypes.assign(shapes.size(), call.inputs[0].dtype);
  }
  CINN_CHECK(shapes.size() == dtypes.size()) << "op '" << name << "': rules disagree on outputs";
  std::vector<TensorType> out;
  for (size_t i = 0; i < shapes.size(); ++i) {
    for (auto d : shapes[i]) {
      if (d <= 0) {
        OP_THROW(call, ShapeError) << "result shape " << shape_to_string(shapes[i])
                                   << " has a non-positive dimension";
      }
    }
    out.push_back({shapes[i], dtypes[i]});
  }
  return out;
}

OpRegistry& OpRegistry::global() {
  static OpRegistry r;
  return r;
}

OpInfo& OpRegistry::add(const std::string& name) {
  auto& slot = ops_[name];
  CINN_CHECK(!slot) << "op '" << name << "' registered twice";
  slot = std::make_unique<OpInfo>();
  slot->name = name;
  return *slot;
}

const OpInfo* OpRegistry::find(const std::string& name) const {
  auto it = ops_.find(name);
  return it == ops_.end() ? nullptr : it->second.get();
}

namespace {
size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> d(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) d[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t prev = d[0];
    d[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cur = d[j];
      d[j] = std::min({d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1)});
      prev = cur;
    }
  }
  return d[b.size()];
}
}  // namespace

const OpInfo& OpRegistry::get(const std::string& name) const {
  if (const OpInfo* op = find(name)) return *op;
  std::string close;
  for (const auto& [n, _] : ops_) {
    if (edit_distance(n, name) <= 2 || (name.size() > 3 && n.find(name) != std::string::npos)) {
      close += (close.empty() ? "" : ", ") + n;
    }
  }
  CINN_THROW(UnsupportedOpError) << "unknown op '" << name << "'"
                                 << (close.empty() ? "" : "; did you mean: " + close);
}

std::vector<const OpInfo*> OpRegistry::all() const {
  std::vector<const OpInfo*> out;
  for (const auto& [_, op] : ops_) out.push_back(op.get());
  return out;
}

}  // namespace cinn::hlir
