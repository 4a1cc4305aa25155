// GPU memory passes: compact_gpu_buffers and insert_gpu_barriers (transforms.h).
#include <algorithm>
#include <array>
#include <map>
#include <optional>
#include <set>

#include "cinn/common/error.h"
#include "cinn/ir/gpu_launch.h"
#include "cinn/ir/intrinsics.h"
#include "cinn/ir/ir_operators.h"
#include "cinn/ir/schedule_internal.h"
#include "cinn/ir/simplify.h"
#include "cinn/ir/substitute.h"
#include "cinn/ir/transforms.h"
#include "cinn/ir/visitor.h"

namespace cinn::ir {
namespace {

bool is_thread_kind(ForKind k) { return is_gpu_kind(k) && !is_block_kind(k); }

// ---------------------------------------------------------------------------------------
// compact_gpu_buffers

struct Access {
  std::vector<Expr> indices;
  std::vector<const For*> path;  // loops around the access, outermost first
};

// Every load and store of the local and shared temporaries, with the loops around it.
class AccessCollector : public IRVisitor {
 public:
  explicit AccessCollector(const std::set<const BufferNode*>& buffers) : buffers_(buffers) {}
  std::map<const BufferNode*, std::vector<Access>> accesses;

 protected:
  void visit_For(const For* op) override {
    path_.push_back(op);
    IRVisitor::visit_For(op);
    path_.pop_back();
  }
  void visit_Load(const Load* op) override {
    if (buffers_.count(op->buffer.get())) accesses[op->buffer.get()].push_back({op->indices, path_});
    IRVisitor::visit_Load(op);
  }
  void visit_Store(const Store* op) override {
    if (buffers_.count(op->buffer.get())) accesses[op->buffer.get()].push_back({op->indices, path_});
    IRVisitor::visit_Store(op);
  }

