#include "cinn/ir/equality.h"

#include <functional>
#include <unordered_map>

#include "cinn/ir/visitor.h"

namespace cinn::ir {
namespace {

class Equal {
 public:
  explicit Equal(bool map_free) : map_free_(map_free) {}

  bool eq(const Expr& a, const Expr& b) {
    if (a.same_as(b)) return true;
    if (!a.defined() || !b.defined()) return false;
    if (a.kind() != b.kind() || a.type() != b.type()) return false;
    switch (a.kind()) {
#define CINN_EXPR_NODE(Name) \
  case NodeKind::k##Name:    \
    return node(a.as<Name>(), b.as<Name>());
#include "cinn/ir/node_kinds.def"
      default: return false;
    }
  }

  bool eq(const Stmt& a, const Stmt& b) {
    if (a.same_as(b)) return true;
    if (!a.defined() || !b.defined()) return false;
    if (a.kind() != b.kind()) return false;
    switch (a.kind()) {
#define CINN_STMT_NODE(Name) \
  case NodeKind::k##Name:    \
    return node(a.as<Name>(), b.as<Name>());
#include "cinn/ir/node_kinds.def"
      default: return false;
    }
  }

 private:
  bool eq(const std::vector<Expr>& a, const std::vector<Expr>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (!eq(a[i], b[i])) return false;
    }
    return true;
  }
  bool eq(const Range& a, const Range& b) { return eq(a.min, b.min) && eq(a.extent, b.extent); }
  bool eq(const Buffer& a, const Buffer& b) {
    if (a.same_as(b)) return true;
    auto it = buf_map_.find(a.get());
    if (it != buf_map_.end()) return it->second == b.get();
    if (!map_free_) return false;
    if (a.dtype() != b.dtype() || a.scope() != b.scope() || !eq(a.shape(), b.shape())) {
      return false;
    }
    buf_map_[a.get()] = b.get();
    return true;
  }
  bool eq(const BufferRegion& a, const BufferRegion& b) {
    if (!eq(a.buffer, b.buffer) || a.region.size() != b.region.size()) return false;
    for (size_t i = 0; i < a.region.size(); ++i) {
      if (!eq(a.region[i], b.region[i])) return false;
    }
    return true;
  }
  // Binds a variable defined by a binding construct.
  bool bind(const Expr& a, const Expr& b) {
    if (a.type() != b.type()) return false;
    var_map_[a.get()] = b.get();
    return true;
  }

  bool node(const IntImm* a, const IntImm* b) { return a->value == b->value; }
  bool node(const UIntImm* a, const UIntImm* b) { return a->value == b->value; }
  bool node(const FloatImm* a, const FloatImm* b) {
    return a->value == b->value || (a->value != a->value && b->value != b->value);
  }
  bool node(const StringImm* a, const StringImm* b) { return a->value == b->value; }
  bool node(const Var* a, const Var* b) {
    auto it = var_map_.find(a);
    if (it != var_map_.end()) return it->second == b;
    if (!map_free_) return a == b;
    var_map_[a] = b;
    return true;
  }
#define CINN_BIN(Name) \
  bool node(const Name* a, const Name* b) { return eq(a->a, b->a) && eq(a->b, b->b); }
  CINN_BIN(Add)
  CINN_BIN(Sub)
  CINN_BIN(Mul)
  CINN_BIN(Div)
  CINN_BIN(Mod)
  CINN_BIN(Min)
  CINN_BIN(Max)
  CINN_BIN(EQ)
  CINN_BIN(NE)
  CINN_BIN(LT)
  CINN_BIN(LE)
  CINN_BIN(GT)
  CINN_BIN(GE)
  CINN_BIN(And)
  CINN_BIN(Or)
#undef CINN_BIN
  bool node(const Not* a, const Not* b) { return eq(a->a, b->a); }
  bool node(const Select* a, const Select* b) {
    return eq(a->condition, b->condition) && eq(a->true_value, b->true_value) &&
           eq(a->false_value, b->false_value);
  }
  bool node(const Cast* a, const Cast* b) { return eq(a->value, b->value); }
  bool node(const Call* a, const Call* b) {
    return a->name == b->name && a->call_kind == b->call_kind && eq(a->args, b->args);
  }
  bool node(const Load* a, const Load* b) {
    return eq(a->buffer, b->buffer) && eq(a->indices, b->indices);
  }
  bool node(const Ramp* a, const Ramp* b) {
    return a->lanes == b->lanes && eq(a->base, b->base) && eq(a->stride, b->stride);
  }
  bool node(const Broadcast* a, const Broadcast* b) {
    return a->lanes == b->lanes && eq(a->value, b->value);
  }
  bool node(const Let* a, const Let* b) {
    return eq(a->value, b->value) && bind(a->var, b->var) && eq(a->body, b->body);
  }
  bool node(const LetStmt* a, const LetStmt* b) {
    return eq(a->value, b->value) && bind(a->var, b->var) && eq(a->body, b->body);
  }
  bool node(const For* a, const For* b) {
    return a->for_kind == b->for_kind && eq(a->min, b->min) && eq(a->extent, b->extent) &&
           bind(a->loop_var, b->loop_var) && eq(a->body, b->body);
  }
  bool node(const IfThenElse* a, const IfThenElse* b) {
    return eq(a->condition, b->condition) && eq(a->then_case, b->then_case) &&
           eq(a->else_case, b->else_case);
  }
  bool node(const Block* a, const Block* b) {
    if (a->stmts.size() != b->stmts.size()) return false;
    for (size_t i = 0; i < a->stmts.size(); ++i) {
      if (!eq(a->stmts[i], b->stmts[i])) return false;
    }
    return true;
  }
  bool node(const Store* a, const Store* b) {
    return eq(a->buffer, b->buffer) && eq(a->value, b->value) && eq(a->indices, b->indices);
  }
  bool node(const Allocate* a, const Allocate* b) { return bind_buffer(a->buffer, b->buffer); }
  bool node(const Free* a, const Free* b) { return eq(a->buffer, b->buffer); }
  bool node(const Evaluate* a, const Evaluate* b) { return eq(a->value, b->value); }
  bool node(const ScheduleBlock* a, const ScheduleBlock* b) {
    if (a->name != b->name || a->iter_vars.size() != b->iter_vars.size() ||
        a->reads.size() != b->reads.size() || a->writes.size() != b->writes.size() ||
        a->annotations != b->annotations) {
      return false;
    }
    for (size_t i = 0; i < a->iter_vars.size(); ++i) {
      const IterVar &x = a->iter_vars[i], &y = b->iter_vars[i];
      if (x.kind != y.kind || !eq(x.range, y.range) || !bind(x.var, y.var)) return false;
    }
    for (size_t i = 0; i < a->reads.size(); ++i) {
      if (!eq(a->reads[i], b->reads[i])) return false;
    }
    for (size_t i = 0; i < a->writes.size(); ++i) {
      if (!eq(a->writes[i], b->writes[i])) return false;
    }
    return eq(a->init, b->init) && eq(a->body, b->body);
  }
  bool node(const ScheduleBlockRealize* a, const ScheduleBlockRealize* b) {
    return eq(a->iter_values, b->iter_values) && eq(a->block, b->block);
  }
  // A buffer allocated inside the tree is bound there, like a loop variable.
  bool bind_buffer(const Buffer& a, const Buffer& b) {
    if (a.dtype() != b.dtype() || a.scope() != b.scope() || !eq(a.shape(), b.shape())) {
      return false;
    }
    buf_map_[a.get()] = b.get();
    return true;
  }

