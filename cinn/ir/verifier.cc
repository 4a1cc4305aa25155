#include "cinn/ir/verifier.h"

#include <set>
#include <sstream>

#include "cinn/ir/printer.h"
#include "cinn/ir/visitor.h"

namespace cinn::ir {
namespace {

class Verifier : public IRVisitor {
 public:
  explicit Verifier(const LoweredFunc& f) : func_(f) {
    for (const Expr& v : f.size_vars()) bound_.insert(v.as<Var>());
    for (const Argument& a : f.args()) {
      buffers_.insert(a.buffer.get());
      for (const Expr& e : a.buffer.shape()) visit(e);
    }
    for (const Buffer& b : f->temp_buffers) buffers_.insert(b.get());
  }

 protected:
  [[noreturn]] void fail(const std::string& what) {
    CINN_THROW(InternalError) << "IR verifier, function '" << func_.name() << "': " << what;
  }
  void bind(const Expr& v, const char* where) {
    const Var* var = v.as<Var>();
    if (!bound_.insert(var).second) {
      fail(std::string("variable '") + var->name + "' bound twice (" + where + ")");
    }
  }
  void unbind(const Expr& v) { bound_.erase(v.as<Var>()); }
  void check_buffer(const Buffer& b, size_t n_indices, const char* what) {
    if (!buffers_.count(b.get())) {
      fail(std::string(what) + " of buffer '" + b.name() +
           "', which is neither an argument nor allocated");
    }
    if (n_indices != static_cast<size_t>(b.ndim()) && n_indices != 1) {
      std::ostringstream os;
      os << what << " of buffer '" << b.name() << "' with " << n_indices << " indices, buffer has "
         << b.ndim() << " dimensions";
      fail(os.str());
    }
  }

  void visit_Var(const Var* op) override {
    if (!bound_.count(op)) fail("variable '" + op->name + "' used but not bound");
  }
  void visit_Let(const Let* op) override {
    visit(op->value);
    bind(op->var, "let");
    visit(op->body);
    unbind(op->var);
  }
  void visit_LetStmt(const LetStmt* op) override {
    visit(op->value);
    bind(op->var, "let");
    visit(op->body);
    unbind(op->var);
  }
  void visit_For(const For* op) override {
    if (op->loop_var.type() != common::IndexType()) {
      fail("loop variable '" + op->loop_var.var_name() + "' is not " +
           common::IndexType().to_string());
    }
    visit(op->min);
    visit(op->extent);
    bind(op->loop_var, "for");
    visit(op->body);
    unbind(op->loop_var);
  }
  void visit_Load(const Load* op) override {
    check_buffer(op->buffer, op->indices.size(), "load");
    IRVisitor::visit_Load(op);
  }
  void visit_Store(const Store* op) override {
    check_buffer(op->buffer, op->indices.size(), "store");
    IRVisitor::visit_Store(op);
  }
  void visit_Allocate(const Allocate* op) override { buffers_.insert(op->buffer.get()); }
  void visit_ScheduleBlockRealize(const ScheduleBlockRealize* op) override {
    for (const Expr& v : op->iter_values) visit(v);
    const auto* block = op->block.as<ScheduleBlock>();
    for (const IterVar& iv : block->iter_vars) {
      visit(iv.range.min);
      visit(iv.range.extent);
    }
    // Inside the block only its iter_vars (and enclosing bindings) are visible; enclosing
    // loop variables stay bound because blocks may be nested under them.
    for (const IterVar& iv : block->iter_vars) bind(iv.var, "block iter_var");
    for (const auto& r : block->reads) visit_ranges(r.region);
    for (const auto& r : block->writes) visit_ranges(r.region);
    visit(block->init);
    visit(block->body);
    for (const IterVar& iv : block->iter_vars) unbind(iv.var);
  }
  void visit_ScheduleBlock(const ScheduleBlock* op) override {
    fail("block '" + op->name + "' without a ScheduleBlockRealize");
  }

 private:
  const LoweredFunc& func_;
  std::set<const Var*> bound_;
  std::set<const BufferNode*> buffers_;
};

}  // namespace

void verify(const LoweredFunc& f) {
  Verifier v(f);
  v.visit(f.body());
}

}  // namespace cinn::ir
