// compute_inline and reverse_compute_inline.
#include <set>

#include "cinn/ir/ir_operators.h"
#include "cinn/ir/printer.h"
#include "cinn/ir/schedule.h"
#include "cinn/ir/schedule_internal.h"
#include "cinn/ir/simplify.h"
#include "cinn/ir/visitor.h"

namespace cinn::ir {
namespace {

using sched::BlockSite;

// Replaces loads of `buffer` by `fn(indices)` and refreshes the regions of the blocks that
// change.
class LoadRewriter : public IRMutator {
 public:
  LoadRewriter(Buffer buffer, std::function<Expr(const std::vector<Expr>&)> fn)
      : buffer_(std::move(buffer)), fn_(std::move(fn)) {}

 protected:
  Expr mutate_Load(const Load* op) override {
    Expr e = IRMutator::mutate_Load(op);
    const auto* l = e.as<Load>();
    if (!l->buffer.same_as(buffer_)) return e;
    return fn_(l->indices);
  }
  Stmt mutate_ScheduleBlock(const ScheduleBlock* op) override {
    Stmt s = IRMutator::mutate_ScheduleBlock(op);
    if (s.same_as(Stmt(op))) return s;
    const auto* b = s.as<ScheduleBlock>();
    return sched::make_block(b, b->iter_vars, b->init, b->body);
  }

