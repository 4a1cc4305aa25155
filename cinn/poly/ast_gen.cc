#include "cinn/poly/ast_gen.h"

#include <map>

#include "cinn/ir/ir_operators.h"
#include "cinn/ir/simplify.h"
#include "cinn/poly/affine.h"
#include "cinn/poly/isl_context.h"

namespace cinn::poly {

using namespace ir;  // NOLINT

namespace {

// isl's bound arithmetic (extent = ub - init + 1) folded by the simplifier.
Expr fold_add(const Expr& a, const Expr& b) { return simplify(a + b); }
Expr fold_sub(const Expr& a, const Expr& b) { return simplify(a - b); }

class AstToIR {
 public:
  AstToIR(const std::vector<StageDomain>& stages, const StageBodyFn& body,
          const IslNamer& namer)
      : stages_(stages), body_(body) {
    for (const auto& [name, var] : namer.params()) ids_[name] = var;
  }

  Stmt node(const isl::ast_node& n) {
    if (n.isa<isl::ast_node_block>()) {
      isl::ast_node_list children = n.as<isl::ast_node_block>().children();
      std::vector<Stmt> stmts;
      for (unsigned i = 0; i < children.size(); ++i) stmts.push_back(node(children.at(i)));
      return stmts.size() == 1 ? stmts[0] : Block::make(std::move(stmts));
    }
    if (n.isa<isl::ast_node_for>()) return for_node(n.as<isl::ast_node_for>());
    if (n.isa<isl::ast_node_if>()) {
      auto f = n.as<isl::ast_node_if>();
      Expr cond = expr(f.cond());
      Stmt then_case = node(f.then_node());
      Stmt else_case = f.has_else_node() ? node(f.else_node()) : Stmt();
      return IfThenElse::make(cond, then_case, else_case);
    }
    if (n.isa<isl::ast_node_user>()) return user(n.as<isl::ast_node_user>().expr());
    if (n.isa<isl::ast_node_mark>()) return node(n.as<isl::ast_node_mark>().node());
    CINN_THROW(InternalError) << "poly: unexpected isl AST node";
  }

 private:
  Stmt for_node(const isl::ast_node_for& f) {
    std::string it_name = f.iterator().as<isl::ast_expr_id>().id().name();
    Expr init = expr(f.init());
    isl::ast_expr inc = f.inc();
    CINN_CHECK(inc.isa<isl::ast_expr_int>() && inc.as<isl::ast_expr_int>().val().is_pos())
        << "poly: loop with a non-constant step";
    int64_t step = inc.as<isl::ast_expr_int>().val().get_num_si();
    // Name the loop after the iter_var it runs over in the first statement it contains.
    int dim = std::stoi(it_name.substr(1)) - 1;
    std::string name = loop_name(f.body(), dim);
    Expr var = Var::make(name, common::IndexType());
    ids_[it_name] = var;
    isl::ast_expr cond = f.cond();
    CINN_CHECK(cond.isa<isl::ast_expr_op>()) << "poly: unexpected loop condition";
    auto op = cond.as<isl::ast_expr_op>();
    Expr lhs = expr(op.arg(0)), ub = expr(op.arg(1));
    CINN_CHECK(lhs.same_as(var)) << "poly: loop condition does not bound the iterator";
    Expr extent;
    if (op.isa<isl::ast_expr_op_le>()) {
      extent = fold_add(fold_sub(ub, init), Expr(1));
    } else if (op.isa<isl::ast_expr_op_lt>()) {
      extent = fold_sub(ub, init);
    } else {
      CINN_THROW(InternalError) << "poly: unexpected loop condition kind";
    }
    if (step != 1) {
      // A strided domain (`where=k % 2 == 0`): the loop counts the values, 0, 1, ..., and
      // the statements below see init + var * step.
      extent = simplify((extent + Expr(step - 1)) / Expr(step));
      ids_[it_name] = simplify(init + var * Expr(step));
      init = Expr(0);
    }
    int saved_next = next_dim_;
    int first_skipped = next_dim_;
    int stage = stage_below(f.body());
    // Unit loops for skipped dimensions above this loop: their variables must be known
    // before the statement below is built.
    std::vector<Expr> unit(stages_[stage].iter_vars.size());
    Stmt marker = Evaluate::make(Expr(0));
    Stmt units = wrap_unit_loops(stage, first_skipped, dim, marker, &unit);
    auto saved_units = unit_vars_;
    for (size_t d = 0; d < unit.size(); ++d) {
      if (unit[d].defined()) unit_vars_[static_cast<int>(d)] = unit[d];
    }
    next_dim_ = dim + 1;
    Stmt body = node(f.body());
    next_dim_ = saved_next;
    unit_vars_ = std::move(saved_units);
    ids_.erase(it_name);
    Stmt loop = For::make(var, init, extent, ForKind::kSerial, body);
    return rewrap(units, loop);
  }

