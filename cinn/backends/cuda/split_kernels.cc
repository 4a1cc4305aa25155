#include "cinn/backends/cuda/codegen_cuda.h"
#include "cinn/common/error.h"
#include "cinn/ir/visitor.h"

namespace cinn::backends::cuda {
namespace {

class Splitter {
 public:
  std::vector<ir::Stmt> parts;
  std::vector<ir::Buffer> allocs;  // local/shared buffers allocated at the top level

  // Walks the top level: Blocks are flattened, LetStmts wrap every part below them,
  // top-level Allocate/Free are collected; every other statement is a part.
  void walk(const ir::Stmt& s, const std::vector<const ir::LetStmt*>& lets) {
    if (const auto* b = s.as<ir::Block>()) {
      for (const ir::Stmt& x : b->stmts) walk(x, lets);
      return;
    }
    if (const auto* l = s.as<ir::LetStmt>()) {
      auto inner = lets;
      inner.push_back(l);
      walk(l->body, inner);
      return;
    }
    if (const auto* a = s.as<ir::Allocate>()) {
      allocs.push_back(a->buffer);
      return;
    }
    if (s.as<ir::Free>()) return;
    ir::Stmt part = s;
    for (auto it = lets.rbegin(); it != lets.rend(); ++it) {
      part = ir::LetStmt::make((*it)->var, (*it)->value, part);
    }
    parts.push_back(part);
  }
};

bool uses(const ir::Stmt& s, const ir::Buffer& b) {
  bool found = false;
  ir::post_order_visit(s, [&](const ir::IRNode* n) {
    if (n->kind() == ir::NodeKind::kLoad) found = found || static_cast<const ir::Load*>(n)->buffer.same_as(b);
    if (n->kind() == ir::NodeKind::kStore) found = found || static_cast<const ir::Store*>(n)->buffer.same_as(b);
  });
  return found;
}

}  // namespace

std::vector<ir::LoweredFunc> split_kernels(const ir::LoweredFunc& f) {
  Splitter sp;
  sp.walk(f.body(), {});
  if (sp.parts.size() <= 1) return {f};
  // Shared and local memory live as long as one kernel: a buffer there that two kernels
  // use would be read by the second before anything was written to it.
  for (const ir::Buffer& b : sp.allocs) {
    if (b.scope() == ir::MemoryScope::kGlobal) continue;
    std::vector<size_t> users;
    for (size_t i = 0; i < sp.parts.size(); ++i) {
      if (uses(sp.parts[i], b)) users.push_back(i);
    }
    if (users.size() > 1) {
      CINN_THROW(ScheduleError) << "function '" << f.name() << "': buffer '" << b.name() << "' is in "
                                << (b.scope() == ir::MemoryScope::kShared ? "shared" : "local")
                                << " memory, which lasts one kernel, but loop nests " << users[0] << " and "
                                << users[1] << " (separate kernels) both use it; compute_at its producer "
                                << "into the consumer's loops, or keep it global";
    }
  }
  std::vector<ir::LoweredFunc> out;
  for (size_t i = 0; i < sp.parts.size(); ++i) {
    std::vector<ir::Buffer> temps;
    std::vector<ir::Stmt> seq;
    for (const ir::Buffer& b : sp.allocs) {
      if (!uses(sp.parts[i], b)) continue;
      temps.push_back(b);
      seq.push_back(ir::Allocate::make(b));
    }
    seq.push_back(sp.parts[i]);
    for (auto it = temps.rbegin(); it != temps.rend(); ++it) seq.push_back(ir::Free::make(*it));
    ir::Stmt body = seq.size() == 1 ? seq[0] : ir::Block::make(seq);
    out.push_back(ir::LoweredFunc::make(f.name() + "_part" + std::to_string(i), f.args(), f.size_vars(), temps, body));
  }
  return out;
}

}  // namespace cinn::backends::cuda
