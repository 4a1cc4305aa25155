#include "cinn/ir/gpu_launch.h"

#include <algorithm>
#include <functional>
#include <string>

#include "cinn/common/error.h"
#include "cinn/ir/ir_operators.h"
#include "cinn/ir/printer.h"
#include "cinn/ir/visitor.h"

namespace cinn::ir {

bool is_block_kind(ForKind k) {
  return k == ForKind::kGPUBlockX || k == ForKind::kGPUBlockY || k == ForKind::kGPUBlockZ;
}

int gpu_axis(ForKind k) {
  switch (k) {
    case ForKind::kGPUBlockX:
    case ForKind::kGPUThreadX: return 0;
    case ForKind::kGPUBlockY:
    case ForKind::kGPUThreadY: return 1;
    case ForKind::kGPUBlockZ:
    case ForKind::kGPUThreadZ: return 2;
    default: return -1;
  }
}

namespace {

// Whether every store under `s` writes shared memory.
bool stores_shared_only(const Stmt& s) {
  bool ok = true;
  post_order_visit(s, [&](const IRNode* n) {
    if (n->kind() == NodeKind::kStore) {
      ok = ok && static_cast<const Store*>(n)->buffer.scope() == MemoryScope::kShared;
    }
  });
  return ok;
}

// Walks statements keeping the extents of the GPU axes bound by enclosing loops (0: none).
void walk(const Stmt& s, std::array<int64_t, 6>& open, LaunchDims& dims, const std::string& fn) {
  if (!s.defined()) return;
  switch (s.kind()) {
    case NodeKind::kFor: {
      const auto* f = s.as<For>();
      if (!is_gpu_kind(f->for_kind)) return walk(f->body, open, dims, fn);
      int slot = gpu_axis(f->for_kind) + (is_block_kind(f->for_kind) ? 0 : 3);
      const int64_t* e = as_const_int(f->extent);
      if (!e || *e < 1) {
        CINN_THROW(ScheduleError) << "function '" << fn << "': loop '" << f->loop_var.var_name()
                                  << "' is bound to " << for_kind_name(f->for_kind)
                                  << " but its extent " << f->extent
                                  << " is not a positive constant";
      }
      if (open[slot]) {
        // A cooperative loop (IRSchedule::bind): the enclosing thread loop's threads share
        // its iterations.
        if (is_block_kind(f->for_kind) || *e > open[slot] || !stores_shared_only(f->body)) {
          CINN_THROW(ScheduleError) << "function '" << fn << "': loop '" << f->loop_var.var_name()
                                    << "' is bound to " << for_kind_name(f->for_kind)
                                    << " inside another loop bound to the same axis (allowed only for a "
                                       "thread loop no longer than the enclosing one that writes only "
                                       "shared memory)";
        }
        return walk(f->body, open, dims, fn);
      }
      auto& d = is_block_kind(f->for_kind) ? dims.grid : dims.block;
      int axis = gpu_axis(f->for_kind);
      d[axis] = std::max(d[axis], *e);
      open[slot] = *e;
      walk(f->body, open, dims, fn);
      open[slot] = 0;
      return;
    }
    case NodeKind::kBlock:
      for (const Stmt& c : s.as<Block>()->stmts) walk(c, open, dims, fn);
      return;
    case NodeKind::kIfThenElse:
      walk(s.as<IfThenElse>()->then_case, open, dims, fn);
      walk(s.as<IfThenElse>()->else_case, open, dims, fn);
      return;
    case NodeKind::kLetStmt: return walk(s.as<LetStmt>()->body, open, dims, fn);
    case NodeKind::kScheduleBlockRealize:
      return walk(s.as<ScheduleBlockRealize>()->block, open, dims, fn);
    case NodeKind::kScheduleBlock:
      walk(s.as<ScheduleBlock>()->init, open, dims, fn);
      return walk(s.as<ScheduleBlock>()->body, open, dims, fn);
    default: return;
  }
}

}  // namespace

LaunchDims gpu_launch_dims(const LoweredFunc& f, const common::Target& target) {
  LaunchDims dims;
  std::array<int64_t, 6> open{};
  walk(f.body(), open, dims, f.name());
  if (target.max_threads_per_block > 0 && dims.threads_per_block() > target.max_threads_per_block) {
    CINN_THROW(ScheduleError) << "function '" << f.name() << "': " << dims.threads_per_block()
                              << " threads per block (" << dims.block[0] << " x " << dims.block[1]
                              << " x " << dims.block[2] << ") exceed the target's limit of "
                              << target.max_threads_per_block;
  }
  return dims;
}

}  // namespace cinn::ir
