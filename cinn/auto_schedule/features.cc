#include "cinn/auto_schedule/features.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "cinn/ir/ir_operators.h"
#include "cinn/ir/visitor.h"

namespace cinn::auto_schedule {
namespace {

// Walks the loop nest keeping the product of the enclosing constant trip counts.
class LoopStats : public ir::IRVisitor {
 public:
  double trips = 1;  // of the statement being visited
  double ops = 0, vector_ops = 0, loads = 0, stores = 0, parallel = 1, innermost_trips = 0,
         innermost_loops = 0, local_bytes = 0;
  int loops = 0, depth = 0, max_depth = 0, max_lanes = 1, static_loads = 0, static_stores = 0;
  std::set<const ir::BufferNode*> buffers;

 protected:
  void op(const ir::ExprNode* e) {
    int lanes = e->type.lanes();
    ops += trips * lanes;
    if (lanes > 1) vector_ops += trips * lanes;
    max_lanes = std::max(max_lanes, lanes);
  }
#define CINN_ARITH(Name)                          \
  void visit_##Name(const ir::Name* e) override { \
    op(e);                                        \
    IRVisitor::visit_##Name(e);                   \
  }
  CINN_ARITH(Add)
  CINN_ARITH(Sub)
  CINN_ARITH(Mul)
  CINN_ARITH(Div)
  CINN_ARITH(Mod)
  CINN_ARITH(Min)
  CINN_ARITH(Max)
  CINN_ARITH(Select)
  CINN_ARITH(Call)
#undef CINN_ARITH

  void visit_Load(const ir::Load* e) override {
    loads += trips * e->type.lanes();
    ++static_loads;
    buffers.insert(e->buffer.get());
    IRVisitor::visit_Load(e);
  }
  void visit_Store(const ir::Store* s) override {
    stores += trips * s->value.type().lanes();
    ++static_stores;
    buffers.insert(s->buffer.get());
    IRVisitor::visit_Store(s);
  }
  void visit_Allocate(const ir::Allocate* a) override {
    if (a->buffer.get()->scope != ir::MemoryScope::kGlobal) {
      double n = a->buffer.dtype().bytes();
      for (const ir::Expr& d : a->buffer.shape()) {
        const int64_t* c = ir::as_const_int(d);
        n *= c ? static_cast<double>(*c) : 1.0;
      }
      local_bytes += n;
    }
    IRVisitor::visit_Allocate(a);
  }
  void visit_For(const ir::For* f) override {
    const int64_t* c = ir::as_const_int(f->extent);
    double extent = c ? static_cast<double>(std::max<int64_t>(*c, 1)) : 1.0;
    ++loops;
    if (f->for_kind == ir::ForKind::kParallel || ir::is_gpu_kind(f->for_kind)) parallel *= extent;
    int inner_before = loops;
    double saved = trips;
    trips *= extent;
    ++depth;
    max_depth = std::max(max_depth, depth);
    IRVisitor::visit_For(f);
    --depth;
    trips = saved;
    if (loops == inner_before) {  // no loop inside: an innermost loop
      innermost_trips += extent;
      innermost_loops += 1;
    }
  }
};

float lg(double x) { return static_cast<float>(std::log2(1.0 + std::max(x, 0.0))); }

}  // namespace

std::vector<float> extract_features(const ir::LoweredFunc& loops,
                                    const backends::ScheduleParams& params,
                                    const std::vector<backends::TuningKnob>& knobs) {
  LoopStats s;
  s.visit(loops.body());
  std::vector<float> f = {
      lg(s.ops),
      lg(s.loads),
      lg(s.stores),
      static_cast<float>(s.ops > 0 ? s.vector_ops / s.ops : 0.0),
      lg(s.max_lanes),
      lg(s.parallel),
      lg(s.loops),
      static_cast<float>(s.max_depth),
      lg(s.static_loads),
      lg(s.static_stores),
      lg(s.innermost_loops > 0 ? s.innermost_trips / s.innermost_loops : 0.0),
      lg(s.local_bytes),
      lg(static_cast<double>(s.buffers.size())),
      static_cast<float>(s.loads > 0 ? s.ops / s.loads : 0.0),
  };
  for (const backends::TuningKnob& k : knobs)
    f.push_back(lg(static_cast<double>(backends::schedule_param(params, k.name))));
  return f;
}

}  // namespace cinn::auto_schedule
