// Which kernel arguments may share memory: see inplace_arg_pairs in transforms.h.
#include <map>
#include <set>

#include "cinn/ir/equality.h"
#include "cinn/ir/ir_operators.h"
#include "cinn/ir/transforms.h"
#include "cinn/ir/visitor.h"

namespace cinn::ir {
namespace {

// Every access to a buffer, with the store whose value contains it (for loads).
class AccessCollector : public IRVisitor {
 public:
  struct LoadSite {
    const Load* load;
    const Store* store;  // the store whose value reads it, or null
  };
  std::map<const BufferNode*, std::vector<LoadSite>> loads;
  std::map<const BufferNode*, std::vector<const Store*>> stores;
  // Stores run more than once for one element: an enclosing loop (serial, parallel or a
  // GPU thread index) that the index does not depend on, like the store of a block
  // reduction's result that every thread performs.
  std::set<const Store*> repeated;

 protected:
  void visit_For(const For* op) override {
    const int64_t* extent = as_const_int(op->extent);
    bool unit = extent && *extent == 1;
    if (!unit) loops_.push_back(op->loop_var.as<Var>());
    IRVisitor::visit_For(op);
    if (!unit) loops_.pop_back();
  }
  void visit_Store(const Store* op) override {
    stores[op->buffer.get()].push_back(op);
    std::set<const Var*> used;
    for (const Expr& i : op->indices) {
      post_order_visit(i, [&](const IRNode* n) {
        if (n->kind() == NodeKind::kVar) used.insert(static_cast<const Var*>(n));
      });
    }
    for (const Var* v : loops_) {
      if (!used.count(v)) repeated.insert(op);
    }
    // Index expressions are evaluated before the value, but a load there addresses another
    // element: it does not count as read-before-write of the stored element.
    const Store* outer = current_;
    current_ = nullptr;
    for (const Expr& i : op->indices) visit(i);
    current_ = op;
    visit(op->value);
    current_ = outer;
  }
  void visit_Load(const Load* op) override {
    loads[op->buffer.get()].push_back({op, current_});
    const Store* outer = current_;
    current_ = nullptr;
    for (const Expr& i : op->indices) visit(i);
    current_ = outer;
  }

 private:
  const Store* current_ = nullptr;
  std::vector<const Var*> loops_;
};

bool same_indices(const std::vector<Expr>& a, const std::vector<Expr>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!structural_equal(a[i], b[i])) return false;
  }
  return true;
}

// Elements of a buffer with a constant shape, or -1.
int64_t const_elements(const Buffer& b) {
  int64_t n = 1;
  for (const Expr& d : b.shape()) {
    const int64_t* c = as_const_int(d);
    if (!c) return -1;
    n *= *c;
  }
  return n;
}

}  // namespace

std::vector<std::pair<int, int>> inplace_arg_pairs(const LoweredFunc& f) {
  AccessCollector acc;
  acc.visit(f.body());
  std::vector<std::pair<int, int>> pairs;
  const std::vector<Argument>& args = f.args();
  for (size_t o = 0; o < args.size(); ++o) {
    const Buffer& out = args[o].buffer;
    auto stores = acc.stores.find(out.get());
    if (stores == acc.stores.end()) continue;
    // An accumulation (a store whose value reads the output) writes each element more than
    // once: the input would be read after the first write.
    bool accumulates = false;
    if (auto own = acc.loads.find(out.get()); own != acc.loads.end()) {
      for (const auto& site : own->second) accumulates = accumulates || (site.store && site.store->buffer.get() == out.get());
    }
    if (accumulates) continue;
    for (size_t i = 0; i < args.size(); ++i) {
      const Buffer& in = args[i].buffer;
      if (i == o || acc.stores.count(in.get())) continue;  // read only
      if (in.dtype().bytes() != out.dtype().bytes() || const_elements(in) < 0 ||
          const_elements(in) != const_elements(out)) {
        continue;
      }
      auto loads = acc.loads.find(in.get());
      bool ok = true;
      if (loads != acc.loads.end()) {
        for (const auto& site : loads->second) {
          ok = ok && site.store && site.store->buffer.get() == out.get() && !acc.repeated.count(site.store) &&
               same_indices(site.load->indices, site.store->indices);
        }
      }
      if (ok) pairs.push_back({static_cast<int>(o), static_cast<int>(i)});
    }
  }
  return pairs;
}

}  // namespace cinn::ir
