#include "cinn/backends/schedule_common.h"

#include <algorithm>

#include "cinn/ir/ir_operators.h"
#include "cinn/ir/substitute.h"
#include "cinn/ir/visitor.h"

namespace cinn::backends {

int64_t extent_of(ir::IRSchedule& sch, ir::LoopRV l) {
  const int64_t* e = ir::as_const_int(sch.loop_node(l)->extent);
  return e ? *e : -1;
}

bool is_reduction(const ir::ScheduleBlock* b) {
  for (const auto& iv : b->iter_vars) {
    if (iv.is_reduce()) return true;
  }
  return false;
}

int num_spatial(const ir::ScheduleBlock* b) {
  int n = 0;
  for (const auto& iv : b->iter_vars) n += iv.is_reduce() ? 0 : 1;
  return n;
}

std::set<std::string> arg_buffers(const ir::LoweredFunc& f) {
  std::set<std::string> out;
  for (const auto& a : f->args) out.insert(a.buffer.name());
  return out;
}

bool feeds_reduce(ir::IRSchedule& sch, ir::BlockRV b, ir::LoopRV loop) {
  const ir::ScheduleBlock* node = sch.block_node(b);
  std::vector<ir::Expr> values = sch.block_iter_values(b);
  ir::Expr var = sch.loop_var(loop);
  for (size_t i = 0; i < node->iter_vars.size(); ++i) {
    if (node->iter_vars[i].is_reduce() && ir::uses_any_var(values[i], {var})) return true;
  }
  return false;
}

namespace {

int64_t count_nodes(const ir::Stmt& s) {
  int64_t n = 0;
  ir::post_order_visit(s, [&](const ir::IRNode*) { ++n; });
  return n;
}

int64_t count_loads(const ir::Stmt& s, const std::string& buffer) {
  int64_t n = 0;
  ir::post_order_visit(s, [&](const ir::IRNode* node) {
    if (node->kind() == ir::Load::kNodeKind) {
      n += static_cast<const ir::Load*>(node)->buffer.name() == buffer;
    }
  });
  return n;
}

}  // namespace

void inline_intermediates(ir::IRSchedule& sch, const std::function<bool(const ir::ScheduleBlock*)>& keep) {
  std::set<std::string> args = arg_buffers(sch.func());
  for (ir::BlockRV b : sch.get_all_blocks()) {
    const ir::ScheduleBlock* node = sch.block_node(b);
    if (is_reduction(node) || node->writes.empty()) continue;
    const std::string& buffer = node->writes[0].buffer.name();
    if (args.count(buffer)) continue;
    if (keep && keep(node)) continue;
    int64_t uses = count_loads(sch.func()->body, buffer);
    if (uses > 1 && count_nodes(node->body) * uses > kRecomputeBudget) continue;
    attempt([&] { sch.compute_inline(b); });
  }
}

namespace {

// How many of the leading dimensions of `w`, up to `limit`, no block reduces over: a block
// that reads w with one of its reduce iter vars in the index of dimension d combines the
// values along d (a staged sum's partial results), so d's loop cannot be shared with it.
size_t unreduced_leading_dims(ir::IRSchedule& sch, const std::vector<ir::BlockRV>& blocks,
                              const ir::BufferNode* w, size_t limit) {
  for (ir::BlockRV c : blocks) {
    const ir::ScheduleBlock* node = sch.block_node(c);
    std::vector<ir::Expr> reduce_vars;
    for (const auto& iv : node->iter_vars) {
      if (iv.is_reduce()) reduce_vars.push_back(iv.var);
    }
    if (reduce_vars.empty()) continue;
    ir::post_order_visit(node->body, [&](const ir::IRNode* n) {
      if (n->kind() != ir::NodeKind::kLoad) return;
      const auto* l = static_cast<const ir::Load*>(n);
      if (l->buffer.get() != w) return;
      for (size_t d = 0; d < limit && d < l->indices.size(); ++d) {
        if (ir::uses_any_var(l->indices[d], reduce_vars)) limit = d;
      }
    });
  }
  return limit;
}

}  // namespace

size_t common_leading_depth(ir::IRSchedule& sch) {
  std::vector<ir::BlockRV> blocks = sch.get_all_blocks();
  if (blocks.size() < 2 || is_reduction(sch.block_node(blocks.back()))) return 0;
  auto last_loops = sch.get_loops(blocks.back());
  size_t depth = last_loops.size();
  for (size_t bi = 0; bi + 1 < blocks.size(); ++bi) {
    auto loops = sch.get_loops(blocks[bi]);
    size_t n = std::min<size_t>(num_spatial(sch.block_node(blocks[bi])), loops.size());
    if (!sch.block_node(blocks[bi])->writes.empty()) {
      n = unreduced_leading_dims(sch, blocks, sch.block_node(blocks[bi])->writes[0].buffer.get(), n);
    }
    size_t match = 0;
    while (match < n && match < last_loops.size() &&
           extent_of(sch, loops[match]) == extent_of(sch, last_loops[match]) &&
           extent_of(sch, loops[match]) > 0) {
      ++match;
    }
    depth = std::min(depth, match);
  }
  return depth;
}

bool update_loops(ir::IRSchedule& sch, ir::BlockRV b, std::vector<ir::LoopRV>* parallel,
                  std::vector<ir::LoopRV>* serial) {
  const ir::ScheduleBlock* node = sch.block_node(b);
  if (node->writes.size() != 1) return false;
  std::vector<ir::Expr> direct;  // index expressions of point-wise dimensions
  bool spans = false;
  for (const ir::Range& r : node->writes[0].region) {
    if (ir::is_one(r.extent)) direct.push_back(r.min);
    else spans = true;
  }
  auto loops = sch.get_loops(b);
  std::vector<ir::Expr> values = sch.block_iter_values(b);
  if (!spans || loops.size() != node->iter_vars.size()) return false;
  parallel->clear();
  serial->clear();
  for (size_t t = 0; t < loops.size(); ++t) {
    if (!values[t].same_as(sch.loop_var(loops[t]))) return false;  // not as lowered
    bool indexes = false;
    for (const ir::Expr& e : direct) indexes = indexes || ir::uses_any_var(e, {node->iter_vars[t].var});
    (indexes ? parallel : serial)->push_back(loops[t]);
  }
  return !parallel->empty();
}

bool compute_at_last(ir::IRSchedule& sch, size_t depth) {
  std::vector<ir::BlockRV> blocks = sch.get_all_blocks();
  if (depth == 0 || blocks.size() < 2) return false;
  ir::BlockRV last = blocks.back();
  for (size_t bi = blocks.size() - 1; bi-- > 0;) {
    if (!attempt([&] { sch.compute_at(blocks[bi], sch.get_loops(last)[depth - 1]); })) return false;
  }
  return true;
}

bool reduces_rows(const ir::ScheduleBlock* b) {
  if (!is_reduction(b) || b->writes.empty()) return false;
  ir::Expr inner;
  std::vector<ir::Expr> reduce_vars;
  for (const auto& iv : b->iter_vars) {
    if (iv.is_reduce()) reduce_vars.push_back(inner = iv.var);
  }
  bool contiguous = true, loads = false;
  ir::post_order_visit(b->body, [&](const ir::IRNode* n) {
    if (n->kind() != ir::NodeKind::kLoad) return;
    const auto* l = static_cast<const ir::Load*>(n);
    if (l->buffer.same_as(b->writes[0].buffer) || l->indices.empty()) return;
    bool varies = false;  // loads the same value for every reduce value: not a stream
    for (const ir::Expr& i : l->indices) varies = varies || ir::uses_any_var(i, reduce_vars);
    if (!varies) return;
    loads = true;
    contiguous = contiguous && ir::uses_any_var(l->indices.back(), {inner});
  });
  return loads && contiguous;
}

}  // namespace cinn::backends
