// IRVisitor walks an IR tree; IRMutator rebuilds it.
//
// Both dispatch on NodeKind to one virtual method per node kind (visit_Add, mutate_For, ...),
// generated from node_kinds.def. The default implementations recurse into every child, so a
// pass overrides only the nodes it cares about. IRMutator's defaults return the very same
// node when no child changed.
#pragma once

#include <functional>

#include "cinn/ir/ir.h"

namespace cinn::ir {

class IRVisitor {
 public:
  virtual ~IRVisitor() = default;
  void visit(const Expr& e);
  void visit(const Stmt& s);

 protected:
#define CINN_EXPR_NODE(Name) virtual void visit_##Name(const Name* op);
#define CINN_STMT_NODE(Name) virtual void visit_##Name(const Name* op);
#include "cinn/ir/node_kinds.def"
  void visit_ranges(const std::vector<Range>& rs);
};

class IRMutator {
 public:
  virtual ~IRMutator() = default;
  Expr mutate(const Expr& e);
  Stmt mutate(const Stmt& s);

 protected:
#define CINN_EXPR_NODE(Name) virtual Expr mutate_##Name(const Name* op);
#define CINN_STMT_NODE(Name) virtual Stmt mutate_##Name(const Name* op);
#include "cinn/ir/node_kinds.def"
  // Mutates each expression; sets *changed if any differs.
  std::vector<Expr> mutate_exprs(const std::vector<Expr>& es, bool* changed);
  std::vector<Range> mutate_ranges(const std::vector<Range>& rs, bool* changed);
  std::vector<BufferRegion> mutate_regions(const std::vector<BufferRegion>& rs, bool* changed);
};

// Calls f on every node of the tree, children before parents. Handy for small analyses.
void post_order_visit(const Stmt& s, const std::function<void(const IRNode*)>& f);
void post_order_visit(const Expr& e, const std::function<void(const IRNode*)>& f);

}  // namespace cinn::ir
