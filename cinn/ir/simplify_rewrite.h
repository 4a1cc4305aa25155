// Rewrite rules as data, in the style of Halide's `rewrite(x + 0, x)`.
//
// A rule is a pattern, a replacement and an optional condition, all written as ordinary IR
// over the wildcards below:
//
//   {min(max(x, c0), c1), c1, c1 <= c0}
//
// Matching ignores types (the wildcards have a nominal type only so that patterns can be
// built with the usual operators); an integer or float immediate in a pattern matches an
// immediate of the same value and kind (true/false only match bools, -0.0 only -0.0). In a
// replacement or condition, an immediate takes the type of its sibling operand, or of the
// matched expression at the root. Broadcast and Ramp patterns match any lane count, which
// the replacement reuses.
//
// The condition is instantiated and simplified in the current context (so it may use the
// known ranges); the rule fires only if it becomes true. Immediates combined by the
// replacement or condition (`c0 * c1`) are folded exactly; if that overflows the type, the
// rule does not fire.
#pragma once

#include <utility>
#include <vector>

#include "cinn/ir/ir.h"

namespace cinn::ir::simplify_detail {

class Simplifier;

// x, y, z, w match any expression; c0, c1, c2 only an integer or float immediate. A wildcard
// that occurs twice matches structurally equal expressions. fx, fy, fc0 are x, y, c0 with a
// float32 type, and bx, by bool ones, for writing float and logical patterns.
struct Wildcards {
  Expr x, y, z, w, c0, c1, c2;
  Expr fx, fy, fc0;
  Expr bx, by;
  Expr kTrue, kFalse;
};
const Wildcards& wildcards();

struct Rule {
  Rule(Expr pattern, Expr replacement, Expr condition = Expr())
      : pattern(std::move(pattern)),
        replacement(std::move(replacement)),
        condition(std::move(condition)) {}
  Expr pattern;
  Expr replacement;
  Expr condition;  // may be undefined
};
using RuleTable = std::vector<Rule>;

// The simplified replacement of the first rule that matches e and whose condition holds; an
// undefined Expr if none does.
Expr apply_rules(const RuleTable& rules, const Expr& e, Simplifier* s);

}  // namespace cinn::ir::simplify_detail
