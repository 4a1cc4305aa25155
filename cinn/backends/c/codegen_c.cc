#include "cinn/backends/c/codegen_c.h"

#include <algorithm>
#include <deque>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "cinn/backends/c/c_helpers.h"
#include "cinn/backends/c/c_intrinsics.h"
#include "cinn/backends/c/c_syntax.h"
#include "cinn/ir/ir_operators.h"
#include "cinn/ir/printer.h"
#include "cinn/ir/verifier.h"
#include "cinn/ir/visitor.h"

namespace cinn::backends::c {
namespace {

using ir::Expr;
using ir::Stmt;

// Stack arrays larger than this become heap blocks: worker threads have small stacks.
constexpr int64_t kMaxStackBytes = 64 * 1024;

bool is_expr_kind(ir::NodeKind k) {
  switch (k) {
#define CINN_EXPR_NODE(Name) \
  case ir::NodeKind::k##Name: return true;
#include "cinn/ir/node_kinds.def"
    default: return false;
  }
}

bool contains(const Expr& e, const std::function<bool(const ir::IRNode*)>& pred) {
  bool found = false;
  ir::post_order_visit(e, [&](const ir::IRNode* n) { found = found || pred(n); });
  return found;
}
bool contains(const Stmt& s, const std::function<bool(const ir::IRNode*)>& pred) {
  bool found = false;
  if (s.defined()) {
    ir::post_order_visit(s, [&](const ir::IRNode* n) { found = found || pred(n); });
  }
  return found;
}
bool is_extern_call(const ir::IRNode* n) {
  return n->kind() == ir::NodeKind::kCall &&
         static_cast<const ir::Call*>(n)->call_kind == ir::Call::Kind::kExtern;
}
bool has_side_effects(const Expr& e) { return contains(e, is_extern_call); }
template <typename Node>
bool mentions(const Node& tree, const Expr& var) {
  const ir::IRNode* v = var.get();
  return contains(tree, [v](const ir::IRNode* n) { return n == v; });
}

// An int64 expression that C would type as int (a small bare literal, or a choice between
// such): arithmetic on two of them must be cast to 64 bits first.
bool prints_as_c_int(const Expr& e) {
  if (e.type() != common::IndexType()) return false;
  if (const auto* i = e.as<ir::IntImm>()) {
    return c_int_literal(i->type, i->value).find_first_not_of("-0123456789") == std::string::npos;
  }
  if (const auto* s = e.as<ir::Select>()) {
    return prints_as_c_int(s->true_value) && prints_as_c_int(s->false_value);
  }
  if (const auto* l = e.as<ir::Let>()) return prints_as_c_int(l->body);
  return false;
}

std::string one_line(const std::string& s) {
  std::string out;
  for (char ch : s) out += (ch == '\n' || ch == '\r') ? ' ' : ch;
  return out;
}

Prec tighter(Prec p) { return static_cast<Prec>(static_cast<int>(p) + 1); }

// What all functions of one output file share: the support functions they call, the
// external functions they declare, and the names no local may take.
struct FileContext {
  Helpers helpers;
  std::map<std::string, std::string> extern_decls;  // name -> declaration
  std::set<std::string> global_names;               // functions and externs of the file
};

// One function's printer. Expressions print bottom-up into CExprs; statements append lines.
// The dispatch is generated from node_kinds.def and every kind calls an `emit` overload, so
// a node kind added to the IR without a case here fails to compile.
class CodeGenC : public ir::IRVisitor {
 public:
  CodeGenC(FileContext* file, const ir::LoweredFunc& f) : file_(file), func_(f) {}

  std::string run();

 protected:
#define CINN_EXPR_NODE(Name) \
  void visit_##Name(const ir::Name* op) final { emit(op); }
#define CINN_STMT_NODE(Name) \
  void visit_##Name(const ir::Name* op) final { emit(op); }
#include "cinn/ir/node_kinds.def"

 private:
  // A name (or, for a let inlined in a conditional operand, an expression) bound to a Var or
  // a Buffer. A declaration that ends up unused is dropped, so the output has no unused
  // locals; `keep` marks declarations whose initializer has side effects.
  struct Binding {
    std::string text;
    int uses = 0;
    int loads = 0;  // buffers only
    int line = -1;
    bool keep = false;
    // Buffers only.
    const ir::BufferNode* buffer = nullptr;
    bool on_heap = false;
    bool freed = false;
    bool is_arg = false;
  };
  struct Line {
    int indent;
    std::string text;
  };
  // A C block: the names declared in it and the heap buffers to free when it closes.
  struct Frame {
    std::vector<std::string> names;
    std::vector<Binding*> buffers;
  };