  // Replaces the innermost body of a chain of unit loops (built around a marker) by `inner`.
  static Stmt rewrap(const Stmt& units, Stmt inner) {
    std::vector<const For*> loops;
    for (const For* f = units.as<For>(); f; f = f->body.as<For>()) loops.push_back(f);
    for (size_t i = loops.size(); i-- > 0;) {
      inner = For::make(loops[i]->loop_var, loops[i]->min, loops[i]->extent, ForKind::kSerial, inner);
    }
    return inner;
  }

  // isl drops loops over dimensions with a single value. Schedules expect one loop per
  // iter_var, so dimensions of constant extent 1 get back a unit loop `for (v, min, 1)`
  // (with `values` pointing at the statement's iter_values, the value becomes the loop var).
  Stmt wrap_unit_loops(int stage, int from, int to, Stmt inner, std::vector<Expr>* values) {
    const StageDomain& s = stages_[stage];
    for (int d = to - 1; d >= from; --d) {
      if (d >= static_cast<int>(s.ranges.size()) || !is_const_int(s.ranges[d].extent, 1)) continue;
      std::string name = d < static_cast<int>(s.loop_names.size()) ? s.loop_names[d]
                                                                    : s.iter_vars[d].var_name();
      Expr v = Var::make(name, common::IndexType());
      if (values) (*values)[d] = v;
      inner = For::make(v, s.ranges[d].min, Expr(1), ForKind::kSerial, inner);
    }
    return inner;
  }

  int stage_below(const isl::ast_node& n) {
    if (n.isa<isl::ast_node_user>()) {
      return stage_of(n.as<isl::ast_node_user>().expr().as<isl::ast_expr_op>().arg(0));
    }
    if (n.isa<isl::ast_node_block>()) return stage_below(n.as<isl::ast_node_block>().children().at(0));
    if (n.isa<isl::ast_node_for>()) return stage_below(n.as<isl::ast_node_for>().body());
    if (n.isa<isl::ast_node_if>()) return stage_below(n.as<isl::ast_node_if>().then_node());
    if (n.isa<isl::ast_node_mark>()) return stage_below(n.as<isl::ast_node_mark>().node());
    CINN_THROW(InternalError) << "poly: AST subtree without a statement";
  }

  // Name of the iter_var at `dim` in the first statement below `n`.
  std::string loop_name(const isl::ast_node& n, int dim) {
    const StageDomain& s = stages_[stage_below(n)];
    if (dim < static_cast<int>(s.loop_names.size())) return s.loop_names[dim];
    if (dim < static_cast<int>(s.iter_vars.size())) return s.iter_vars[dim].var_name();
    return "c" + std::to_string(dim);
  }

  int stage_of(const isl::ast_expr& id_expr) {
    std::string name = id_expr.as<isl::ast_expr_id>().id().name();
    return std::stoi(name.substr(1));
  }

  Stmt user(const isl::ast_expr& call) {
    auto op = call.as<isl::ast_expr_op>();
    int stage = stage_of(op.arg(0));
    std::vector<Expr> values;
    for (unsigned i = 1; i < op.n_arg(); ++i) values.push_back(expr(op.arg(i)));
    // Unit loops are created first so the statement can refer to their variables.
    for (const auto& [d, v] : unit_vars_) {
      if (d < static_cast<int>(values.size())) values[d] = v;
    }
    Stmt marker = Evaluate::make(Expr(0));
    Stmt units = wrap_unit_loops(stage, next_dim_, static_cast<int>(values.size()), marker, &values);
    return rewrap(units, body_(stage, values));
  }

