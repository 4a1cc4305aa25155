// Translation of affine ir expressions into isl's textual syntax (internal to poly).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "cinn/ir/ir.h"

namespace cinn::poly {

// Thrown (internally) when an expression cannot be written as a quasi-affine isl expression.
struct NotAffine {
  std::string why;
};

// Names variables for isl: iter_vars get the names given to them, every other variable
// becomes a parameter with a unique, valid isl identifier.
class IslNamer {
 public:
  void add_iter(const ir::Expr& var, const std::string& name);
  // isl text for an affine integer or boolean expression; throws NotAffine.
  std::string text(const ir::Expr& e);
  // "[p0, p1] -> " prefix listing the parameters seen so far (empty when none).
  std::string params_prefix() const;
  // Constraints on the parameters: every symbolic size is >= 1.
  std::string params_context() const;
  const std::vector<std::pair<std::string, ir::Expr>>& params() const { return params_; }

 private:
  std::string name_of(const ir::Var* v);
  std::map<const ir::Var*, std::string> names_;
  std::vector<std::pair<std::string, ir::Expr>> params_;
};

struct StageDomain;

// isl text of stage `index`'s domain, "S<index>[i0, i1, ...] : <constraints>" (no braces,
// no parameter prefix: join pieces with `union_text`). Registers the stage's iter_vars as
// i0, i1, ... in `namer`.
std::string domain_text(const StageDomain& stage, int index, IslNamer* namer);
// isl text of the sequential schedule "S<index>[i...] -> [index, i..., 0...]" padded to
// `max_dims` loop dimensions.
std::string schedule_text(const StageDomain& stage, int index, size_t max_dims);
// "[params] -> { part0; part1; ... }"
std::string union_text(const IslNamer& namer, const std::vector<std::string>& parts);

}  // namespace cinn::poly
