#include "cinn/ir/printer.h"

#include <cmath>
#include <cstdio>
#include <sstream>

#include "cinn/ir/visitor.h"

namespace cinn::ir {
namespace {

// Binding strength for minimal parentheses.
int precedence(const Expr& e) {
  switch (e.kind()) {
    case NodeKind::kOr: return 1;
    case NodeKind::kAnd: return 2;
    case NodeKind::kEQ:
    case NodeKind::kNE:
    case NodeKind::kLT:
    case NodeKind::kLE:
    case NodeKind::kGT:
    case NodeKind::kGE: return 3;
    case NodeKind::kAdd:
    case NodeKind::kSub: return 4;
    case NodeKind::kMul:
    case NodeKind::kDiv:
    case NodeKind::kMod: return 5;
    default: return 10;
  }
}

std::string format_float(double v, int bits) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  std::snprintf(buf, sizeof(buf), bits == 64 ? "%.17g" : "%.9g", v);
  std::string s = buf;
  if (s.find_first_of(".en") == std::string::npos) s += ".0";
  return s;
}

class Printer : public IRVisitor {
 public:
  explicit Printer(std::ostream& os) : os_(os) {}

  void print(const Expr& e) {
    if (!e.defined()) {
      os_ << "<null>";
      return;
    }
    visit(e);
  }
  void print(const Stmt& s) {
    if (!s.defined()) return;
    visit(s);
  }

 protected:
  void indent() {
    for (int i = 0; i < indent_; ++i) os_ << "  ";
  }
  void print_child(const Expr& child, int parent_prec, bool right) {
    int p = precedence(child);
    bool paren = p < parent_prec || (right && p == parent_prec);
    if (paren) os_ << "(";
    print(child);
    if (paren) os_ << ")";
  }
  void print_binary(const Expr& self, const Expr& a, const Expr& b, const char* op) {
    int p = precedence(self);
    print_child(a, p, false);
    os_ << " " << op << " ";
    print_child(b, p, true);
  }
  void print_list(const std::vector<Expr>& es) {
    for (size_t i = 0; i < es.size(); ++i) {
      if (i) os_ << ", ";
      print(es[i]);
    }
  }
  void print_region(const BufferRegion& r) {
    os_ << r.buffer.name() << "[";
    for (size_t i = 0; i < r.region.size(); ++i) {
      if (i) os_ << ", ";
      const Range& rg = r.region[i];
      const auto* ext = rg.extent.as<IntImm>();
      if (ext && ext->value == 1) {
        print(rg.min);
      } else {
        print(rg.min);
        os_ << ":";
        print(rg.extent);
        os_ << "+";
      }
    }
    os_ << "]";
  }
  void print_body(const Stmt& s) {
    ++indent_;
    print(s);
    --indent_;
  }

  void visit_IntImm(const IntImm* op) override {
    if (op->type.is_bool()) {
      os_ << (op->value ? "true" : "false");
    } else if (op->type == common::IndexType()) {
      os_ << op->value;
    } else {
      os_ << op->type << "(" << op->value << ")";
    }
  }
  void visit_UIntImm(const UIntImm* op) override { os_ << op->type << "(" << op->value << ")"; }
  void visit_FloatImm(const FloatImm* op) override {
    std::string s = format_float(op->value, op->type.bits());
    if (!std::isfinite(op->value)) {
      os_ << op->type << "(" << s << ")";  // float32(inf), float64(nan)
    } else if (op->type == common::Float(32)) {
      os_ << s << "f";
    } else if (op->type == common::Float(64)) {
      os_ << s;
    } else {
      os_ << op->type << "(" << s << ")";
    }
  }
  void visit_StringImm(const StringImm* op) override { os_ << '"' << op->value << '"'; }
  void visit_Var(const Var* op) override { os_ << op->name; }
  void visit_Add(const Add* op) override { print_binary(op, op->a, op->b, "+"); }
  void visit_Sub(const Sub* op) override { print_binary(op, op->a, op->b, "-"); }
  void visit_Mul(const Mul* op) override { print_binary(op, op->a, op->b, "*"); }
  void visit_Div(const Div* op) override { print_binary(op, op->a, op->b, "/"); }
  void visit_Mod(const Mod* op) override { print_binary(op, op->a, op->b, "%"); }
  void visit_EQ(const EQ* op) override { print_binary(op, op->a, op->b, "=="); }
  void visit_NE(const NE* op) override { print_binary(op, op->a, op->b, "!="); }
  void visit_LT(const LT* op) override { print_binary(op, op->a, op->b, "<"); }
  void visit_LE(const LE* op) override { print_binary(op, op->a, op->b, "<="); }
  void visit_GT(const GT* op) override { print_binary(op, op->a, op->b, ">"); }
  void visit_GE(const GE* op) override { print_binary(op, op->a, op->b, ">="); }
  void visit_And(const And* op) override { print_binary(op, op->a, op->b, "&&"); }
  void visit_Or(const Or* op) override { print_binary(op, op->a, op->b, "||"); }
  void visit_Min(const Min* op) override {
    os_ << "min(";
    print_list({op->a, op->b});
    os_ << ")";
  }
  void visit_Max(const Max* op) override {
    os_ << "max(";
    print_list({op->a, op->b});
    os_ << ")";
  }
  void visit_Not(const Not* op) override {
    os_ << "!";
    print_child(op->a, 10, false);
  }
  void visit_Select(const Select* op) override {
    os_ << "select(";
    print_list({op->condition, op->true_value, op->false_value});
    os_ << ")";
  }
  void visit_Cast(const Cast* op) override {
    os_ << op->type << "(";
    print(op->value);
    os_ << ")";
  }
  void visit_Call(const Call* op) override {
    if (op->call_kind == Call::Kind::kExtern) os_ << "extern ";
    os_ << op->name;
    // The one intrinsic whose type is not its argument's.
    if (op->name == "reinterpret") os_ << "<" << op->type << ">";
    os_ << "(";
    print_list(op->args);
    os_ << ")";
  }
  void visit_Load(const Load* op) override {
    os_ << op->buffer.name() << "[";
    print_list(op->indices);
    os_ << "]";
  }
  void visit_Ramp(const Ramp* op) override {
    os_ << "ramp(";
    print_list({op->base, op->stride});
    os_ << ", " << op->lanes << ")";
  }
  void visit_Broadcast(const Broadcast* op) override {
    os_ << "broadcast(";
    print(op->value);
    os_ << ", " << op->lanes << ")";
  }
  void visit_Let(const Let* op) override {
    os_ << "(let " << op->var.var_name() << " = ";
    print(op->value);
    os_ << " in ";
    print(op->body);
    os_ << ")";
  }

