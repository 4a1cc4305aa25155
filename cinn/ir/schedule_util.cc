#include <algorithm>
#include <set>

#include "cinn/ir/equality.h"
#include "cinn/ir/ir_operators.h"
#include "cinn/ir/printer.h"
#include "cinn/ir/schedule_internal.h"
#include "cinn/ir/simplify.h"
#include "cinn/ir/visitor.h"

namespace cinn::ir::sched {
namespace {

class BlockCollector : public IRVisitor {
 public:
  std::vector<BlockSite> sites;

 protected:
  void visit_For(const For* op) override {
    path_.push_back(op);
    IRVisitor::visit_For(op);
    path_.pop_back();
  }
  void visit_IfThenElse(const IfThenElse* op) override {
    path_.push_back(op);
    IRVisitor::visit_IfThenElse(op);
    path_.pop_back();
  }
  void visit_ScheduleBlockRealize(const ScheduleBlockRealize* op) override {
    sites.push_back({op, op->block.as<ScheduleBlock>(), path_});
    IRVisitor::visit_ScheduleBlockRealize(op);
  }

 private:
  std::vector<const StmtNode*> path_;
};

// Replaces one statement node by identity, whatever its kind.
class Replacer : public IRMutator {
 public:
  Replacer(const IRNode* target, Stmt with) : target_(target), with_(std::move(with)) {}

 protected:
#define CINN_EXPR_NODE(Name)
#define CINN_STMT_NODE(Name)                                         \
  Stmt mutate_##Name(const Name* op) override {                     \
    if (op == target_) return with_;                                 \
    return IRMutator::mutate_##Name(op);                             \
  }
#include "cinn/ir/node_kinds.def"

 private:
  const IRNode* target_;
  Stmt with_;
};

// Drops empty statements bottom-up and splices nested sequences.
class Pruner : public IRMutator {
 protected:
  Stmt mutate_Block(const Block* op) override {
    Stmt s = IRMutator::mutate_Block(op);
    const auto* b = s.as<Block>();
    if (!b) return s;
    bool flat = std::none_of(b->stmts.begin(), b->stmts.end(), [](const Stmt& c) {
      return c.as<Block>() != nullptr;
    });
    if (flat && s.same_as(Stmt(op))) return s;
    return make_seq(b->stmts);
  }
  Stmt mutate_For(const For* op) override {
    Stmt s = IRMutator::mutate_For(op);
    if (const auto* f = s.as<For>(); f && is_empty_stmt(f->body)) return Block::make({});
    return s;
  }
  Stmt mutate_IfThenElse(const IfThenElse* op) override {
    Stmt s = IRMutator::mutate_IfThenElse(op);
    const auto* i = s.as<IfThenElse>();
    if (i && is_empty_stmt(i->then_case) &&
        (!i->else_case.defined() || is_empty_stmt(i->else_case))) {
      return Block::make({});
    }
    return s;
  }
};

// Moves every access of `from` to `to`, mapping the indices; blocks that change get fresh
// regions.
class AccessRewriter : public IRMutator {
 public:
  AccessRewriter(const Buffer& from, const Buffer& to, const IndexMap& index_fn)
      : from_(from), to_(to), index_fn_(index_fn) {}

 protected:
  std::vector<Expr> map(const std::vector<Expr>& idx) const {
    return index_fn_ ? index_fn_(idx) : idx;
  }
  Expr mutate_Load(const Load* op) override {
    Expr e = IRMutator::mutate_Load(op);
    const auto* l = e.as<Load>();
    if (!l->buffer.same_as(from_)) return e;
    return Load::make(to_, map(l->indices));
  }
  Stmt mutate_Store(const Store* op) override {
    Stmt s = IRMutator::mutate_Store(op);
    const auto* st = s.as<Store>();
    if (!st->buffer.same_as(from_)) return s;
    return Store::make(to_, st->value, map(st->indices));
  }
  Stmt mutate_Allocate(const Allocate* op) override {
    return op->buffer.same_as(from_) ? Allocate::make(to_) : Stmt(op);
  }
  Stmt mutate_Free(const Free* op) override {
    return op->buffer.same_as(from_) ? Free::make(to_) : Stmt(op);
  }
  Stmt mutate_ScheduleBlock(const ScheduleBlock* op) override {
    Stmt s = IRMutator::mutate_ScheduleBlock(op);
    if (s.same_as(Stmt(op))) return s;
    const auto* b = s.as<ScheduleBlock>();
    return make_block(b, b->iter_vars, b->init, b->body);
  }