 private:
  Buffer buffer_;
  std::function<Expr(const std::vector<Expr>&)> fn_;
};

// The positions of a block's iter_vars among `indices` if the indices are exactly its
// iter_vars in some order (each once): pos[k] = the iter_var index used at index k.
bool indices_are_iter_vars(const ScheduleBlock* b, const std::vector<Expr>& indices,
                           std::vector<size_t>* pos) {
  if (indices.size() != b->iter_vars.size()) return false;
  std::set<size_t> used;
  pos->clear();
  for (const Expr& e : indices) {
    size_t k = 0;
    while (k < b->iter_vars.size() && !b->iter_vars[k].var.same_as(e)) ++k;
    if (k == b->iter_vars.size() || !used.insert(k).second) return false;
    pos->push_back(k);
  }
  return true;
}

bool loads_buffer(const Expr& e, const Buffer& b) {
  bool found = false;
  post_order_visit(e, [&](const IRNode* n) {
    found |= n->kind() == NodeKind::kLoad && static_cast<const Load*>(n)->buffer.same_as(b);
  });
  return found;
}

// A spatial block whose body is one Store; throws otherwise.
const Store* single_spatial_store(const ScheduleBlock* b, const char* primitive) {
  for (const IterVar& iv : b->iter_vars) {
    if (iv.is_reduce()) {
      CINN_THROW(ScheduleError) << primitive << ": block '" << b->name
                                << "' is a reduction (iter_var '" << iv.var.var_name()
                                << "' is reduce); only spatial blocks can be inlined";
    }
  }
  const auto* st = b->body.as<Store>();
  if (!st || b->init.defined()) {
    CINN_THROW(ScheduleError) << primitive << ": block '" << b->name
                              << "' must consist of a single store to be inlined";
  }
  return st;
}

}  // namespace

void IRSchedule::compute_inline(BlockRV block) {
  const char* kP = "compute_inline";
  BlockSite site = sched::find_block(func_.body(), lookup(block, kP), kP);
  const ScheduleBlock* b = site.block;
  const Store* st = single_spatial_store(b, kP);
  const Buffer& out = st->buffer;
  if (!sched::is_temp(func_, out)) {
    CINN_THROW(ScheduleError) << kP << ": block '" << b->name << "' writes '" << out.name()
                              << "', an argument of function '" << func_.name()
                              << "'; only blocks writing intermediate buffers can be inlined";
  }
  std::vector<size_t> pos;
  if (!indices_are_iter_vars(b, st->indices, &pos)) {
    CINN_THROW(ScheduleError) << kP << ": block '" << b->name << "' must store to '"
                              << out.name() << "' at its iter_vars (one per index); got "
                              << to_string(Stmt(st));
  }
  if (loads_buffer(st->value, out)) {
    CINN_THROW(ScheduleError) << kP << ": block '" << b->name << "' reads its own output";
  }
  if (sched::writers_of(func_.body(), out).size() != 1) {
    CINN_THROW(ScheduleError) << kP << ": '" << out.name() << "' has more than one writer";
  }
  Expr value = st->value;
  std::vector<Expr> vars;
  for (size_t k : pos) vars.push_back(b->iter_vars[k].var);
  LoadRewriter rw(out, [&](const std::vector<Expr>& idx) {
    VarMap m;
    for (size_t k = 0; k < idx.size(); ++k) m[vars[k].as<Var>()] = idx[k];
    return substitute(value, m);
  });
  Stmt body = rw.mutate(sched::remove_stmt(func_.body(), site.realize));
  set_func(sched::remove_temp_buffer(func_.with_body(body), out));
  record({kP, {block.id}, {}, {}, {}, {}});
}

void IRSchedule::reverse_compute_inline(BlockRV block) {
  const char* kP = "reverse_compute_inline";
  BlockSite site = sched::find_block(func_.body(), lookup(block, kP), kP);
  const ScheduleBlock* c = site.block;
  const Store* cst = single_spatial_store(c, kP);
  // The one intermediate buffer the consumer reads, always at its iter_vars.
  Buffer in;
  std::vector<Expr> in_idx;
  post_order_visit(cst->value, [&](const IRNode* n) {
    if (n->kind() != NodeKind::kLoad) return;
    const auto* l = static_cast<const Load*>(n);
    if (!sched::is_temp(func_, l->buffer)) return;
    if (in.defined() && !in.same_as(l->buffer)) {
      CINN_THROW(ScheduleError) << kP << ": block '" << c->name << "' reads two intermediate "
                                << "buffers ('" << in.name() << "' and '" << l->buffer.name()
                                << "'); it can be inlined into one producer only";
    }
    in = l->buffer;
    in_idx = l->indices;
  });
  if (!in.defined()) {
    CINN_THROW(ScheduleError) << kP << ": block '" << c->name
                              << "' reads no intermediate buffer to inline into";
  }
  std::vector<size_t> pos;
  bool ok = indices_are_iter_vars(c, in_idx, &pos);
  post_order_visit(cst->value, [&](const IRNode* n) {
    if (n->kind() != NodeKind::kLoad) return;
    const auto* l = static_cast<const Load*>(n);
    if (!l->buffer.same_as(in)) return;
    for (size_t k = 0; k < l->indices.size(); ++k) ok &= l->indices[k].same_as(in_idx[k]);
  });
  for (size_t k = 0; ok && k < pos.size(); ++k) {
    const Range& r = c->iter_vars[pos[k]].range;
    ok = can_prove(r.min == Expr(0) && r.extent == in.shape()[k]);
  }
  if (!ok) {
    CINN_THROW(ScheduleError) << kP << ": block '" << c->name << "' must read '" << in.name()
                              << "' elementwise: every access at its iter_vars, which span "
                              << "the whole buffer";
  }
  auto writers = sched::writers_of(func_.body(), in);
  auto readers = sched::readers_of(func_.body(), in);
  if (writers.size() != 1 || readers.size() != 1) {
    auto names = [](const std::vector<BlockSite>& sites) {
      std::string out;
      for (const BlockSite& s : sites) out += (out.empty() ? "'" : ", '") + s.block->name + "'";
      return out.empty() ? std::string("none") : out;
    };
    CINN_THROW(ScheduleError) << kP << ": block '" << c->name << "' goes into the block writing '"
                              << in.name() << "', so it must be the only block reading '" << in.name()
                              << "' and that block the only one writing it; written by " << names(writers)
                              << ", read by " << names(readers);
  }
  const ScheduleBlock* p = writers[0].block;
  const Store* pst = single_spatial_store(p, kP);
  // Consumer iter_var pos[k] takes the producer's k-th store index.
  VarMap m;
  for (size_t k = 0; k < pos.size(); ++k) m[c->iter_vars[pos[k]].var.as<Var>()] = pst->indices[k];
  Expr value = substitute(cst->value, m);
  LoadRewriter rw(in, [&](const std::vector<Expr>&) { return pst->value; });
  value = rw.mutate(value);
  std::vector<Expr> out_idx;
  for (const Expr& e : cst->indices) out_idx.push_back(substitute(e, m));
  Stmt nb = sched::make_block(p, p->iter_vars, Stmt(), Store::make(cst->buffer, value, out_idx));
  Stmt body = sched::remove_stmt(func_.body(), site.realize);
  body = sched::replace_stmt(body, p, nb);
  set_func(sched::remove_temp_buffer(func_.with_body(body), in));
  record({kP, {block.id}, {}, {}, {}, {}});
}

}  // namespace cinn::ir
