// The C backend's printer of one function, internal to cinn/backends/c: expressions are
// printed by c_printer_expr.cc, statements (with names and scopes) by c_printer_stmt.cc,
// and the function's prologue and the whole file by codegen_c.cc.
#pragma once

#include <array>
#include <deque>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "cinn/backends/c/c_helpers.h"
#include "cinn/backends/c/c_syntax.h"
#include "cinn/backends/c/codegen_c.h"
#include "cinn/ir/gpu_launch.h"
#include "cinn/ir/lowered_func.h"
#include "cinn/ir/visitor.h"

namespace cinn::backends::c {

// Stack arrays larger than this become heap blocks: worker threads have small stacks.
constexpr int64_t kMaxStackBytes = 64 * 1024;

inline bool contains(const ir::Expr& e, const std::function<bool(const ir::IRNode*)>& pred) {
  bool found = false;
  ir::post_order_visit(e, [&](const ir::IRNode* n) { found = found || pred(n); });
  return found;
}
inline bool contains(const ir::Stmt& s, const std::function<bool(const ir::IRNode*)>& pred) {
  bool found = false;
  if (s.defined()) {
    ir::post_order_visit(s, [&](const ir::IRNode* n) { found = found || pred(n); });
  }
  return found;
}
inline bool is_extern_call(const ir::IRNode* n) {
  return n->kind() == ir::NodeKind::kCall &&
         static_cast<const ir::Call*>(n)->call_kind == ir::Call::Kind::kExtern;
}
// Only extern calls have side effects (ir.h).
inline bool has_side_effects(const ir::Expr& e) { return contains(e, is_extern_call); }
template <typename Node>
bool mentions(const Node& tree, const ir::Expr& var) {
  const ir::IRNode* v = var.get();
  return contains(tree, [v](const ir::IRNode* n) { return n == v; });
}
// `s` with line breaks replaced by spaces, for use in a // comment.
inline std::string one_line(const std::string& s) {
  std::string out;
  for (char ch : s) out += (ch == '\n' || ch == '\r') ? ' ' : ch;
  return out;
}

// What all functions of one output file share: the support functions they call, the
// external functions they declare, and the names no local may take.
struct FileContext {
  Helpers helpers;
  std::map<std::string, std::string> extern_decls;  // name -> declaration
  std::set<std::string> global_names;               // functions and externs of the file
  Dialect dialect = Dialect::kC;
  const common::Target* target = nullptr;           // CUDA: the limits checked at launch
  std::vector<ir::LaunchDims> launch_dims;          // CUDA: per function, in module order
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
  CExpr print(const ir::Expr& e, bool round_half = true) {
    visit(e);
    if (round_half && rounds_to_half(e)) result_ = {file_->helpers.round(e.type()) + "(" + result_.text + ")", Prec::kPrimary};
    return std::move(result_);
  }
  // Whether the float computing `e` (of type float16 / bfloat16) must be rounded to the type.
  bool rounds_to_half(const ir::Expr& e);
  void set(std::string text, Prec prec) { result_ = CExpr{std::move(text), prec}; }
  void set_literal(std::string text) {
    Prec p = (text[0] == '-' || text[0] == '(') ? Prec::kUnary : Prec::kPrimary;
    set(std::move(text), p);
  }
  // Printed in a conditional position (a Select arm, the right of && or ||): lets there are
  // inlined rather than hoisted in front of the statement, which would evaluate them always.
  CExpr print_conditional(const ir::Expr& e) {
    ++conditional_;
    CExpr r = print(e);
    --conditional_;
    return r;
  }
  void emit_arith(const ir::Expr& a, const ir::Expr& b, Type t, const char* op, Prec prec);
  void emit_compare(const ir::Expr& a, const ir::Expr& b, const char* op, Prec prec);
  void emit_div_mod(const ir::Expr& a, const ir::Expr& b, Type t, bool is_div);
  void emit_min_max(const ir::Expr& a, const ir::Expr& b, Type t, bool is_min);
  // The row-major flat index of an access (the index itself for flattened buffers).
  static ir::Expr flat_index(const ir::Buffer& buffer, const std::vector<ir::Expr>& indices);
  std::string index_text(const ir::Buffer& buffer, const std::vector<ir::Expr>& indices) {
    return indices.empty() ? "0" : print(flat_index(buffer, indices)).text;
  }
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
    for (const ir::Stmt& s : op->stmts) visit(s);
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
  void scoped(const ir::Stmt& s, const std::string& header) {
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
  void bind(const ir::Expr& var, Binding* b) { vars_[var.as<ir::Var>()].push_back(b); }
  void unbind(const ir::Expr& var) { vars_[var.as<ir::Var>()].pop_back(); }
  std::string lookup(const ir::Var* v);
  Binding* buffer_binding(const ir::Buffer& b, const char* what);
  // Declares `name` as a const local holding `value` (already printed and flushed).
  Binding* declare_const(const ir::Expr& var, const std::string& name, const CExpr& value,
                         bool keep);
  void allocate(const ir::Buffer& b);
  bool cuda() const { return file_->dialect == Dialect::kCUDA; }
  // Binds a buffer argument to a new name; *elem is its pointee type (const when only read).
  Binding* bind_argument(const ir::Buffer& buf, std::string* elem);
  // CUDA: the kernel's signature line (buffers and sizes as parameters).
  void open_cuda_kernel();
  // CUDA: a loop bound to a block or thread axis.
  void emit_gpu_loop(const ir::For* op);
  // CUDA: a vectorized loop that copies consecutive, aligned elements, as one access of 4,
  // 8 or 16 bytes; false (nothing printed) for any other loop.
  bool emit_vector_copy(const ir::For* op);

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
  std::array<int64_t, 3> grid_{1, 1, 1}, block_{1, 1, 1};  // CUDA launch dimensions
  int guarded_thread_loops_ = 0;  // enclosing `if (threadIdx.? < extent)` guards
};

}  // namespace cinn::backends::c