 private:
  const Buffer& from_;
  const Buffer& to_;
  const IndexMap& index_fn_;
};

bool accesses(const Stmt& s, const Buffer& b, bool writes) {
  bool found = false;
  post_order_visit(s, [&](const IRNode* n) {
    if (writes && n->kind() == NodeKind::kStore) {
      found |= static_cast<const Store*>(n)->buffer.same_as(b);
    } else if (!writes && n->kind() == NodeKind::kLoad) {
      found |= static_cast<const Load*>(n)->buffer.same_as(b);
    }
  });
  return found;
}

}  // namespace

std::vector<const For*> BlockSite::loops() const {
  std::vector<const For*> out;
  for (const StmtNode* n : path) {
    if (n->kind() == NodeKind::kFor) out.push_back(static_cast<const For*>(n));
  }
  return out;
}

std::vector<BlockSite> all_blocks(const Stmt& root) {
  BlockCollector c;
  c.visit(root);
  return c.sites;
}

BlockSite find_block(const Stmt& root, const std::string& name, const char* primitive) {
  std::string known;
  for (const BlockSite& s : all_blocks(root)) {
    if (s.block->name == name) return s;
    known += (known.empty() ? "" : ", ") + s.block->name;
  }
  CINN_THROW(ScheduleError) << primitive << ": no block named '" << name << "' (blocks: "
                            << known << ")";
}

const For* find_loop(const Stmt& root, const Expr& var) {
  const For* found = nullptr;
  post_order_visit(root, [&](const IRNode* n) {
    if (n->kind() == NodeKind::kFor && static_cast<const For*>(n)->loop_var.same_as(var)) {
      found = static_cast<const For*>(n);
    }
  });
  return found;
}

bool contains(const Stmt& outer, const IRNode* inner) {
  bool found = false;
  post_order_visit(outer, [&](const IRNode* n) { found |= n == inner; });
  return found;
}

std::string loop_desc(const For* f) {
  return "loop '" + f->loop_var.var_name() + "' (for " + f->loop_var.var_name() + " in [" +
         to_string(f->min) + ", " + to_string(f->min) + " + " + to_string(f->extent) + "))";
}

bool is_empty_stmt(const Stmt& s) {
  const auto* b = s.as<Block>();
  return b && b->stmts.empty();
}

Stmt make_seq(const std::vector<Stmt>& stmts) {
  std::vector<Stmt> out;
  for (const Stmt& s : stmts) {
    if (!s.defined() || is_empty_stmt(s)) continue;
    if (const auto* b = s.as<Block>()) {
      for (const Stmt& c : b->stmts) out.push_back(c);
    } else {
      out.push_back(s);
    }
  }
  if (out.size() == 1) return out[0];
  return Block::make(std::move(out));
}

Stmt replace_stmt(const Stmt& root, const IRNode* target, const Stmt& with) {
  CINN_CHECK(contains(root, target)) << "schedule: the statement to replace is not in the tree";
  return Replacer(target, with).mutate(root);
}

Stmt remove_stmt(const Stmt& root, const IRNode* target) {
  Stmt s = Pruner().mutate(replace_stmt(root, target, Block::make({})));
  return s;
}

Stmt insert_stmt(const Stmt& root, const IRNode* anchor, const Stmt& s, bool after) {
  Stmt anchor_stmt(static_cast<const StmtNode*>(anchor));
  Stmt seq = after ? Block::make({anchor_stmt, s}) : Block::make({s, anchor_stmt});
  return Pruner().mutate(replace_stmt(root, anchor, seq));
}

Stmt add_to_loop_body(const Stmt& root, const For* loop, const Stmt& s, bool at_end) {
  Stmt body = at_end ? make_seq({loop->body, s}) : make_seq({s, loop->body});
  Stmt f = For::make(loop->loop_var, loop->min, loop->extent, loop->for_kind, body);
  return replace_stmt(root, loop, f);
}