  // ---- expressions
  CExpr print(const Expr& e) {
    visit(e);
    return std::move(result_);
  }
  void set(std::string text, Prec prec) { result_ = CExpr{std::move(text), prec}; }
  void set_literal(std::string text) {
    Prec p = (text[0] == '-' || text[0] == '(') ? Prec::kUnary : Prec::kPrimary;
    set(std::move(text), p);
  }
  // Printed in a conditional position (a Select arm, the right of && or ||): lets there are
  // inlined rather than hoisted in front of the statement, which would evaluate them always.
  CExpr print_conditional(const Expr& e) {
    ++conditional_;
    CExpr r = print(e);
    --conditional_;
    return r;
  }
  void emit_arith(const Expr& a, const Expr& b, Type t, const char* op, Prec prec);
  void emit_compare(const Expr& a, const Expr& b, const char* op, Prec prec);
  void emit_div_mod(const Expr& a, const Expr& b, Type t, bool is_div);
  void emit_min_max(const Expr& a, const Expr& b, Type t, bool is_min);
  std::string index_text(const ir::Buffer& buffer, const std::vector<Expr>& indices);
  std::string extern_call(const ir::Call* op, const std::vector<CExpr>& args);

  void emit(const ir::IntImm* op) { set_literal(c_int_literal(op->type, op->value)); }
  void emit(const ir::UIntImm* op) { set_literal(c_uint_literal(op->type, op->value)); }
  void emit(const ir::FloatImm* op) { set_literal(c_float_literal(op->type, op->value)); }
  void emit(const ir::StringImm* op) { set(c_string_literal(op->value), Prec::kPrimary); }
  void emit(const ir::Var* op) { set(lookup(op), Prec::kPrimary); }
  void emit(const ir::Add* op) { emit_arith(op->a, op->b, op->type, "+", Prec::kAdditive); }
  void emit(const ir::Sub* op) { emit_arith(op->a, op->b, op->type, "-", Prec::kAdditive); }
  void emit(const ir::Mul* op) { emit_arith(op->a, op->b, op->type, "*", Prec::kMultiplicative); }
  void emit(const ir::Div* op) { emit_div_mod(op->a, op->b, op->type, true); }
  void emit(const ir::Mod* op) { emit_div_mod(op->a, op->b, op->type, false); }
  void emit(const ir::Min* op) { emit_min_max(op->a, op->b, op->type, true); }
  void emit(const ir::Max* op) { emit_min_max(op->a, op->b, op->type, false); }
  void emit(const ir::EQ* op) { emit_compare(op->a, op->b, "==", Prec::kEquality); }
  void emit(const ir::NE* op) { emit_compare(op->a, op->b, "!=", Prec::kEquality); }
  void emit(const ir::LT* op) { emit_compare(op->a, op->b, "<", Prec::kRelational); }
  void emit(const ir::LE* op) { emit_compare(op->a, op->b, "<=", Prec::kRelational); }
  void emit(const ir::GT* op) { emit_compare(op->a, op->b, ">", Prec::kRelational); }
  void emit(const ir::GE* op) { emit_compare(op->a, op->b, ">=", Prec::kRelational); }
  void emit(const ir::And* op);
  void emit(const ir::Or* op);
  void emit(const ir::Not* op);
  void emit(const ir::Select* op);
  void emit(const ir::Cast* op);
  void emit(const ir::Call* op);
  void emit(const ir::Load* op);
  void emit(const ir::Ramp* op) { vector_node("Ramp", op); }
  void emit(const ir::Broadcast* op) { vector_node("Broadcast", op); }
  void emit(const ir::Let* op);
  [[noreturn]] void vector_node(const char* kind, const ir::ExprNode* op);

  // ---- statements
  void emit(const ir::LetStmt* op);
  void emit(const ir::For* op);
  void emit(const ir::IfThenElse* op);
  void emit(const ir::Block* op) {
    for (const Stmt& s : op->stmts) visit(s);
  }
  void emit(const ir::Store* op);
  void emit(const ir::Allocate* op) { allocate(op->buffer); }
  void emit(const ir::Free* op);
  void emit(const ir::Evaluate* op);
  void emit(const ir::ScheduleBlock* op);
  void emit(const ir::ScheduleBlockRealize* op);

