#include "cinn/ir/schedule_internal.h"
#include "cinn/ir/transforms.h"

namespace cinn::ir {

LoweredFunc global_temps_to_args(const LoweredFunc& f) {
  LoweredFunc out = f;
  std::vector<Argument> args = f.args();
  for (const Buffer& b : f->temp_buffers) {
    if (b.scope() != MemoryScope::kGlobal) continue;
    out = sched::remove_temp_buffer(out, b);
    args.push_back({b, Argument::Kind::kOutput});
  }
  if (args.size() == f.args().size()) return f;
  return LoweredFunc::make(out.name(), args, out.size_vars(), out->temp_buffers, out.body());
}

}  // namespace cinn::ir