  Expr expr(const isl::ast_expr& e) {
    if (e.isa<isl::ast_expr_int>()) {
      return Expr(static_cast<int64_t>(e.as<isl::ast_expr_int>().val().get_num_si()));
    }
    if (e.isa<isl::ast_expr_id>()) {
      std::string name = e.as<isl::ast_expr_id>().id().name();
      auto it = ids_.find(name);
      CINN_CHECK(it != ids_.end()) << "poly: unknown isl identifier '" << name << "'";
      return it->second;
    }
    auto op = e.as<isl::ast_expr_op>();
    auto arg = [&](int i) { return expr(op.arg(i)); };
    if (op.isa<isl::ast_expr_op_add>()) return fold_add(arg(0), arg(1));
    if (op.isa<isl::ast_expr_op_sub>()) return fold_sub(arg(0), arg(1));
    if (op.isa<isl::ast_expr_op_mul>()) return arg(0) * arg(1);
    if (op.isa<isl::ast_expr_op_minus>()) return -arg(0);
    if (op.isa<isl::ast_expr_op_div>() || op.isa<isl::ast_expr_op_fdiv_q>() ||
        op.isa<isl::ast_expr_op_pdiv_q>()) {
      return arg(0) / arg(1);  // floor division, as ir::Div
    }
    if (op.isa<isl::ast_expr_op_pdiv_r>() || op.isa<isl::ast_expr_op_zdiv_r>()) {
      return arg(0) % arg(1);
    }
    if (op.isa<isl::ast_expr_op_min>() || op.isa<isl::ast_expr_op_max>()) {
      bool is_min = op.isa<isl::ast_expr_op_min>();
      Expr r = arg(0);
      for (unsigned i = 1; i < op.n_arg(); ++i) r = is_min ? min(r, arg(i)) : max(r, arg(i));
      return r;
    }
    if (op.isa<isl::ast_expr_op_and>() || op.isa<isl::ast_expr_op_and_then>()) {
      return arg(0) && arg(1);
    }
    if (op.isa<isl::ast_expr_op_or>() || op.isa<isl::ast_expr_op_or_else>()) {
      return arg(0) || arg(1);
    }
    if (op.isa<isl::ast_expr_op_eq>()) return arg(0) == arg(1);
    if (op.isa<isl::ast_expr_op_le>()) return arg(0) <= arg(1);
    if (op.isa<isl::ast_expr_op_lt>()) return arg(0) < arg(1);
    if (op.isa<isl::ast_expr_op_ge>()) return arg(0) >= arg(1);
    if (op.isa<isl::ast_expr_op_gt>()) return arg(0) > arg(1);
    if (op.isa<isl::ast_expr_op_select>() || op.isa<isl::ast_expr_op_cond>()) {
      return select(arg(0), arg(1), arg(2));
    }
    CINN_THROW(InternalError) << "poly: unsupported isl AST expression";
  }

  const std::vector<StageDomain>& stages_;
  const StageBodyFn& body_;
  int next_dim_ = 0;  // the first iter_var dimension not yet covered by an enclosing loop
  std::map<int, Expr> unit_vars_;  // dimension -> enclosing unit loop variable
  std::map<std::string, Expr> ids_;
};

}  // namespace

Stmt generate_loop_nest(const std::vector<StageDomain>& stages, const StageBodyFn& body) {
  if (stages.empty()) return Block::make({});
  IslNamer namer;
  size_t max_dims = 0;
  for (const auto& s : stages) max_dims = std::max(max_dims, s.iter_vars.size());

  std::vector<std::string> domains, schedules;
  try {
    for (size_t si = 0; si < stages.size(); ++si) {
      domains.push_back(domain_text(stages[si], static_cast<int>(si), &namer));
      schedules.push_back(schedule_text(stages[si], static_cast<int>(si), max_dims));
    }
  } catch (const NotAffine& e) {
    CINN_THROW(InternalError) << "poly: domain is not affine: " << e.why;
  }
  auto join = [&](const std::vector<std::string>& parts) { return union_text(namer, parts); };

  IslContext ctx;
  try {
    isl::union_set domain(ctx.ctx(), join(domains));
    isl::union_map schedule(ctx.ctx(), join(schedules));
    schedule = schedule.intersect_domain(domain);
    isl::set context(ctx.ctx(), namer.params_context());
    isl::ast_build build = isl::ast_build::from_context(context);
    isl::ast_node tree = build.node_from_schedule_map(schedule);
    return AstToIR(stages, body, namer).node(tree);
  } catch (const isl::exception& e) {
    CINN_THROW(InternalError) << "poly: isl failed: " << e.what() << "\n  domain: "
                              << join(domains);
  }
}

}  // namespace cinn::poly