 private:
  const std::set<const BufferNode*>& buffers_;
  std::vector<const For*> path_;
};

// The loops around every access, outermost first.
std::vector<const For*> common_loops(const std::vector<Access>& accesses) {
  std::vector<const For*> common = accesses[0].path;
  for (const Access& a : accesses) {
    size_t n = 0;
    while (n < common.size() && n < a.path.size() && common[n] == a.path[n]) ++n;
    common.resize(n);
  }
  return common;
}

// A local buffer accessed in several nests, each under its own loop bound to a thread axis
// (threadIdx.x of a copy nest and of its consumers): thread t owns the same elements in all
// of them. The accesses' indices with each nest's thread loop variable replaced by one
// variable per axis, so that their regions meet in the thread's own part; empty when some
// access is not under exactly one loop of each axis the others use, or its index does not
// use that loop.
struct ThreadCanonical {
  std::vector<std::vector<Expr>> indices;           // per access
  std::vector<std::map<int, const Var*>> thread;    // per access: axis -> its loop variable
  std::map<int, Expr> var;                          // axis -> the variable standing for it
};

std::optional<ThreadCanonical> canonical_threads(const std::vector<Access>& accesses) {
  ThreadCanonical c;
  std::set<int> axes;
  for (const Access& a : accesses) {
    std::map<int, const Var*> own;
    for (const For* l : a.path) {
      if (!is_thread_kind(l->for_kind) || !is_zero(l->min)) continue;
      int axis = gpu_axis(l->for_kind);
      if (own.count(axis)) return std::nullopt;  // cooperative loops: ambiguous
      own[axis] = l->loop_var.as<Var>();
    }
    if (!c.thread.empty() && own.size() != c.thread[0].size()) return std::nullopt;
    for (const auto& [axis, v] : own) axes.insert(axis);
    c.thread.push_back(own);
  }
  if (axes.empty()) return std::nullopt;
  for (int axis : axes) c.var[axis] = Var::make(std::string("thread_") + "xyz"[axis], common::Int(64));
  for (size_t i = 0; i < accesses.size(); ++i) {
    if (c.thread[i].size() != axes.size()) return std::nullopt;
    VarMap m;
    for (const auto& [axis, v] : c.thread[i]) m[v] = c.var[axis];
    std::vector<Expr> idx;
    for (const Expr& e : accesses[i].indices) idx.push_back(substitute(e, m));
    // Each access must name its thread, which then stands for the offset's (replace_buffer
    // sees the index only).
    for (const auto& [axis, v] : c.var) {
      bool named = false;
      for (const Expr& e : idx) named = named || uses_any_var(e, {v});
      if (!named) return std::nullopt;
    }
    c.indices.push_back(idx);
  }
  return c;
}

}  // namespace

LoweredFunc compact_gpu_buffers(const LoweredFunc& f) {
  std::set<const BufferNode*> candidates;
  for (const Buffer& b : f->temp_buffers) {
    if (b.scope() != MemoryScope::kGlobal) candidates.insert(b.get());
  }
  if (candidates.empty()) return f;
  AccessCollector collect(candidates);
  collect.visit(f.body());
  LoweredFunc out = f;
  for (const Buffer& b : f->temp_buffers) {
    auto it = collect.accesses.find(b.get());
    if (it == collect.accesses.end() || b.ndim() == 0) continue;
    const std::vector<Access>& accesses = it->second;
    bool shared = b.scope() == MemoryScope::kShared;
    std::vector<const For*> common = common_loops(accesses);
    std::set<const IRNode*> common_vars;
    for (const For* l : common) common_vars.insert(l->loop_var.as<Var>());
    // One copy per iteration of the loops around every access -- per thread for a local
    // buffer; a shared one is common to the threads of a block.
    auto fixed = [&](const For* l, bool in_common) {
      if (is_block_kind(l->for_kind)) return true;
      if (is_thread_kind(l->for_kind)) return !shared;
      return in_common;
    };
    std::optional<ThreadCanonical> canon;
    if (!shared && common.size() < accesses[0].path.size()) canon = canonical_threads(accesses);
    sched::RegionUnion u(b.ndim());
    for (size_t i = 0; i < accesses.size(); ++i) {
      const Access& a = accesses[i];
      std::vector<const For*> relaxed;
      for (size_t k = 0; k < a.path.size(); ++k) {
        if (!fixed(a.path[k], k < common.size())) relaxed.push_back(a.path[k]);
      }
      u.add(canon ? canon->indices[i] : a.indices, relaxed, a.path);
    }
    std::vector<Expr> shape, offset;
    bool smaller = false;
    for (size_t k = 0; k < static_cast<size_t>(b.ndim()); ++k) {
      sched::DimRegion d = u.dim(k);
      const int64_t* old_extent = as_const_int(b.shape()[k]);
      // The offset must be defined at every access: loops around all of them only.
      bool usable = !d.whole() && (!old_extent || d.extent < *old_extent);
      if (usable) {
        post_order_visit(d.min, [&](const IRNode* n) {
          if (n->kind() == NodeKind::kVar && !common_vars.count(n)) {
            bool is_loop_var = false;
            for (const Access& a : accesses) {
              for (const For* l : a.path) is_loop_var = is_loop_var || l->loop_var.get() == n;
            }
            usable = usable && !is_loop_var;
          }
        });
      }
      if (usable) {
        shape.push_back(Expr(d.extent));
        offset.push_back(d.min);
        smaller = true;
      } else {
        shape.push_back(b.shape()[k]);
        offset.push_back(Expr(int64_t{0}));
      }
    }
    if (!smaller) continue;
    Buffer nb = Buffer::make(b.name(), b.dtype(), shape, b.scope());
    // Thread variables of the offset stand for each access's own thread loop variable.
    std::map<const IRNode*, int> thread_axis;
    if (canon) {
      for (const auto& own : canon->thread) {
        for (const auto& [axis, v] : own) thread_axis[v] = axis;
      }
    }
    out = sched::replace_buffer(out, b, nb, [&](const std::vector<Expr>& idx) {
      VarMap m;
      for (const Expr& e : idx) {
        post_order_visit(e, [&](const IRNode* n) {
          auto it = thread_axis.find(n);
          if (it != thread_axis.end()) m[canon->var.at(it->second).as<Var>()] = Expr(static_cast<const Var*>(n));
        });
      }
      std::vector<Expr> r;
      for (size_t k = 0; k < idx.size(); ++k) r.push_back(simplify(idx[k] - substitute(offset[k], m)));
      return r;
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// insert_gpu_barriers

namespace {

struct SharedUse {
  std::set<const BufferNode*> reads, writes;
};

SharedUse shared_use(const Stmt& s) {
  SharedUse u;
  post_order_visit(s, [&](const IRNode* n) {
    if (n->kind() == NodeKind::kLoad) {
      const auto* l = static_cast<const Load*>(n);
      if (l->buffer.scope() == MemoryScope::kShared) u.reads.insert(l->buffer.get());
    } else if (n->kind() == NodeKind::kStore) {
      const auto* st = static_cast<const Store*>(n);
      if (st->buffer.scope() == MemoryScope::kShared) u.writes.insert(st->buffer.get());
    }
  });
  return u;
}

bool meets(const std::set<const BufferNode*>& a, const std::set<const BufferNode*>& b) {
  return std::any_of(a.begin(), a.end(), [&](const BufferNode* x) { return b.count(x) > 0; });
}

bool touches_shared(const Stmt& s) {
  SharedUse u = shared_use(s);
  return !u.reads.empty() || !u.writes.empty();
}

class BarrierInserter {
 public:
  // `uniform`: every thread of the block runs `s` the same number of times, so a barrier
  // in it is reached by all of them.
  Stmt place(const Stmt& s, bool uniform) {
    if (!s.defined() || !touches_shared(s)) return s;
    switch (s.kind()) {
      case NodeKind::kFor: {
        const auto* f = s.as<For>();
        Stmt body;
        if (is_thread_kind(f->for_kind)) {
          // A thread loop inside one bound to the same axis is cooperative: each thread runs
          // some of its iterations, so nothing under it is reached by all of them.
          int axis = gpu_axis(f->for_kind);
          bool cooperative = open_[axis];
          open_[axis] = true;
          thread_vars_.insert(f->loop_var.get());
          body = place(f->body, uniform && !cooperative);
          open_[axis] = cooperative;
        } else if (is_gpu_kind(f->for_kind)) {
          body = place(f->body, uniform);
        } else {
          bool same_trips = !depends_on_threads(f->min) && !depends_on_threads(f->extent);
          body = sequence(f->body, uniform && same_trips, /*loop_body=*/true);
        }
        return For::make(f->loop_var, f->min, f->extent, f->for_kind, body);
      }
      case NodeKind::kIfThenElse: {
        const auto* op = s.as<IfThenElse>();
        return IfThenElse::make(op->condition, sequence(op->then_case, false, false),
                                op->else_case.defined() ? sequence(op->else_case, false, false) : op->else_case);
      }
      case NodeKind::kLetStmt: {
        const auto* op = s.as<LetStmt>();
        if (depends_on_threads(op->value)) thread_vars_.insert(op->var.get());
        return LetStmt::make(op->var, op->value, place(op->body, uniform));
      }
      case NodeKind::kBlock: return sequence(s, uniform, false);
      default: return s;
    }
  }

 private:
  // Whether `e` may differ between the threads of a block: it uses a thread loop's variable
  // (or a let bound to one) or reads memory.
  bool depends_on_threads(const Expr& e) const {
    bool dep = false;
    post_order_visit(e, [&](const IRNode* n) {
      dep = dep || n->kind() == NodeKind::kLoad || (n->kind() == NodeKind::kVar && thread_vars_.count(n));
    });
    return dep;
  }

  // Places barriers between the statements of `s` (a sequence, or one statement): before a
  // statement that reads shared memory written since the last barrier, or writes shared
  // memory read since then. In a loop body, also at its end when the next
  // iteration's first statements would conflict with the last ones.
  Stmt sequence(const Stmt& s, bool uniform, bool loop_body) {
    std::vector<Stmt> items;
    if (s.defined() && s.kind() == NodeKind::kBlock) {
      items = s.as<Block>()->stmts;
    } else if (s.defined()) {
      items = {s};
    }
    std::vector<Stmt> out;
    std::vector<SharedUse> uses;
    for (const Stmt& item : items) {
      out.push_back(place(item, uniform));
      uses.push_back(shared_use(item));
    }
    SharedUse since;  // since the last barrier
    std::vector<Stmt> placed;
    auto conflict = [&](const SharedUse& u) {
      // Read after write and write after read. Two writes without a read between them need
      // no order: schedules only write the same element twice with the same value.
      return meets(u.reads, since.writes) || meets(u.writes, since.reads);
    };
    auto barrier = [&](const std::string& between) {
      if (!uniform) {
        CINN_THROW(ScheduleError) << "insert_gpu_barriers: threads exchange data through shared memory " << between
                                  << ", but not every thread of the block gets there (under a condition "
                                     "or a cooperative loop), so no barrier can be placed";
      }
      placed.push_back(Evaluate::make(make_gpu_sync_threads()));
      since = SharedUse{};
    };
    for (size_t i = 0; i < out.size(); ++i) {
      if (conflict(uses[i])) barrier("between two statements");
      placed.push_back(out[i]);
      since.reads.insert(uses[i].reads.begin(), uses[i].reads.end());
      since.writes.insert(uses[i].writes.begin(), uses[i].writes.end());
    }
    if (loop_body) {
      // The next iteration's statements up to its first barrier run after these.
      for (size_t i = 0, n = placed.size(); i < n; ++i) {
        const Stmt item = placed[i];
        const auto* ev = item.as<Evaluate>();
        const auto* call = ev ? ev->value.as<Call>() : nullptr;
        if (call && is_gpu_sync_threads(call)) break;
        SharedUse u = shared_use(item);
        if (conflict(u)) {
          barrier("from one loop iteration to the next");
          break;
        }
        since.reads.insert(u.reads.begin(), u.reads.end());
        since.writes.insert(u.writes.begin(), u.writes.end());
      }
    }
    if (placed.size() == 1) return placed[0];
    return Block::make(placed);
  }

  std::array<bool, 3> open_{};  // thread axes bound by enclosing loops
  std::set<const IRNode*> thread_vars_;
};

}  // namespace

Stmt insert_gpu_barriers(const Stmt& s) { return BarrierInserter().place(s, true); }

}  // namespace cinn::ir
