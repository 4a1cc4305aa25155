#include "cinn/ir/schedule.h"

#include <algorithm>
#include <atomic>
#include <set>

#include "cinn/ir/ir_operators.h"
#include "cinn/ir/printer.h"
#include "cinn/ir/gpu_launch.h"
#include "cinn/ir/schedule_internal.h"
#include "cinn/ir/simplify.h"
#include "cinn/ir/substitute.h"
#include "cinn/ir/verifier.h"
#include "cinn/ir/visitor.h"
#include "cinn/poly/loop_deps.h"

namespace cinn::ir {
namespace {

using sched::find_loop;
using sched::loop_desc;

std::atomic<uint64_t> g_next_schedule{1};

// Throws if the function with `new_body`, which rewrote only the loop nest `scope`, would run
// a dependence of `f` the other way round.
void check_dependences_kept(const LoweredFunc& f, const Stmt& new_body, const For* scope,
                            const std::string& what) {
  std::string d = poly::check_dependences_preserved(f, f.with_body(new_body), scope->loop_var);
  if (!d.empty()) CINN_THROW(ScheduleError) << what << " would reverse a dependence: " << d;
}

// "'i', 'j'"
std::string loop_list(const std::vector<const For*>& loops) {
  std::string s;
  for (const For* f : loops) s += (s.empty() ? "'" : ", '") + f->loop_var.var_name() + "'";
  return s;
}

}  // namespace

IRSchedule::IRSchedule(LoweredFunc f, uint64_t seed)
    : func_(std::move(f)), id_(g_next_schedule++), rng_(seed) {}

LoopRV IRSchedule::new_loop_rv(const Expr& var) {
  int id = next_rv_++;
  loops_[id] = var;
  return {id_, id};
}

BlockRV IRSchedule::new_block_rv(const std::string& name) {
  int id = next_rv_++;
  blocks_[id] = name;
  return {id_, id};
}

Expr IRSchedule::loop_var(LoopRV loop) const {
  if (loop.schedule != id_) {
    CINN_THROW(ScheduleError) << "the loop handle belongs to another schedule";
  }
  auto it = loops_.find(loop.id);
  if (it == loops_.end()) CINN_THROW(ScheduleError) << "unknown loop handle " << loop.id;
  return it->second;
}

std::string IRSchedule::block_name(BlockRV block) const {
  if (block.schedule != id_) {
    CINN_THROW(ScheduleError) << "the block handle belongs to another schedule";
  }
  auto it = blocks_.find(block.id);
  if (it == blocks_.end()) CINN_THROW(ScheduleError) << "unknown block handle " << block.id;
  return it->second;
}

const For* IRSchedule::lookup(LoopRV loop, const char* primitive) const {
  if (loop.schedule != id_) {
    CINN_THROW(ScheduleError) << primitive << ": the loop was obtained from another function's "
                              << "schedule, not from this one ('" << func_.name() << "')";
  }
  Expr var = loop_var(loop);
  const For* f = find_loop(func_.body(), var);
  if (!f) {
    CINN_THROW(ScheduleError) << primitive << ": loop '" << var.var_name()
                              << "' no longer exists in function '" << func_.name()
                              << "' (a previous primitive replaced it)";
  }
  return f;
}

std::string IRSchedule::lookup(BlockRV block, const char* primitive) const {
  if (block.schedule != id_) {
    CINN_THROW(ScheduleError) << primitive << ": the block was obtained from another "
                              << "function's schedule, not from this one ('" << func_.name()
                              << "')";
  }
  std::string name = block_name(block);
  for (const auto& site : sched::all_blocks(func_.body())) {
    if (site.block->name == name) return name;
  }
  CINN_THROW(ScheduleError) << primitive << ": block '" << name
                            << "' no longer exists in function '" << func_.name()
                            << "' (a previous primitive removed it)";
}

void IRSchedule::set_body(Stmt body) { set_func(func_.with_body(std::move(body))); }

void IRSchedule::set_func(LoweredFunc f) {
  func_ = std::move(f);
  verify(func_);
}

const ScheduleBlock* IRSchedule::block_node(BlockRV block) const {
  return sched::find_block(func_.body(), lookup(block, "block_node"), "block_node").block;
}

std::vector<Expr> IRSchedule::block_iter_values(BlockRV block) const {
  return sched::find_block(func_.body(), lookup(block, "block_iter_values"), "block_iter_values").realize->iter_values;
}

std::vector<std::string> IRSchedule::block_names() const {
  std::vector<std::string> names;
  for (const auto& site : sched::all_blocks(func_.body())) names.push_back(site.block->name);
  return names;
}

BlockRV IRSchedule::get_block(const std::string& name) {
  sched::find_block(func_.body(), name, "get_block");
  BlockRV rv = new_block_rv(name);
  record({"get_block", {}, {rv.id}, {}, {}, {name}});
  return rv;
}

std::vector<BlockRV> IRSchedule::get_all_blocks() {
  TraceStep step{"get_all_blocks", {}, {}, {}, {}, {}};
  std::vector<BlockRV> out;
  for (const auto& site : sched::all_blocks(func_.body())) {
    out.push_back(new_block_rv(site.block->name));
    step.outputs.push_back(out.back().id);
  }
  record(step);
  return out;
}

std::vector<BlockRV> IRSchedule::get_child_blocks(LoopRV loop) {
  const For* f = lookup(loop, "get_child_blocks");
  TraceStep step{"get_child_blocks", {loop.id}, {}, {}, {}, {}};
  std::vector<BlockRV> out;
  for (const auto& site : sched::all_blocks(Stmt(f))) {
    out.push_back(new_block_rv(site.block->name));
    step.outputs.push_back(out.back().id);
  }
  record(step);
  return out;
}

std::vector<LoopRV> IRSchedule::get_loops(BlockRV block) {
  std::string name = lookup(block, "get_loops");
  sched::BlockSite site = sched::find_block(func_.body(), name, "get_loops");
  std::vector<LoopRV> out;
  TraceStep step{"get_loops", {block.id}, {}, {}, {}, {}};
  for (const For* f : site.loops()) {
    out.push_back(new_loop_rv(f->loop_var));
    step.outputs.push_back(out.back().id);
  }
  record(step);
  return out;
}

std::vector<LoopRV> IRSchedule::get_loops(const std::string& block) {
  return get_loops(get_block(block));
}

std::vector<LoopRV> IRSchedule::split(LoopRV loop, const std::vector<int64_t>& factors) {
  const For* f = lookup(loop, "split");
  if (factors.size() < 2) {
    CINN_THROW(ScheduleError) << "split of " << loop_desc(f) << ": needs at least 2 factors";
  }
  int inferred = -1;
  int64_t known = 1;
  for (size_t i = 0; i < factors.size(); ++i) {
    if (factors[i] == -1) {
      if (inferred >= 0) {
        CINN_THROW(ScheduleError) << "split of " << loop_desc(f) << ": only one factor may be "
                                  << "inferred (None / -1)";
      }
      inferred = static_cast<int>(i);
    } else if (factors[i] <= 0) {
      CINN_THROW(ScheduleError) << "split of " << loop_desc(f) << ": factor " << factors[i]
                                << " must be positive";
    } else {
      known *= factors[i];
    }
  }
  std::vector<Expr> extents;
  const int64_t* ext = as_const_int(f->extent);
  for (size_t i = 0; i < factors.size(); ++i) {
    if (static_cast<int>(i) != inferred) {
      extents.push_back(Expr(factors[i]));
    } else if (ext) {
      extents.push_back(Expr((*ext + known - 1) / known));
    } else {
      extents.push_back(simplify((f->extent + Expr(known - 1)) / Expr(known)));  // ceil
    }
  }
  if (!ext && inferred < 0) {
    CINN_THROW(ScheduleError) << "split of " << loop_desc(f) << ": the extent is symbolic, so "
                              << "one factor must be inferred (None / -1)";
  }
  if (ext && inferred < 0 && known < *ext) {
    CINN_THROW(ScheduleError) << "split of " << loop_desc(f) << ": factors multiply to "
                              << known << ", less than the extent " << *ext;
  }
  int64_t total = 1;
  for (const Expr& e : extents) total *= as_const_int(e) ? *as_const_int(e) : 1;
  bool exact = ext && total == *ext;
  // v = min + ((v0 * e1 + v1) * e2 + v2) ...
  std::vector<Expr> vars;
  const std::string& base = f->loop_var.var_name();
  for (size_t i = 0; i < factors.size(); ++i) {
    vars.push_back(Var::make(base + "_" + std::to_string(i), common::IndexType()));
  }
  Expr combined = vars[0];
  for (size_t i = 1; i < vars.size(); ++i) combined = combined * extents[i] + vars[i];
  Expr value = is_zero(f->min) ? combined : f->min + combined;
  Stmt body = substitute(f->body, {{f->loop_var.as<Var>(), value}});
  if (!exact) body = IfThenElse::make(combined < f->extent, body);
  for (size_t i = vars.size(); i-- > 0;) {
    body = For::make(vars[i], Expr(0), extents[i], ForKind::kSerial, body);
  }
  set_body(sched::replace_stmt(func_.body(), f, body));
  TraceStep step{"split", {loop.id}, {}, factors, {}, {}};
  std::vector<LoopRV> out;
  for (const Expr& v : vars) {
    out.push_back(new_loop_rv(v));
    step.outputs.push_back(out.back().id);
  }
  record(step);
  return out;
}

LoopRV IRSchedule::fuse(const std::vector<LoopRV>& loops) {
  if (loops.size() < 2) CINN_THROW(ScheduleError) << "fuse needs at least 2 loops";
  std::vector<const For*> fs;
  for (LoopRV l : loops) fs.push_back(lookup(l, "fuse"));
  for (size_t i = 0; i + 1 < fs.size(); ++i) {
    if (!fs[i]->body.same_as(Stmt(fs[i + 1]))) {
      CINN_THROW(ScheduleError) << "fuse: " << loop_desc(fs[i + 1])
                                << " is not the only statement directly inside "
                                << loop_desc(fs[i]) << "; fuse needs consecutive, perfectly "
                                << "nested loops, outermost first";
    }
  }
  std::string name;
  Expr extent;
  for (const For* f : fs) {
    name += f->loop_var.var_name() + "_";
    extent = extent.defined() ? extent * f->extent : f->extent;
    for (const For* g : fs) {
      if (uses_any_var(f->min, {g->loop_var}) || uses_any_var(f->extent, {g->loop_var})) {
        CINN_THROW(ScheduleError) << "fuse: the bounds of " << loop_desc(f)
                                  << " depend on another fused loop";
      }
    }
  }
  extent = simplify(extent);
  Expr fused = Var::make(name + "fused", common::IndexType());
  // v_n = fused % e_n, v_{n-1} = fused / e_n % e_{n-1}, ..., v_1 = fused / (e_2 ... e_n)
  VarMap vmap;
  Expr rest = fused;
  for (size_t i = fs.size(); i-- > 0;) {
    Expr v = i == 0 ? rest : rest % fs[i]->extent;
    vmap[fs[i]->loop_var.as<Var>()] = is_zero(fs[i]->min) ? v : fs[i]->min + v;
    if (i > 0) rest = rest / fs[i]->extent;
  }
  Stmt body = substitute(fs.back()->body, vmap);
  Stmt loop = For::make(fused, Expr(0), extent, ForKind::kSerial, body);
  Stmt new_body = sched::replace_stmt(func_.body(), fs.front(), loop);
  check_dependences_kept(func_, new_body, fs.front(), "fuse: fusing loops " + loop_list(fs));
  set_body(new_body);
  LoopRV out = new_loop_rv(fused);
  TraceStep step{"fuse", {}, {out.id}, {}, {}, {}};
  for (LoopRV l : loops) step.inputs.push_back(l.id);
  record(step);
  return out;
}

void IRSchedule::reorder(const std::vector<LoopRV>& loops) {
  if (loops.size() < 2) CINN_THROW(ScheduleError) << "reorder needs at least 2 loops";
  std::set<const For*> wanted;
  for (LoopRV l : loops) {
    if (!wanted.insert(lookup(l, "reorder")).second) {
      CINN_THROW(ScheduleError) << "reorder: loop '" << loop_var(l).var_name()
                                << "' is listed twice";
    }
  }
  // The outermost listed loop: the one no other listed loop contains.
  const For* top = nullptr;
  for (const For* f : wanted) {
    bool inside_other = false;
    for (const For* g : wanted) {
      if (g != f && find_loop(g->body, f->loop_var)) inside_other = true;
    }
    if (!inside_other) {
      if (top) {
        CINN_THROW(ScheduleError) << "reorder: " << loop_desc(top) << " and " << loop_desc(f)
                                  << " are not in one loop nest";
      }
      top = f;
    }
  }
  // Walk the perfect nest from `top` down to the last listed loop. Guards between the loops
  // (from non-dividing splits) move to the innermost position: they are pure conditions.
  std::vector<const For*> chain;
  std::vector<Expr> guards;
  size_t seen = 0;
  auto below = [&](const For* f) {
    Stmt s = f->body;
    while (const auto* i = s.as<IfThenElse>()) {
      if (i->else_case.defined()) break;
      guards.push_back(i->condition);
      s = i->then_case;
    }
    return s;
  };
  for (const For* f = top; f;) {
    chain.push_back(f);
    seen += wanted.count(f);
    if (seen == wanted.size()) break;
    Stmt next = below(f);
    if (!next.as<For>()) {
      CINN_THROW(ScheduleError) << "reorder: the loops are not perfectly nested: "
                                << loop_desc(f) << " contains more than a single loop";
    }
    f = next.as<For>();
  }
  if (seen != wanted.size()) CINN_THROW(ScheduleError) << "reorder: loops not in one nest";
  // Positions in the chain of the listed loops get them in the requested order.
  std::vector<const For*> order;
  size_t next = 0;
  for (const For* f : chain) {
    order.push_back(wanted.count(f) ? lookup(loops[next++], "reorder") : f);
  }
  // A loop whose bounds use another loop of the nest must stay inside it.
  for (size_t i = 0; i < order.size(); ++i) {
    for (size_t j = i + 1; j < order.size(); ++j) {
      if (uses_any_var(order[i]->min, {order[j]->loop_var}) ||
          uses_any_var(order[i]->extent, {order[j]->loop_var})) {
        CINN_THROW(ScheduleError) << "reorder: the bounds of " << loop_desc(order[i])
                                  << " depend on loop '" << order[j]->loop_var.var_name()
                                  << "', which would end up inside it";
      }
    }
  }
  Stmt body = chain.back()->body;
  for (size_t i = guards.size(); i-- > 0;) body = IfThenElse::make(guards[i], body);
  for (size_t i = order.size(); i-- > 0;) {
    const For* f = order[i];
    body = For::make(f->loop_var, f->min, f->extent, f->for_kind, body);
  }
  Stmt new_body = sched::replace_stmt(func_.body(), top, body);
  if (order != chain) {
    check_dependences_kept(func_, new_body, top, "reorder: the loop order " + loop_list(order));
  }
  set_body(new_body);
  TraceStep step{"reorder", {}, {}, {}, {}, {}};
  for (LoopRV l : loops) step.inputs.push_back(l.id);
  record(step);
}

void IRSchedule::set_kind(LoopRV loop, ForKind kind, const char* primitive) {
  const For* f = lookup(loop, primitive);
  // A reduce loop bound to threadIdx.x is a cross-thread reduction (lower_thread_reductions);
  // match_thread_reduction checks its form, and the reduction is its only dependence.
  auto reduced = sched::blocks_reduced_by(f->body, f->loop_var);
  if (kind == ForKind::kGPUThreadX && !reduced.empty()) {
    Stmt bound = For::make(f->loop_var, f->min, f->extent, kind, f->body);
    sched::match_thread_reduction(bound.as<For>(), primitive);
  } else if (kind != ForKind::kSerial && kind != ForKind::kUnrolled) {
    const auto& blocks = reduced;
    if (!blocks.empty()) {
      CINN_THROW(ScheduleError) << primitive << ": " << loop_desc(f)
                                << " carries the reduction of block '" << blocks[0].block->name
                                << "': its iterations update the same outputs (use rfactor "
                                << "to parallelize a reduction"
                                << (is_gpu_kind(kind) && !is_block_kind(kind)
                                        ? ", or bind it to threadIdx.x to reduce across threads)"
                                        : ")");
    }
    std::string dep = poly::loop_carried_dependence(func_, f->loop_var);
    if (!dep.empty()) {
      CINN_THROW(ScheduleError) << primitive << ": " << loop_desc(f)
                                << " carries a dependence: " << dep;
    }
  }
  if (kind == ForKind::kVectorized && !as_const_int(f->extent)) {
    CINN_THROW(ScheduleError) << "vectorize: " << loop_desc(f)
                              << " needs a constant extent (split it first)";
  }
  if (is_gpu_kind(kind)) {
    // An axis is bound at most once on any path from the root to a block, except for a
    // cooperative loop: a thread loop inside another loop bound to the same thread axis,
    // whose blocks all write shared memory, shares its iterations among the block's threads
    // (each thread runs the iterations equal to its index), e.g. to load a tile.
    auto same_kind = [&](const IRNode* n) {
      return n != f && n->kind() == NodeKind::kFor &&
             static_cast<const For*>(n)->for_kind == kind;
    };
    auto cooperative = [&](const For* outer, const For* inner) {
      if (is_block_kind(kind)) return false;
      const int64_t* eo = as_const_int(outer->extent);
      const int64_t* ei = as_const_int(inner->extent);
      if (!eo || !ei || *ei > *eo) return false;
      bool shared_only = true, any = false;
      for (const auto& site : sched::all_blocks(Stmt(inner))) {
        any = true;
        for (const BufferRegion& w : site.block->writes) {
          shared_only = shared_only && w.buffer.scope() == MemoryScope::kShared;
        }
      }
      return any && shared_only;
    };
    const For* clash = nullptr;
    post_order_visit(f->body, [&](const IRNode* n) {
      if (same_kind(n) && !cooperative(f, static_cast<const For*>(n))) clash = static_cast<const For*>(n);
    });
    for (const auto& site : sched::all_blocks(func_.body())) {
      auto loops = site.loops();
      if (std::find(loops.begin(), loops.end(), f) == loops.end()) continue;
      for (const For* l : loops) {
        if (same_kind(l) && sched::contains(Stmt(l), f) && !cooperative(l, f)) clash = l;
      }
    }
    if (clash) {
      CINN_THROW(ScheduleError) << "bind: cannot bind " << loop_desc(f) << " to "
                                << for_kind_name(kind) << ": " << loop_desc(clash)
                                << " in the same loop nest is already bound to it (a thread loop "
                                << "nested in one bound to the same axis must be no longer and "
                                << "only write shared memory: a cooperative load)";
    }
  }
  Stmt loop_stmt = For::make(f->loop_var, f->min, f->extent, kind, f->body);
  set_body(sched::replace_stmt(func_.body(), f, loop_stmt));
}

void IRSchedule::parallel(LoopRV loop) {
  set_kind(loop, ForKind::kParallel, "parallel");
  record({"parallel", {loop.id}, {}, {}, {}, {}});
}

void IRSchedule::vectorize(LoopRV loop) {
  set_kind(loop, ForKind::kVectorized, "vectorize");
  record({"vectorize", {loop.id}, {}, {}, {}, {}});
}

void IRSchedule::unroll(LoopRV loop) {
  set_kind(loop, ForKind::kUnrolled, "unroll");
  record({"unroll", {loop.id}, {}, {}, {}, {}});
}

void IRSchedule::bind(LoopRV loop, const std::string& thread_axis) {
  static const std::map<std::string, ForKind> kAxes = {
      {"blockIdx.x", ForKind::kGPUBlockX},   {"blockIdx.y", ForKind::kGPUBlockY},
      {"blockIdx.z", ForKind::kGPUBlockZ},   {"threadIdx.x", ForKind::kGPUThreadX},
      {"threadIdx.y", ForKind::kGPUThreadY}, {"threadIdx.z", ForKind::kGPUThreadZ}};
  auto it = kAxes.find(thread_axis);
  if (it == kAxes.end()) {
    CINN_THROW(ScheduleError) << "bind: unknown GPU axis '" << thread_axis
                              << "' (expected blockIdx.x|y|z or threadIdx.x|y|z)";
  }
  set_kind(loop, it->second, "bind");
  record({"bind", {loop.id}, {}, {}, {}, {thread_axis}});
}

void IRSchedule::annotate(BlockRV block, const std::string& key, const std::string& value) {
  std::string name = lookup(block, "annotate");
  if (key.empty()) CINN_THROW(ScheduleError) << "annotate: empty key for block '" << name << "'";
  sched::BlockSite site = sched::find_block(func_.body(), name, "annotate");
  const ScheduleBlock* b = site.block;
  auto annotations = b->annotations;
  annotations[key] = value;
  Stmt nb = ScheduleBlock::make(b->name, b->iter_vars, b->reads, b->writes, b->init, b->body,
                                annotations);
  set_body(sched::replace_stmt(func_.body(), b, nb));
  record({"annotate", {block.id}, {}, {}, {}, {key, value}});
}

MemoryScope parse_memory_scope(const std::string& s) {
  if (s == "global") return MemoryScope::kGlobal;
  if (s == "shared") return MemoryScope::kShared;
  if (s == "local") return MemoryScope::kLocal;
  CINN_THROW(ScheduleError) << "unknown memory scope '" << s
                            << "' (expected global, shared or local)";
}

}  // namespace cinn::ir