  // ---- output, scopes and names
  int line(std::string text) {
    CINN_CHECK(pending_.empty()) << "hoisted lets not flushed before: " << text;
    lines_.push_back({indent_, std::move(text)});
    return static_cast<int>(lines_.size()) - 1;
  }
  // Writes the declarations of lets hoisted out of the expressions printed since the last
  // statement; call it after printing a statement's expressions, before its first line.
  void flush() {
    std::vector<std::pair<Binding*, std::string>> pending;
    pending.swap(pending_);
    for (auto& [b, text] : pending) {
      int l = line(std::move(text));
      if (b) b->line = l;
    }
  }
  void open_block(std::string header) {
    line(std::move(header));
    ++indent_;
    frames_.emplace_back();
  }
  void close_block(const std::string& trailer = "}");
  void scoped(const Stmt& s, const std::string& header) {
    open_block(header);
    visit(s);
    close_block();
  }
  std::string declare(const std::string& ir_name);
  Binding* new_binding(std::string text) {
    bindings_.emplace_back();
    bindings_.back().text = std::move(text);
    return &bindings_.back();
  }
  void bind(const Expr& var, Binding* b) { vars_[var.as<ir::Var>()].push_back(b); }
  void unbind(const Expr& var) { vars_[var.as<ir::Var>()].pop_back(); }
  std::string lookup(const ir::Var* v);
  Binding* buffer_binding(const ir::Buffer& b, const char* what);
  // Declares `name` as a const local holding `value` (already printed and flushed).
  Binding* declare_const(const Expr& var, const std::string& name, const CExpr& value,
                         bool keep);
  void allocate(const ir::Buffer& b);

