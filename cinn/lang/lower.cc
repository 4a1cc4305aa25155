#include "cinn/lang/lower.h"

#include <algorithm>
#include <set>

#include "cinn/ir/equality.h"
#include "cinn/ir/ir_operators.h"
#include "cinn/ir/printer.h"
#include "cinn/ir/substitute.h"
#include "cinn/ir/verifier.h"
#include "cinn/ir/visitor.h"
#include "cinn/lang/reduce.h"
#include "cinn/poly/access_check.h"
#include "cinn/poly/ast_gen.h"

namespace cinn::lang {

using namespace ir;  // NOLINT

namespace {

// Compute stages reachable from `args`, producers before consumers.
void collect_stages(const Tensor& t, std::set<const TensorNode*>* seen,
                    std::vector<Tensor>* order, std::vector<Tensor>* placeholders) {
  if (!seen->insert(t.get()).second) return;
  if (t.is_placeholder()) {
    placeholders->push_back(t);
    return;
  }
  for (const Tensor& in : t->inputs) collect_stages(in, seen, order, placeholders);
  order->push_back(t);
}

std::vector<const Var*> free_vars(const Expr& e) {
  std::vector<const Var*> out;
  post_order_visit(e, [&](const IRNode* n) {
    if (n->kind() == NodeKind::kVar) out.push_back(static_cast<const Var*>(n));
  });
  return out;
}

// One compute stage, ready for isl and for building its ScheduleBlock.
struct Stage {
  Tensor tensor;
  poly::StageDomain domain;
  Stmt block;
};

Stage make_stage(const Tensor& t) {
  Stage st;
  st.tensor = t;
  const TensorNode* n = t.get();
  ReduceInfo red = as_reduce(n->body);
  poly::StageDomain& dom = st.domain;
  dom.name = t.name();
  VarMap to_block;
  std::vector<IterVar> iter_vars;
  std::vector<Expr> spatial;
  for (size_t d = 0; d < n->axes.size(); ++d) {
    const Expr& ax = n->axes[d];
    Expr extent = n->extents.empty() ? t.shape()[d] : n->extents[d];
    dom.iter_vars.push_back(ax);
    dom.ranges.push_back({Expr(0), extent});
    dom.loop_names.push_back(ax.var_name());
    Expr bv = Var::make("v" + ax.var_name(), common::IndexType());
    to_block[ax.as<Var>()] = bv;
    iter_vars.push_back({bv, {Expr(0), extent}, IterVar::Kind::kSpatial});
    spatial.push_back(bv);
  }
  for (const ReduceAxis& ax : red.axes) {
    dom.iter_vars.push_back(ax.var);
    dom.ranges.push_back({ax.min, ax.extent});
    dom.loop_names.push_back(ax.var.var_name());
    if (!poly::is_affine(ax.min) || !poly::is_affine(ax.extent)) {
      CINN_THROW(Error) << "compute '" << t.name() << "': the bounds of reduce axis '"
                        << ax.var.var_name() << "' must be affine in the sizes";
    }
    Expr bv = Var::make("v" + ax.var.var_name(), common::IndexType());
    to_block[ax.var.as<Var>()] = bv;
    iter_vars.push_back({bv, {ax.min, ax.extent}, IterVar::Kind::kReduce});
  }

  Expr where = red.ok ? red.where : Expr();
  bool has_where = where.defined() && !is_const_int(where, 1) &&
                   !(where.as<IntImm>() && where.as<IntImm>()->value == 1);
  // The where clause restricts only the reduction: it may tighten the loop bounds only if
  // every output point keeps at least one reduce point (else its init would be lost).
  // Otherwise it stays a guard in the block body, which is kept in every case.
  if (has_where && poly::is_affine(where)) {
    dom.constraints.push_back(where);
    if (!poly::constraints_keep_outer_points(dom, static_cast<int>(n->axes.size()))) {
      dom.constraints.pop_back();
    }
  }

  Expr value = red.ok ? red.source : n->body;
  // Every access must stay inside its tensor over the whole domain.
  post_order_visit(value, [&](const IRNode* node) {
    if (node->kind() != NodeKind::kLoad) return;
    const auto* ld = static_cast<const Load*>(node);
    std::string msg = poly::check_access_in_bounds(dom, ld->buffer, ld->indices);
    if (!msg.empty()) CINN_THROW(ShapeError) << "compute '" << t.name() << "': " << msg;
  });

  const Buffer& out = t.buffer();
  Stmt init, body;
  Expr v = substitute(value, to_block);
  std::vector<Expr> accessed = {v};  // what the block reads
  std::vector<Range> wregion;
  if (!n->store_indices.empty()) {
    // An update: stored at its indices, under its guard. A data-dependent index (it reads
    // memory) may write anywhere along its dimension.
    std::vector<Expr> at;
    for (size_t d = 0; d < n->store_indices.size(); ++d) {
      at.push_back(substitute(n->store_indices[d], to_block));
      wregion.push_back(ir::loads_memory(at.back()) ? Range{Expr(0), out.shape()[d]} : Range{at.back(), Expr(1)});
    }
    body = Store::make(out, v, at);
    accessed.insert(accessed.end(), at.begin(), at.end());
    if (n->guard.defined()) {
      accessed.push_back(substitute(n->guard, to_block));
      body = IfThenElse::make(accessed.back(), body);
    }
  } else if (red.ok) {
    init = Store::make(out, reduce_identity(red.kind, out.dtype()), spatial);
    body = Store::make(out, reduce_combine(red.kind, Load::make(out, spatial), v), spatial);
    if (has_where) body = IfThenElse::make(substitute(where, to_block), body);
  } else {
    body = Store::make(out, v, spatial);
  }

  // Read regions: each distinct access, as single points.
  std::vector<BufferRegion> reads;
  std::vector<Expr> seen;
  for (const Expr& e : accessed) {
    post_order_visit(e, [&](const IRNode* node) {
      if (node->kind() != NodeKind::kLoad) return;
      Expr ld(static_cast<const Load*>(node));
      for (const Expr& s : seen) {
        if (structural_equal(s, ld)) return;
      }
      seen.push_back(ld);
      std::vector<Range> region;
      for (const Expr& i : ld.as<Load>()->indices) region.push_back({i, Expr(1)});
      reads.push_back({ld.as<Load>()->buffer, region});
    });
  }
  if (wregion.empty()) {
    for (const Expr& s : spatial) wregion.push_back({s, Expr(1)});
  }
  st.block = ScheduleBlock::make(t.name(), std::move(iter_vars), std::move(reads),
                                 {{out, wregion}}, init, body, t->annotations);
  return st;
}

}  // namespace

LoweredFunc lower(const std::string& name, const std::vector<Tensor>& args) {
  if (args.empty()) CINN_THROW(Error) << "lower('" << name << "'): no tensors given";
  std::set<const TensorNode*> seen;
  std::vector<Tensor> order, placeholders;
  for (const Tensor& t : args) {
    if (!t.defined()) CINN_THROW(Error) << "lower('" << name << "'): null tensor";
    collect_stages(t, &seen, &order, &placeholders);
  }
  std::set<const TensorNode*> in_args;
  std::set<std::string> names;
  for (const Tensor& t : args) {
    if (!in_args.insert(t.get()).second) {
      CINN_THROW(Error) << "lower('" << name << "'): tensor '" << t.name()
                        << "' is listed twice";
    }
    if (!names.insert(t.name()).second) {
      CINN_THROW(Error) << "lower('" << name << "'): two arguments are named '" << t.name()
                        << "'";
    }
  }
  for (const Tensor& p : placeholders) {
    if (!in_args.count(p.get())) {
      CINN_THROW(Error) << "lower('" << name << "'): placeholder '" << p.name()
                        << "' is read but is not in the argument list";
    }
  }
  if (order.empty()) {
    CINN_THROW(Error) << "lower('" << name << "'): nothing to compute (no compute tensor)";
  }

  // Function arguments and symbolic sizes (in order of first appearance in the shapes).
  std::vector<Argument> fargs;
  std::vector<Expr> size_vars;
  std::set<const Var*> sizes;
  for (const Tensor& t : args) {
    fargs.push_back({t.buffer(), t.is_placeholder() ? Argument::Kind::kInput
                                                    : Argument::Kind::kOutput});
    for (const Expr& e : t.shape()) {
      for (const Var* v : free_vars(e)) {
        if (sizes.insert(v).second) size_vars.push_back(Expr(v));
      }
    }
  }

  std::vector<Stage> stages;
  std::vector<poly::StageDomain> domains;
  std::vector<Buffer> temps;
  for (const Tensor& t : order) {
    // Every variable a stage uses must be one of its axes or a size of an argument.
    std::set<const Var*> allowed(sizes);
    for (const Expr& a : t->axes) allowed.insert(a.as<Var>());
    ReduceInfo red = as_reduce(t->body);
    for (const ReduceAxis& ax : red.axes) allowed.insert(ax.var.as<Var>());
    std::vector<Expr> to_check = {t->body};
    to_check.insert(to_check.end(), t->store_indices.begin(), t->store_indices.end());
    if (t->guard.defined()) to_check.push_back(t->guard);
    for (const Expr& e : t.shape()) to_check.push_back(e);
    for (const Expr& e : t->extents) to_check.push_back(e);
    for (const Expr& e : to_check) {
      for (const Var* v : free_vars(e)) {
        if (!allowed.count(v)) {
          CINN_THROW(Error) << "lower('" << name << "'): compute '" << t.name()
                            << "' uses variable '" << v->name
                            << "', which is neither one of its axes nor a size of an argument";
        }
      }
    }
    stages.push_back(make_stage(t));
    domains.push_back(stages.back().domain);
    // An update shares the buffer of the tensor it updates: one allocation, none for an
    // argument's.
    bool allocated = false;
    for (const Tensor& a : args) allocated = allocated || a.buffer().get() == t.buffer().get();
    for (const Buffer& b : temps) allocated = allocated || b.get() == t.buffer().get();
    if (!allocated) temps.push_back(t.buffer());
  }

  Stmt nest = poly::generate_loop_nest(domains, [&](int s, const std::vector<Expr>& values) {
    return ScheduleBlockRealize::make(values, stages[s].block);
  });
  std::vector<Stmt> body;
  for (const Buffer& b : temps) body.push_back(Allocate::make(b));
  body.push_back(nest);
  for (auto it = temps.rbegin(); it != temps.rend(); ++it) body.push_back(Free::make(*it));
  LoweredFunc f = LoweredFunc::make(name, std::move(fargs), std::move(size_vars), temps,
                                    body.size() == 1 ? body[0] : Block::make(std::move(body)));
  verify(f);
  return f;
}

}  // namespace cinn::lang