  bool map_free_;
  std::unordered_map<const IRNode*, const IRNode*> var_map_;
  std::unordered_map<const BufferNode*, const BufferNode*> buf_map_;
};

// Hashes kinds, types, values and the order in which variables and buffers first appear.
class Hasher : public IRVisitor {
 public:
  size_t h = 0x9e3779b97f4a7c15ULL;
  void mix(size_t v) { h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2); }
  void mix_type(Type t) { mix(std::hash<Type>()(t)); }
  void mix_str(const std::string& s) { mix(std::hash<std::string>()(s)); }
  void mix_buffer(const Buffer& b) {
    auto it = bufs_.find(b.get());
    if (it == bufs_.end()) it = bufs_.emplace(b.get(), bufs_.size()).first;
    mix(it->second);
    mix_type(b.dtype());
    mix(b.shape().size());
  }

  void visit_expr_head(const ExprNode* n) {
    mix(static_cast<size_t>(n->kind()));
    mix_type(n->type);
  }
#define CINN_EXPR_NODE(Name)                  \
  void visit_##Name(const Name* op) override { \
    visit_expr_head(op);                      \
    extra(op);                                \
    IRVisitor::visit_##Name(op);              \
  }
#define CINN_STMT_NODE(Name)                  \
  void visit_##Name(const Name* op) override { \
    mix(static_cast<size_t>(op->kind()));     \
    extra(op);                                \
    IRVisitor::visit_##Name(op);              \
  }
#include "cinn/ir/node_kinds.def"

 private:
  template <typename T>
  void extra(const T*) {}
  void extra(const IntImm* op) { mix(static_cast<size_t>(op->value)); }
  void extra(const UIntImm* op) { mix(static_cast<size_t>(op->value)); }
  void extra(const FloatImm* op) { mix(std::hash<double>()(op->value)); }
  void extra(const StringImm* op) { mix_str(op->value); }
  void extra(const Var* op) {
    auto it = vars_.find(op);
    if (it == vars_.end()) it = vars_.emplace(op, vars_.size()).first;
    mix(it->second);
  }
  void extra(const Call* op) { mix_str(op->name); }
  void extra(const Load* op) { mix_buffer(op->buffer); }
  void extra(const Ramp* op) { mix(op->lanes); }
  void extra(const Broadcast* op) { mix(op->lanes); }
  void extra(const For* op) { mix(static_cast<size_t>(op->for_kind)); }
  void extra(const Store* op) { mix_buffer(op->buffer); }
  void extra(const Allocate* op) { mix_buffer(op->buffer); }
  void extra(const Free* op) { mix_buffer(op->buffer); }
  void extra(const ScheduleBlock* op) {
    mix_str(op->name);
    for (const auto& iv : op->iter_vars) mix(static_cast<size_t>(iv.kind));
    for (const auto& r : op->reads) mix_buffer(r.buffer);
    for (const auto& r : op->writes) mix_buffer(r.buffer);
  }

  std::unordered_map<const Var*, size_t> vars_;
  std::unordered_map<const BufferNode*, size_t> bufs_;
};

}  // namespace

bool structural_equal(const Expr& a, const Expr& b, bool map_free_vars) {
  return Equal(map_free_vars).eq(a, b);
}
bool structural_equal(const Stmt& a, const Stmt& b, bool map_free_vars) {
  return Equal(map_free_vars).eq(a, b);
}
size_t structural_hash(const Expr& e) {
  Hasher h;
  h.visit(e);
  return h.h;
}
size_t structural_hash(const Stmt& s) {
  Hasher h;
  h.visit(s);
  return h.h;
}

}  // namespace cinn::ir