Stmt make_block(const ScheduleBlock* like, std::vector<IterVar> iter_vars, Stmt init,
                Stmt body, const std::string& name) {
  std::vector<BufferRegion> reads, writes;
  std::vector<Expr> seen_loads;
  std::vector<Stmt> seen_stores;
  std::set<const BufferNode*> written;
  auto collect_writes = [&](const Stmt& s) {
    post_order_visit(s, [&](const IRNode* n) {
      if (n->kind() != NodeKind::kStore) return;
      const auto* st = static_cast<const Store*>(n);
      written.insert(st->buffer.get());
      Stmt key = Store::make(st->buffer, make_zero(st->buffer.dtype()), st->indices);
      for (const Stmt& k : seen_stores) {
        if (structural_equal(k, key)) return;
      }
      seen_stores.push_back(key);
      std::vector<Range> region;
      for (const Expr& i : st->indices) region.push_back({i, Expr(1)});
      writes.push_back({st->buffer, region});
    });
  };
  auto collect_reads = [&](const Stmt& s) {
    post_order_visit(s, [&](const IRNode* n) {
      if (n->kind() != NodeKind::kLoad) return;
      const auto* ld = static_cast<const Load*>(n);
      if (written.count(ld->buffer.get())) return;
      Expr e(ld);
      for (const Expr& k : seen_loads) {
        if (structural_equal(k, e)) return;
      }
      seen_loads.push_back(e);
      std::vector<Range> region;
      for (const Expr& i : ld->indices) region.push_back({i, Expr(1)});
      reads.push_back({ld->buffer, region});
    });
  };
  collect_writes(body);
  if (init.defined()) collect_writes(init);
  collect_reads(body);
  if (init.defined()) collect_reads(init);
  CINN_CHECK(like || !name.empty()) << "make_block needs a name";
  return ScheduleBlock::make(name.empty() ? like->name : name, std::move(iter_vars),
                             std::move(reads), std::move(writes), std::move(init),
                             std::move(body), like ? like->annotations
                                                   : std::map<std::string, std::string>{});
}

Buffer find_buffer(const LoweredFunc& f, const std::string& name, const char* primitive) {
  for (const Argument& a : f.args()) {
    if (a.buffer.name() == name) return a.buffer;
  }
  for (const Buffer& b : f->temp_buffers) {
    if (b.name() == name) return b;
  }
  std::string known;
  for (const Argument& a : f.args()) known += (known.empty() ? "" : ", ") + a.buffer.name();
  for (const Buffer& b : f->temp_buffers) known += (known.empty() ? "" : ", ") + b.name();
  CINN_THROW(ScheduleError) << primitive << ": function '" << f.name()
                            << "' has no buffer named '" << name << "' (buffers: " << known
                            << ")";
}

bool is_argument(const LoweredFunc& f, const Buffer& b) {
  return std::any_of(f.args().begin(), f.args().end(),
                     [&](const Argument& a) { return a.buffer.same_as(b); });
}

bool is_temp(const LoweredFunc& f, const Buffer& b) {
  return std::any_of(f->temp_buffers.begin(), f->temp_buffers.end(),
                     [&](const Buffer& t) { return t.same_as(b); });
}

LoweredFunc add_temp_buffer(const LoweredFunc& f, const Buffer& b) {
  std::vector<Buffer> temps = f->temp_buffers;
  temps.push_back(b);
  Stmt body = make_seq({Allocate::make(b), f.body(), Free::make(b)});
  return LoweredFunc::make(f.name(), f.args(), f.size_vars(), temps, body);
}

LoweredFunc remove_temp_buffer(const LoweredFunc& f, const Buffer& b) {
  std::vector<Buffer> temps;
  for (const Buffer& t : f->temp_buffers) {
    if (!t.same_as(b)) temps.push_back(t);
  }
  Stmt body = f.body();
  std::vector<const IRNode*> allocs;
  post_order_visit(body, [&](const IRNode* n) {
    if ((n->kind() == NodeKind::kAllocate && static_cast<const Allocate*>(n)->buffer.same_as(b)) ||
        (n->kind() == NodeKind::kFree && static_cast<const Free*>(n)->buffer.same_as(b))) {
      allocs.push_back(n);
    }
  });
  for (const IRNode* n : allocs) body = remove_stmt(body, n);
  return LoweredFunc::make(f.name(), f.args(), f.size_vars(), temps, body);
}

Stmt rewrite_accesses(const Stmt& s, const Buffer& from, const Buffer& to,
                      const IndexMap& index_fn) {
  return AccessRewriter(from, to, index_fn).mutate(s);
}

LoweredFunc replace_buffer(const LoweredFunc& f, const Buffer& from, const Buffer& to,
                           const IndexMap& index_fn) {
  std::vector<Buffer> temps = f->temp_buffers;
  for (Buffer& t : temps) {
    if (t.same_as(from)) t = to;
  }
  Stmt body = rewrite_accesses(f.body(), from, to, index_fn);
  return LoweredFunc::make(f.name(), f.args(), f.size_vars(), temps, body);
}

std::set<const Var*> reduction_vars(const ScheduleBlockRealize* r) {
  const auto* b = r->block.as<ScheduleBlock>();
  std::set<const Var*> spatial, divided, reduce;
  for (size_t i = 0; i < b->iter_vars.size(); ++i) {
    const Expr& e = r->iter_values[i];
    if (b->iter_vars[i].is_reduce()) {
      collect_vars(e, &reduce);
      continue;
    }
    collect_vars(e, &spatial);
    post_order_visit(e, [&](const IRNode* n) {
      if (n->kind() == NodeKind::kDiv) {
        collect_vars(static_cast<const Div*>(n)->a, &divided);
        collect_vars(static_cast<const Div*>(n)->b, &divided);
      } else if (n->kind() == NodeKind::kMod) {
        collect_vars(static_cast<const Mod*>(n)->a, &divided);
        collect_vars(static_cast<const Mod*>(n)->b, &divided);
      }
    });
  }
  std::set<const Var*> out;
  for (const Var* v : reduce) {
    if (!spatial.count(v) || divided.count(v)) out.insert(v);
  }
  return out;
}