  FileContext* file_;
  const ir::LoweredFunc& func_;
  CExpr result_;
  int conditional_ = 0;
  int indent_ = 0;
  std::vector<Line> lines_;
  std::vector<std::pair<Binding*, std::string>> pending_;
  std::deque<Binding> bindings_;
  std::vector<Frame> frames_;
  std::unordered_multiset<std::string> visible_;
  std::unordered_map<const ir::Var*, std::vector<Binding*>> vars_;
  std::unordered_map<const ir::BufferNode*, std::vector<Binding*>> buffers_;
  std::set<const ir::BufferNode*> stored_;
  std::set<const ir::BufferNode*> allocated_;
};

// ------------------------------------------------------------------------------------------
// Names and scopes

std::string CodeGenC::declare(const std::string& ir_name) {
  std::string base = sanitize_identifier(ir_name);
  std::string name = base;
  for (int k = 1; !is_free_c_identifier(name) || visible_.count(name) ||
                  file_->global_names.count(name);
       ++k) {
    name = base + "_" + std::to_string(k);
  }
  visible_.insert(name);
  frames_.back().names.push_back(name);
  return name;
}

void CodeGenC::close_block(const std::string& trailer) {
  Frame& f = frames_.back();
  for (Binding* b : f.buffers) {
    if (b->on_heap && !b->freed) line("free(" + b->text + ");");
    buffers_[b->buffer].pop_back();
  }
  for (const std::string& n : f.names) visible_.erase(visible_.find(n));
  frames_.pop_back();
  --indent_;
  line(trailer);
}

std::string CodeGenC::lookup(const ir::Var* v) {
  auto it = vars_.find(v);
  if (it == vars_.end() || it->second.empty()) {
    CINN_THROW(CompileError) << "C backend, function '" << func_.name() << "': variable '"
                             << v->name << "' is used where it is not bound";
  }
  Binding* b = it->second.back();
  ++b->uses;
  return b->text;
}

CodeGenC::Binding* CodeGenC::buffer_binding(const ir::Buffer& buf, const char* what) {
  auto it = buffers_.find(buf.get());
  if (it == buffers_.end() || it->second.empty()) {
    CINN_THROW(CompileError) << "C backend, function '" << func_.name() << "': " << what
                             << " of buffer '" << buf.name()
                             << "' outside the block of its Allocate";
  }
  return it->second.back();
}

CodeGenC::Binding* CodeGenC::declare_const(const Expr& var, const std::string& name,
                                           const CExpr& value, bool keep) {
  Binding* b = new_binding(name);
  b->keep = keep;
  b->line = line("const " + c_type(var.type()) + " " + name + " = " + value.text + ";");
  return b;
}

// ------------------------------------------------------------------------------------------
// Expressions

void CodeGenC::vector_node(const char* kind, const ir::ExprNode* op) {
  CINN_THROW(UnsupportedOpError) << "C backend, function '" << func_.name() << "': " << kind
                                 << " of type " << op->type
                                 << "; the C backend expects scalar IR";
}

void CodeGenC::emit_arith(const Expr& a, const Expr& b, Type t, const char* op, Prec prec) {
  CExpr ca = print(a), cb = print(b);
  std::string lhs = operand(ca, prec), rhs = operand(cb, tighter(prec));
  if (prints_as_c_int(a) && prints_as_c_int(b)) lhs = "(int64_t)" + operand(ca, Prec::kPrimary);
  if (is_promoted_in_c(t)) {
    // C computes in int; converting back wraps like the IR. uint16 * uint16 can overflow
    // int, so it multiplies as uint32.
    if (t.is_uint() && t.bits() == 16 && std::string(op) == "*") {
      lhs = "(uint32_t)" + operand(ca, Prec::kUnary);
    }
    set("(" + c_type(t) + ")(" + lhs + " " + op + " " + rhs + ")", Prec::kUnary);
    return;
  }
  set(lhs + " " + op + " " + rhs, prec);
}

void CodeGenC::emit_compare(const Expr& a, const Expr& b, const char* op, Prec prec) {
  CExpr ca = print(a), cb = print(b);
  // Comparisons of comparisons are parenthesized on both sides, for the reader.
  set(operand(ca, Prec::kAdditive) + " " + op + " " + operand(cb, Prec::kAdditive), prec);
}

void CodeGenC::emit_div_mod(const Expr& a, const Expr& b, Type t, bool is_div) {
  CExpr ca = print(a), cb = print(b);
  if (t.is_float()) {
    if (is_div) {
      set(operand(ca, Prec::kMultiplicative) + " / " + operand(cb, Prec::kUnary),
          Prec::kMultiplicative);
    } else {
      set(file_->helpers.floormod(t) + "(" + ca.text + ", " + cb.text + ")", Prec::kPrimary);
    }
    return;
  }
  c_type(t);
  std::string text;
  if (t.is_uint()) {
    // Unsigned division already rounds down.
    text = operand(ca, Prec::kMultiplicative) + (is_div ? " / " : " % ") +
           operand(cb, Prec::kUnary);
    if (!is_promoted_in_c(t)) {
      set(text, Prec::kMultiplicative);
      return;
    }
    text = "(" + text + ")";
  } else {
    Type wide = t.bits() == 64 ? common::Int(64) : common::Int(32);
    std::string fn = is_div ? file_->helpers.floordiv(wide) : file_->helpers.floormod(wide);
    text = fn + "(" + ca.text + ", " + cb.text + ")";
    if (!is_promoted_in_c(t)) {
      set(text, Prec::kPrimary);
      return;
    }
  }
  set("(" + c_type(t) + ")" + text, Prec::kUnary);
}

void CodeGenC::emit_min_max(const Expr& a, const Expr& b, Type t, bool is_min) {
  CExpr ca = print(a), cb = print(b);
  std::string fn;
  if (t.is_float()) {
    fn = std::string(is_min ? "fmin" : "fmax") + (c_type(t) == "float" ? "f" : "");
  } else {
    fn = is_min ? file_->helpers.min(t) : file_->helpers.max(t);
  }
  set(fn + "(" + ca.text + ", " + cb.text + ")", Prec::kPrimary);
}

void CodeGenC::emit(const ir::And* op) {
  CExpr ca = print(op->a);
  CExpr cb = print_conditional(op->b);
  set(operand(ca, Prec::kAnd) + " && " + operand(cb, Prec::kEquality), Prec::kAnd);
}

void CodeGenC::emit(const ir::Or* op) {
  CExpr ca = print(op->a);
  CExpr cb = print_conditional(op->b);
  // && inside || is parenthesized, as compilers ask (-Wparentheses).
  Prec lhs_need = ca.prec == Prec::kAnd ? Prec::kEquality : Prec::kOr;
  set(operand(ca, lhs_need) + " || " + operand(cb, Prec::kEquality), Prec::kOr);
}

void CodeGenC::emit(const ir::Not* op) {
  CExpr ca = print(op->a);
  set("!" + operand(ca, Prec::kUnary), Prec::kUnary);
}

void CodeGenC::emit(const ir::Select* op) {
  CExpr c = print(op->condition);
  CExpr t = print_conditional(op->true_value);
  CExpr f = print_conditional(op->false_value);
  set(operand(c, Prec::kOr) + " ? " + operand(t, Prec::kOr) + " : " + operand(f, Prec::kOr),
      Prec::kTernary);
}

void CodeGenC::emit(const ir::Cast* op) {
  CExpr v = print(op->value);
  if (op->type == op->value.type()) {
    result_ = std::move(v);
    return;
  }
  c_type(op->value.type());
  set("(" + c_type(op->type) + ")" + operand(v, Prec::kUnary), Prec::kUnary);
}

std::string CodeGenC::extern_call(const ir::Call* op, const std::vector<CExpr>& args) {
  if (!is_c_identifier(op->name) || op->name.rfind("cinn_", 0) == 0) {
    CINN_THROW(UnsupportedOpError) << "C backend: extern function name '" << op->name
                                   << "' is not a C identifier";
  }
  std::string decl = "extern " + c_type(op->type) + " " + op->name + "(";
  for (size_t i = 0; i < op->args.size(); ++i) {
    if (i) decl += ", ";
    decl += op->args[i].as<ir::StringImm>() ? "const char*" : c_type(op->args[i].type());
  }
  decl += op->args.empty() ? "void);" : ");";
  auto [it, inserted] = file_->extern_decls.emplace(op->name, decl);
  if (!inserted && it->second != decl) {
    CINN_THROW(UnsupportedOpError) << "C backend: extern function '" << op->name
                                   << "' is called with two signatures: '" << it->second
                                   << "' and '" << decl << "'";
  }
  std::string s = op->name + "(";
  for (size_t i = 0; i < args.size(); ++i) s += (i ? ", " : "") + args[i].text;
  return s + ")";
}

void CodeGenC::emit(const ir::Call* op) {
  std::vector<CExpr> args;
  for (const Expr& a : op->args) args.push_back(print(a));
  if (op->call_kind == ir::Call::Kind::kExtern) {
    set(extern_call(op, args), Prec::kPrimary);
  } else {
    result_ = lower_intrinsic(*op, args, &file_->helpers);
  }
}

std::string CodeGenC::index_text(const ir::Buffer& buffer, const std::vector<Expr>& indices) {
  if (indices.empty()) return "0";
  if (indices.size() == 1) return print(indices[0]).text;
  // Row-major: ((i0 * d1 + i1) * d2 + i2) ...
  const Type index_t = common::IndexType();
  Expr flat = ir::cast(index_t, indices[0]);
  for (size_t d = 1; d < indices.size(); ++d) {
    Expr extent = ir::cast(index_t, buffer.shape()[d]);
    if (!ir::is_one(extent)) flat = ir::Mul::make(flat, extent);
    flat = ir::Add::make(flat, ir::cast(index_t, indices[d]));
  }
  return print(flat).text;
}

void CodeGenC::emit(const ir::Load* op) {
  Binding* b = buffer_binding(op->buffer, "load");
  std::string index = index_text(op->buffer, op->indices);
  ++b->uses;
  ++b->loads;
  std::string access = b->text + "[" + index + "]";
  if (op->buffer.dtype().is_bool()) {
    set(access + " != 0", Prec::kEquality);
  } else {
    set(access, Prec::kPrimary);
  }
}

void CodeGenC::emit(const ir::Let* op) {
  if (conditional_ > 0) {
    // Inlined: hoisting would evaluate the value even where the condition excludes it.
    if (has_side_effects(op->value)) {
      CINN_THROW(UnsupportedOpError)
          << "C backend: a let whose value calls an extern function, in a conditional "
             "operand (Select arm or right of &&/||): "
          << op->var.var_name();
    }
    Binding* b = new_binding(operand(print(op->value), Prec::kPrimary));
    bind(op->var, b);
    result_ = print(op->body);
    unbind(op->var);
    return;
  }
  // Hoisted in front of the statement as a const local.
  bool used = mentions(op->body, op->var);
  bool effects = has_side_effects(op->value);
  if (used || effects) {
    CExpr value = print(op->value);
    if (used) {
      std::string name = declare(op->var.var_name());
      Binding* b = new_binding(name);
      b->keep = effects;
      pending_.emplace_back(b, "const " + c_type(op->var.type()) + " " + name + " = " +
                                   value.text + ";");
      bind(op->var, b);
      result_ = print(op->body);
      unbind(op->var);
      return;
    }
    pending_.emplace_back(nullptr, "(void)" + operand(value, Prec::kUnary) + ";");
  }
  result_ = print(op->body);
}

// ------------------------------------------------------------------------------------------
// Statements

void CodeGenC::emit(const ir::LetStmt* op) {
  bool used = mentions(op->body, op->var);
  bool effects = has_side_effects(op->value);
  if (!used && !effects) {
    visit(op->body);
    return;
  }
  CExpr value = print(op->value);
  flush();
  if (!used) {
    line("(void)" + operand(value, Prec::kUnary) + ";");
    visit(op->body);
    return;
  }
  Binding* b = declare_const(op->var, declare(op->var.var_name()), value, effects);
  bind(op->var, b);
  visit(op->body);
  unbind(op->var);
}

void CodeGenC::emit(const ir::For* op) {
  if (ir::is_gpu_kind(op->for_kind)) {
    CINN_THROW(UnsupportedOpError) << "C backend, function '" << func_.name() << "': loop '"
                                   << op->loop_var.var_name() << "' is bound to "
                                   << ir::for_kind_name(op->for_kind)
                                   << "; GPU loops need the CUDA backend";
  }
  // Bounds are evaluated once, before the loop. Pure bounds without loads print inline (the
  // body cannot change them); others are computed into consts first.
  auto is_simple = [](const Expr& e) {
    return !contains(e, [](const ir::IRNode* n) {
      return n->kind() == ir::NodeKind::kLoad || n->kind() == ir::NodeKind::kCall ||
             n->kind() == ir::NodeKind::kLet;
    });
  };
  const std::string& ir_name = op->loop_var.var_name();
  std::string type = c_type(op->loop_var.type());
  Expr end = ir::is_zero(op->min) ? op->extent : ir::Add::make(op->min, op->extent);
  std::string begin_text, end_text;
  if (is_simple(op->min) && is_simple(op->extent)) {
    begin_text = print(op->min).text;
    end_text = print(end).text;
  } else {
    CExpr begin = print(op->min);
    CExpr extent = print(op->extent);
    flush();
    begin_text = declare(ir_name + "_begin");
    line("const " + type + " " + begin_text + " = " + begin.text + ";");
    end_text = declare(ir_name + "_end");
    line("const " + type + " " + end_text + " = " + begin_text + " + " +
         operand(extent, Prec::kMultiplicative) + ";");
  }
  flush();
  switch (op->for_kind) {
    case ir::ForKind::kParallel: line("// parallel loop: the C backend runs it serially"); break;
    case ir::ForKind::kVectorized:
      line("// vectorized loop: a scalar loop for the C compiler to vectorize");
      break;
    case ir::ForKind::kUnrolled: line("// unrolled loop: unrolling is left to the C compiler"); break;
    default: break;
  }
  // The loop variable belongs to the body's frame: its C scope is the for statement.
  frames_.emplace_back();
  std::string name = declare(ir_name);
  line("for (" + type + " " + name + " = " + begin_text + "; " + name + " < " + end_text +
       "; ++" + name + ") {");
  ++indent_;
  bind(op->loop_var, new_binding(name));
  visit(op->body);
  unbind(op->loop_var);
  close_block();
}

void CodeGenC::emit(const ir::IfThenElse* op) {
  CExpr cond = print(op->condition);
  flush();
  open_block("if (" + cond.text + ") {");
  const ir::IfThenElse* cur = op;
  while (true) {
    visit(cur->then_case);
    if (!cur->else_case.defined()) break;
    const auto* next = cur->else_case.as<ir::IfThenElse>();
    if (next && !contains(next->condition, [](const ir::IRNode* n) {
          return n->kind() == ir::NodeKind::kLet;
        })) {
      close_block("} else if (" + print(next->condition).text + ") {");
      ++indent_;
      frames_.emplace_back();
      cur = next;
      continue;
    }
    close_block("} else {");
    ++indent_;
    frames_.emplace_back();
    visit(cur->else_case);
    break;
  }
  close_block();
}

void CodeGenC::emit(const ir::Store* op) {
  Binding* b = buffer_binding(op->buffer, "store");
  CExpr value = print(op->value);
  std::string index = index_text(op->buffer, op->indices);
  ++b->uses;
  flush();
  line(b->text + "[" + index + "] = " + value.text + ";");
}

void CodeGenC::allocate(const ir::Buffer& buf) {
  Type t = buf.dtype();
  std::string elem = c_storage_type(t);
  int64_t count = 1;
  bool constant = true;
  for (const Expr& d : buf.shape()) {
    if (const int64_t* c = ir::as_const_int(d)) {
      count *= std::max<int64_t>(*c, 0);
    } else {
      constant = false;
    }
  }
  int64_t bytes = count * t.bytes();
  bool on_stack = buf.scope() != ir::MemoryScope::kGlobal && constant && bytes <= kMaxStackBytes;
  Binding* b = nullptr;
  if (on_stack) {
    flush();
    std::string name = declare(buf.name());
    b = new_binding(name);
    b->line = line(elem + " " + name + "[" + std::to_string(std::max<int64_t>(count, 1)) +
                   "];  // " + ir::memory_scope_name(buf.scope()) + " buffer on the stack");
  } else {
    Expr n = Expr(int64_t{1});
    for (size_t d = 0; d < buf.shape().size(); ++d) {
      Expr extent = ir::cast(common::IndexType(), buf.shape()[d]);
      n = d == 0 ? extent : ir::Mul::make(n, extent);
    }
    CExpr n_text = print(n);
    flush();
    std::string name = declare(buf.name());
    b = new_binding(name);
    b->keep = true;
    b->on_heap = true;
    file_->helpers.malloc();
    line(elem + "* restrict " + name + " = (" + elem + "*)cinn_malloc(" + n_text.text +
         ", sizeof(" + elem + "));");
  }
  b->buffer = buf.get();
  buffers_[buf.get()].push_back(b);
  frames_.back().buffers.push_back(b);
}

void CodeGenC::emit(const ir::Free* op) {
  Binding* b = buffer_binding(op->buffer, "free");
  if (b->is_arg) {
    CINN_THROW(CompileError) << "C backend, function '" << func_.name()
                             << "': Free of argument buffer '" << op->buffer.name() << "'";
  }
  if (b->on_heap && !b->freed) {
    line("free(" + b->text + ");");
    b->freed = true;
  }
}

void CodeGenC::emit(const ir::Evaluate* op) {
  // Only extern calls have effects; evaluating anything else does nothing.
  if (!has_side_effects(op->value)) return;
  CExpr v = print(op->value);
  flush();
  const auto* call = op->value.as<ir::Call>();
  if (call && call->call_kind == ir::Call::Kind::kExtern) {
    line(v.text + ";");
  } else {
    line("(void)" + operand(v, Prec::kUnary) + ";");
  }
}

void CodeGenC::emit(const ir::ScheduleBlock* op) {
  CINN_THROW(InternalError) << "C backend: block '" << op->name
                            << "' without a ScheduleBlockRealize";
}

void CodeGenC::emit(const ir::ScheduleBlockRealize* op) {
  const auto* block = op->block.as<ir::ScheduleBlock>();
  open_block("{  // block " + one_line(block->name));
  for (size_t i = 0; i < block->iter_vars.size(); ++i) {
    const ir::IterVar& iv = block->iter_vars[i];
    CExpr value = print(op->iter_values[i]);
    flush();
    bind(iv.var, declare_const(iv.var, declare(iv.var.var_name()), value,
                               has_side_effects(op->iter_values[i])));
  }
  if (block->init.defined()) {
    // The init runs at the first update of each output point: all reduce iter_vars at their
    // minimum.
    Expr first;
    for (const ir::IterVar& iv : block->iter_vars) {
      if (!iv.is_reduce()) continue;
      Expr eq = iv.var == iv.range.min;
      first = first.defined() ? ir::And::make(first, eq) : eq;
    }
    if (first.defined()) {
      CExpr cond = print(first);
      flush();
      scoped(block->init, "if (" + cond.text + ") {");
    } else {
      visit(block->init);
    }
  }
  visit(block->body);
  for (const ir::IterVar& iv : block->iter_vars) unbind(iv.var);
  close_block();
}

// ------------------------------------------------------------------------------------------
// The function

std::string CodeGenC::run() {
  const std::string& fname = func_.name();
  // Facts about the body, and the checks that need the whole body.
  ir::post_order_visit(func_.body(), [&](const ir::IRNode* n) {
    if (is_expr_kind(n->kind())) {
      const auto* e = static_cast<const ir::ExprNode*>(n);
      if (e->type.is_vector()) {
        CINN_THROW(UnsupportedOpError)
            << "C backend, function '" << fname << "': vector expression "
            << ir::to_string(Expr(e)) << " of type " << e->type
            << "; the C backend expects scalar IR (vectorized loops are plain loops)";
      }
    } else if (n->kind() == ir::NodeKind::kStore) {
      stored_.insert(static_cast<const ir::Store*>(n)->buffer.get());
    } else if (n->kind() == ir::NodeKind::kAllocate) {
      allocated_.insert(static_cast<const ir::Allocate*>(n)->buffer.get());
    }
  });

  std::ostringstream sig;
  sig << "// " << fname << "(";
  for (size_t i = 0; i < func_.args().size(); ++i) {
    const ir::Argument& a = func_.args()[i];
    sig << (i ? ", " : "") << (a.kind == ir::Argument::Kind::kOutput ? "out " : "")
        << a.buffer;
  }
  sig << ")";
  line(one_line(sig.str()));
  open_block("void " + fname + "(void** args, const int64_t* sizes) {");
  int void_args = line("(void)args;");
  int void_sizes = line("(void)sizes;");

  std::vector<Binding*> arg_bindings, size_bindings;
  for (size_t i = 0; i < func_.args().size(); ++i) {
    const ir::Buffer& buf = func_.args()[i].buffer;
    if (buffers_.count(buf.get())) {
      CINN_THROW(CompileError) << "C backend, function '" << fname << "': buffer '"
                               << buf.name() << "' is passed twice";
    }
    std::string elem = c_storage_type(buf.dtype());
    if (!stored_.count(buf.get())) elem = "const " + elem;
    std::string name = declare(buf.name());
    Binding* b = new_binding(name);
    b->buffer = buf.get();
    b->is_arg = true;
    b->line = line(elem + "* restrict " + name + " = (" + elem + "*)args[" +
                   std::to_string(i) + "];");
    buffers_[buf.get()].push_back(b);
    arg_bindings.push_back(b);
  }
  for (size_t k = 0; k < func_.size_vars().size(); ++k) {
    const Expr& v = func_.size_vars()[k];
    std::string type = c_type(v.type());
    std::string name = declare(v.var_name());
    std::string value = "sizes[" + std::to_string(k) + "]";
    if (type != "int64_t") value = "(" + type + ")" + value;
    Binding* b = new_binding(name);
    b->line = line("const " + type + " " + name + " = " + value + ";");
    bind(v, b);
    size_bindings.push_back(b);
  }
  for (const ir::Buffer& t : func_->temp_buffers) {
    if (!allocated_.count(t.get()) && !buffers_.count(t.get())) allocate(t);
  }

  visit(func_.body());
  close_block();

  auto any_used = [](const std::vector<Binding*>& bs) {
    return std::any_of(bs.begin(), bs.end(), [](const Binding* b) { return b->uses > 0; });
  };
  std::vector<bool> dropped(lines_.size(), false);
  for (const Binding& b : bindings_) {
    if (b.line >= 0 && b.uses == 0 && !b.keep) dropped[b.line] = true;
    if (b.line >= 0 && b.buffer && !b.on_heap && !b.is_arg && b.uses > 0 && b.loads == 0) {
      // Compilers warn about arrays that are only written (-Wunused-but-set-variable).
      lines_[b.line].text += "\n(void)" + b.text + ";  // written, never read";
    }
  }
  dropped[void_args] = any_used(arg_bindings);
  dropped[void_sizes] = any_used(size_bindings);

  std::string out;
  for (size_t i = 0; i < lines_.size(); ++i) {
    if (dropped[i]) continue;
    std::istringstream text(lines_[i].text);
    for (std::string l; std::getline(text, l);) {
      out += std::string(2 * lines_[i].indent, ' ') + l + "\n";
    }
  }
  return out;
}

std::string banner(const std::string& module_name) {
  std::ostringstream os;
  os << "// Generated by CINN's C backend from module '" << one_line(module_name) << "'.\n"
     << "//\n"
     << "// ABI of every function: void f(void** args, const int64_t* sizes), where args[i] is\n"
     << "// the data of buffer argument i (row-major; bool as one byte) and sizes[k] the k-th\n"
     << "// symbolic size. Buffers must not overlap. Signed integer arithmetic wraps in\n"
     << "// CINN's IR: compile with -fwrapv if it may overflow.\n"
     << "#include <math.h>\n"
     << "#include <stdbool.h>\n"
     << "#include <stdint.h>\n"
     << "#include <stdlib.h>\n";
  return os.str();
}

}  // namespace

std::string codegen_c(const ir::Module& m) {
  FileContext file;
  for (const ir::LoweredFunc& f : m.functions) {
    if (!is_free_c_identifier(f.name())) {
      CINN_THROW(UnsupportedOpError) << "C backend: function name '" << f.name()
                                     << "' is not a C identifier the file may define";
    }
    if (!file.global_names.insert(f.name()).second) {
      CINN_THROW(CompileError) << "C backend: two functions named '" << f.name()
                               << "' in module '" << m.name << "'";
    }
  }
  for (const ir::LoweredFunc& f : m.functions) {
    ir::post_order_visit(f.body(), [&](const ir::IRNode* n) {
      if (!is_extern_call(n)) return;
      const std::string& name = static_cast<const ir::Call*>(n)->name;
      for (const ir::LoweredFunc& g : m.functions) {
        if (g.name() == name) {
          CINN_THROW(UnsupportedOpError)
              << "C backend: extern call of '" << name
              << "', which is a function of the module with the kernel ABI";
        }
      }
      file.global_names.insert(name);
    });
  }
  std::vector<std::string> bodies;
  for (const ir::LoweredFunc& f : m.functions) {
    ir::verify(f);
    bodies.push_back(CodeGenC(&file, f).run());
  }

  std::string out = banner(m.name);
  std::string helpers = file.helpers.definitions();
  if (!helpers.empty()) out += "\n" + helpers;
  if (!file.extern_decls.empty()) {
    out += "\n// External functions the kernels call.\n";
    for (const auto& kv : file.extern_decls) out += kv.second + "\n";
  }
  for (const std::string& b : bodies) out += "\n" + b;
  return out;
}

std::string codegen_c(const ir::LoweredFunc& f) {
  ir::Module m;
  m.name = f.name();
  m.functions = {f};
  return codegen_c(m);
}

}  // namespace cinn::backends::c
