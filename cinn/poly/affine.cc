#include "cinn/poly/affine.h"

#include <cctype>

#include "cinn/poly/domain.h"

namespace cinn::poly {

using namespace ir;  // NOLINT

void IslNamer::add_iter(const Expr& var, const std::string& name) {
  names_[var.as<Var>()] = name;
}

std::string IslNamer::name_of(const Var* v) {
  auto it = names_.find(v);
  if (it != names_.end()) return it->second;
  if (!v->type.is_integer()) throw NotAffine{"variable '" + v->name + "' is not an integer"};
  std::string id = "p" + std::to_string(params_.size()) + "_";
  for (char c : v->name) id += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  names_[v] = id;
  params_.emplace_back(id, Expr(v));
  return id;
}

std::string IslNamer::params_prefix() const {
  if (params_.empty()) return "";
  std::string s = "[";
  for (size_t i = 0; i < params_.size(); ++i) s += (i ? ", " : "") + params_[i].first;
  return s + "] -> ";
}

std::string IslNamer::params_context() const {
  std::string s = params_prefix() + "{ : ";
  if (params_.empty()) return "{ : }";
  for (size_t i = 0; i < params_.size(); ++i) {
    s += (i ? " and " : "") + params_[i].first + " >= 1";
  }
  return s + " }";
}

namespace {
bool const_int(const Expr& e, int64_t* v) {
  if (const auto* i = e.as<IntImm>()) {
    if (i->type.is_bool()) return false;
    *v = i->value;
    return true;
  }
  return false;
}
}  // namespace

std::string IslNamer::text(const Expr& e) {
  int64_t c = 0;
  if (const_int(e, &c)) return std::to_string(c);
  if (const auto* i = e.as<IntImm>()) return i->value ? "(0 = 0)" : "(1 = 0)";
  if (const auto* v = e.as<Var>()) return name_of(v);
  auto bin = [&](const Expr& a, const Expr& b, const char* op) {
    return "(" + text(a) + " " + op + " " + text(b) + ")";
  };
  if (const auto* op = e.as<Add>()) return bin(op->a, op->b, "+");
  if (const auto* op = e.as<Sub>()) return bin(op->a, op->b, "-");
  if (const auto* op = e.as<Mul>()) {
    if (const_int(op->a, &c) || const_int(op->b, &c)) return bin(op->a, op->b, "*");
    throw NotAffine{"product of two non-constant terms"};
  }
  if (const auto* op = e.as<Div>()) {
    if (const_int(op->b, &c) && c > 0) {
      return "floor(" + text(op->a) + " / " + std::to_string(c) + ")";
    }
    throw NotAffine{"division by a non-constant or non-positive value"};
  }
  if (const auto* op = e.as<Mod>()) {
    if (const_int(op->b, &c) && c > 0) {
      return "(" + text(op->a) + " mod " + std::to_string(c) + ")";
    }
    throw NotAffine{"modulo by a non-constant or non-positive value"};
  }
  if (const auto* op = e.as<Min>()) return "min(" + text(op->a) + ", " + text(op->b) + ")";
  if (const auto* op = e.as<Max>()) return "max(" + text(op->a) + ", " + text(op->b) + ")";
  if (const auto* op = e.as<EQ>()) return bin(op->a, op->b, "=");
  if (const auto* op = e.as<LE>()) return bin(op->a, op->b, "<=");
  if (const auto* op = e.as<LT>()) return bin(op->a, op->b, "<");
  if (const auto* op = e.as<GE>()) return bin(op->a, op->b, ">=");
  if (const auto* op = e.as<GT>()) return bin(op->a, op->b, ">");
  if (const auto* op = e.as<And>()) return bin(op->a, op->b, "and");
  if (const auto* op = e.as<Or>()) return bin(op->a, op->b, "or");
  if (const auto* op = e.as<Cast>()) {
    if (op->type.is_integer() && op->value.type().is_integer()) return text(op->value);
  }
  throw NotAffine{std::string("node ") + node_kind_name(e.kind()) + " is not affine"};
}

std::string domain_text(const StageDomain& s, int index, IslNamer* namer) {
  std::string tuple, cons;
  for (size_t d = 0; d < s.iter_vars.size(); ++d) {
    std::string n = "i" + std::to_string(d);
    namer->add_iter(s.iter_vars[d], n);
    tuple += (d ? ", " : "") + n;
  }
  auto add = [&](const std::string& c) { cons += (cons.empty() ? "" : " and ") + c; };
  for (size_t d = 0; d < s.iter_vars.size(); ++d) {
    std::string n = "i" + std::to_string(d);
    std::string lo = namer->text(s.ranges[d].min);
    add(lo + " <= " + n + " < " + lo + " + " + namer->text(s.ranges[d].extent));
  }
  for (const Expr& c : s.constraints) add(namer->text(c));
  return "S" + std::to_string(index) + "[" + tuple + "]" + (cons.empty() ? "" : " : " + cons);
}

std::string schedule_text(const StageDomain& s, int index, size_t max_dims) {
  std::string tuple, out = std::to_string(index);
  for (size_t d = 0; d < s.iter_vars.size(); ++d) tuple += (d ? ", " : "") + ("i" + std::to_string(d));
  for (size_t d = 0; d < max_dims; ++d) {
    out += ", " + (d < s.iter_vars.size() ? "i" + std::to_string(d) : std::string("0"));
  }
  return "S" + std::to_string(index) + "[" + tuple + "] -> [" + out + "]";
}

std::string union_text(const IslNamer& namer, const std::vector<std::string>& parts) {
  std::string s = namer.params_prefix() + "{ ";
  for (size_t i = 0; i < parts.size(); ++i) s += (i ? "; " : "") + parts[i];
  return s + " }";
}

bool is_affine(const Expr& e) {
  try {
    IslNamer().text(e);
    return true;
  } catch (const NotAffine&) {
    return false;
  }
}

}  // namespace cinn::poly