  void visit_LetStmt(const LetStmt* op) override {
    indent();
    os_ << "let " << op->var.var_name() << " = ";
    print(op->value);
    os_ << "\n";
    print(op->body);
  }
  void visit_For(const For* op) override {
    indent();
    if (op->for_kind != ForKind::kSerial) os_ << for_kind_name(op->for_kind) << " ";
    os_ << "for (" << op->loop_var.var_name() << ", ";
    print(op->min);
    os_ << ", ";
    print(op->extent);
    os_ << ") {\n";
    print_body(op->body);
    indent();
    os_ << "}\n";
  }
  void visit_IfThenElse(const IfThenElse* op) override {
    indent();
    os_ << "if (";
    print(op->condition);
    os_ << ") {\n";
    print_body(op->then_case);
    if (op->else_case.defined()) {
      indent();
      os_ << "} else {\n";
      print_body(op->else_case);
    }
    indent();
    os_ << "}\n";
  }
  void visit_Block(const Block* op) override {
    for (const Stmt& s : op->stmts) print(s);
  }
  void visit_Store(const Store* op) override {
    indent();
    os_ << op->buffer.name() << "[";
    print_list(op->indices);
    os_ << "] = ";
    print(op->value);
    os_ << "\n";
  }
  void visit_Allocate(const Allocate* op) override {
    indent();
    os_ << "allocate " << op->buffer << "\n";
  }
  void visit_Free(const Free* op) override {
    indent();
    os_ << "free " << op->buffer.name() << "\n";
  }
  void visit_Evaluate(const Evaluate* op) override {
    indent();
    print(op->value);
    os_ << "\n";
  }
  void print_block(const ScheduleBlock* op, const std::vector<Expr>* values) {
    indent();
    os_ << "block " << op->name << "(";
    for (size_t i = 0; i < op->iter_vars.size(); ++i) {
      const IterVar& iv = op->iter_vars[i];
      if (i) os_ << ", ";
      os_ << iv.var.var_name() << ":" << (iv.is_reduce() ? "reduce" : "spatial") << "[";
      print(iv.range.min);
      os_ << ", ";
      print(iv.range.extent);
      os_ << "]";
      if (values) {
        os_ << "=";
        print((*values)[i]);
      }
    }
    os_ << ") {\n";
    ++indent_;
    auto print_regions = [&](const char* what, const std::vector<BufferRegion>& rs) {
      if (rs.empty()) return;
      indent();
      os_ << what << ": ";
      for (size_t i = 0; i < rs.size(); ++i) {
        if (i) os_ << ", ";
        print_region(rs[i]);
      }
      os_ << "\n";
    };
    print_regions("reads", op->reads);
    print_regions("writes", op->writes);
    for (const auto& [k, v] : op->annotations) {
      indent();
      os_ << "annotate " << k << " = \"" << v << "\"\n";
    }
    if (op->init.defined()) {
      indent();
      os_ << "init {\n";
      print_body(op->init);
      indent();
      os_ << "}\n";
    }
    print(op->body);
    --indent_;
    indent();
    os_ << "}\n";
  }
  void visit_ScheduleBlock(const ScheduleBlock* op) override { print_block(op, nullptr); }
  void visit_ScheduleBlockRealize(const ScheduleBlockRealize* op) override {
    print_block(op->block.as<ScheduleBlock>(), &op->iter_values);
  }

 private:
  std::ostream& os_;
  int indent_ = 0;
};

}  // namespace

std::ostream& operator<<(std::ostream& os, const Expr& e) {
  Printer(os).print(e);
  return os;
}
std::ostream& operator<<(std::ostream& os, const Stmt& s) {
  Printer(os).print(s);
  return os;
}
std::ostream& operator<<(std::ostream& os, const Buffer& b) {
  os << b.name() << ": " << b.dtype() << "[";
  for (int i = 0; i < b.ndim(); ++i) os << (i ? ", " : "") << b.shape()[i];
  os << "]";
  if (b.scope() != MemoryScope::kGlobal) os << " " << memory_scope_name(b.scope());
  return os;
}
std::string to_string(const Expr& e) {
  std::ostringstream os;
  os << e;
  return os.str();
}
std::string to_string(const Stmt& s) {
  std::ostringstream os;
  os << s;
  return os.str();
}

}  // namespace cinn::ir