std::vector<BlockSite> blocks_reduced_by(const Stmt& s, const Expr& var) {
  std::vector<BlockSite> out;
  for (const BlockSite& site : all_blocks(s)) {
    if (reduction_vars(site.realize).count(var.as<Var>())) out.push_back(site);
  }
  return out;
}

const IRNode* nest_root(const BlockSite& site) {
  return site.path.empty() ? static_cast<const IRNode*>(site.realize) : site.path.front();
}

std::string fresh_block_name(const LoweredFunc& f, const std::string& base) {
  std::set<std::string> taken;
  for (const BlockSite& s : all_blocks(f.body())) taken.insert(s.block->name);
  std::string name = base;
  for (int i = 1; taken.count(name); ++i) name = base + "_" + std::to_string(i);
  return name;
}

std::string fresh_buffer_name(const LoweredFunc& f, const std::string& base) {
  std::set<std::string> taken;
  for (const Argument& a : f.args()) taken.insert(a.buffer.name());
  for (const Buffer& b : f->temp_buffers) taken.insert(b.name());
  std::string name = base;
  for (int i = 1; taken.count(name); ++i) name = base + "_" + std::to_string(i);
  return name;
}

std::vector<BlockSite> writers_of(const Stmt& root, const Buffer& b) {
  std::vector<BlockSite> out;
  for (const BlockSite& s : all_blocks(root)) {
    if (accesses(s.block->body, b, true) ||
        (s.block->init.defined() && accesses(s.block->init, b, true))) {
      out.push_back(s);
    }
  }
  return out;
}

std::vector<BlockSite> readers_of(const Stmt& root, const Buffer& b) {
  std::vector<BlockSite> out;
  for (const BlockSite& s : all_blocks(root)) {
    // A reduction reading its own accumulator is a writer, not a reader.
    if (accesses(s.block->body, b, false) && !accesses(s.block->body, b, true)) {
      out.push_back(s);
    }
  }
  return out;
}

VarMap block_bindings(const BlockSite& site) {
  VarMap m;
  for (size_t i = 0; i < site.block->iter_vars.size(); ++i) {
    m[site.block->iter_vars[i].var.as<Var>()] = site.realize->iter_values[i];
  }
  return m;
}

VarRanges loop_ranges(const std::vector<const For*>& loops) {
  VarRanges r;
  for (const For* f : loops) {
    Interval mn = bounds_of(f->min, r), ext = bounds_of(f->extent, r);
    Interval iv;
    iv.min = mn.min;
    if (mn.max && ext.max) iv.max = *mn.max + *ext.max - 1;
    r[f->loop_var.as<Var>()] = iv;
  }
  return r;
}

void RegionUnion::add(const std::vector<Expr>& idx, const std::vector<const For*>& relaxed,
                      const std::vector<const For*>& all) {
  VarRanges ranges = loop_ranges(all);
  VarMap to_min;
  for (const For* f : relaxed) to_min[f->loop_var.as<Var>()] = f->min;
  for (size_t k = 0; k < idx.size(); ++k) {
    if (whole_[k]) continue;
    Expr m = idx[k];
    for (size_t it = 0; it <= relaxed.size(); ++it) m = substitute(m, to_min);
    m = simplify(m);
    Interval iv = bounds_of(simplify(idx[k] - m, ranges), ranges);
    if (!iv.is_bounded()) {
      whole_[k] = true;
      continue;
    }
    if (!base_[k].defined()) {
      base_[k] = m;
      lo_[k] = *iv.min;
      hi_[k] = *iv.max;
      continue;
    }
    const int64_t* delta = as_const_int(simplify(m - base_[k]));
    if (!delta) {
      whole_[k] = true;
      continue;
    }
    lo_[k] = std::min(lo_[k], *delta + *iv.min);
    hi_[k] = std::max(hi_[k], *delta + *iv.max);
  }
}

DimRegion RegionUnion::dim(size_t k) const {
  if (whole_[k] || !base_[k].defined()) return {};
  return {simplify(base_[k] + Expr(lo_[k])), hi_[k] - lo_[k] + 1};
}

}  // namespace cinn::ir::sched
