#include <map>
#include <vector>

#include "cinn/ir/equality.h"
#include "cinn/ir/substitute.h"
#include "cinn/ir/transforms.h"
#include "cinn/ir/visitor.h"

namespace cinn::ir {
namespace {

// Every load and store in a statement, by buffer. `opaque`: the statement calls an extern
// function (which may touch memory the summary does not see).
struct Accesses {
  std::map<const BufferNode*, std::vector<const std::vector<Expr>*>> reads, writes;
  bool opaque = false;
};

Accesses accesses_of(const Stmt& s) {
  Accesses a;
  post_order_visit(s, [&](const IRNode* n) {
    switch (n->kind()) {
      case NodeKind::kLoad: {
        const auto* l = static_cast<const Load*>(n);
        a.reads[l->buffer.get()].push_back(&l->indices);
        break;
      }
      case NodeKind::kStore: {
        const auto* st = static_cast<const Store*>(n);
        a.writes[st->buffer.get()].push_back(&st->indices);
        break;
      }
      case NodeKind::kCall:
        a.opaque = a.opaque || static_cast<const Call*>(n)->call_kind != Call::Kind::kIntrinsic;
        break;
      default:
        break;
    }
  });
  return a;
}

bool same_indices(const std::vector<Expr>& a, const std::vector<Expr>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!structural_equal(a[i], b[i])) return false;
  }
  return true;
}

// Whether loops `first` and `second` (the second's variable already renamed to the first's)
// can run as one: see fuse_sibling_loops in transforms.h.
bool fusible(const Stmt& first, const Stmt& second, const Expr& var) {
  Accesses a = accesses_of(first), b = accesses_of(second);
  if (a.opaque || b.opaque) return false;
  // Nothing the second loop writes is touched by the first.
  for (const auto& [buf, w] : b.writes) {
    if (a.reads.count(buf) || a.writes.count(buf)) return false;
  }
  for (const auto& [buf, writes] : a.writes) {
    auto r = b.reads.find(buf);
    if (r == b.reads.end()) continue;
    // One index for every write of the first loop and every read of the second, and one
    // that uses the loop variable: an accumulator whose reduction runs over this loop
    // (which holds partial sums until the loop ends) stores to an index without it.
    const std::vector<Expr>& index = *writes.front();
    bool uses_var = false;
    for (const Expr& e : index) uses_var = uses_var || uses_any_var(e, {var});
    if (!uses_var) return false;
    for (const auto* w : writes) {
      if (!same_indices(*w, index)) return false;
    }
    for (const auto* rd : r->second) {
      if (!same_indices(*rd, index)) return false;
    }
  }
  return true;
}

class SiblingLoopFuser : public IRMutator {
 protected:
  Stmt mutate_Block(const Block* op) override {
    std::vector<Stmt> out;
    bool changed = false;
    for (const Stmt& s : op->stmts) {
      Stmt m = mutate(s);
      changed = changed || !m.same_as(s);
      if (!out.empty()) {
        if (Stmt fused = fuse(out.back(), m); fused.defined()) {
          out.back() = fused;
          changed = true;
          continue;
        }
      }
      out.push_back(m);
    }
    if (!changed) return op;
    return out.size() == 1 ? out[0] : Block::make(out);
  }

 private:
  // The fused loop, or an undefined Stmt.
  Stmt fuse(const Stmt& s1, const Stmt& s2) {
    const auto* a = s1.as<For>();
    const auto* b = s2.as<For>();
    if (!a || !b || a->for_kind != b->for_kind || is_gpu_kind(a->for_kind)) return Stmt();
    if (!structural_equal(a->min, b->min) || !structural_equal(a->extent, b->extent)) return Stmt();
    // The second nest's variables renamed to the first's, down the perfectly nested loops
    // with equal ranges (the vector loop inside each), so that equal indices compare equal.
    VarMap rename = {{b->loop_var.as<Var>(), a->loop_var}};
    for (const For *ia = a->body.as<For>(), *ib = b->body.as<For>();
         ia && ib && ia->for_kind == ib->for_kind && structural_equal(ia->min, substitute(ib->min, rename)) &&
         structural_equal(ia->extent, substitute(ib->extent, rename));
         ia = ia->body.as<For>(), ib = ib->body.as<For>()) {
      rename[ib->loop_var.as<Var>()] = ia->loop_var;
    }
    Stmt second = substitute(b->body, rename);
    if (!fusible(a->body, second, a->loop_var)) return Stmt();
    // The bodies' own loops (a vector loop each) may fuse in turn.
    return For::make(a->loop_var, a->min, a->extent, a->for_kind, mutate(Block::make({a->body, second})));
  }
};

}  // namespace

Stmt fuse_sibling_loops(const Stmt& s) { return SiblingLoopFuser().mutate(s); }

}  // namespace cinn::ir
