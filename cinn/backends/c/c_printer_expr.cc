#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "cinn/backends/c/c_intrinsics.h"
#include "cinn/backends/c/c_printer.h"
#include "cinn/ir/intrinsics.h"
#include "cinn/ir/ir_operators.h"

namespace cinn::backends::c {
namespace {

using ir::Expr;

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

Prec tighter(Prec p) { return static_cast<Prec>(static_cast<int>(p) + 1); }

}  // namespace

bool CodeGenC::rounds_to_half(const Expr& e) {
  if (!is_half_type(e.type())) return false;
  switch (e.kind()) {
    case ir::NodeKind::kAdd:
    case ir::NodeKind::kSub:
    case ir::NodeKind::kMul:
    case ir::NodeKind::kDiv:
    case ir::NodeKind::kMod:
    case ir::NodeKind::kCall:
      return true;
    case ir::NodeKind::kCast:
      return e.as<ir::Cast>()->value.type() != e.type();
    default:
      return false;  // loads, lets, selects, min / max, immediates (c_float_literal): values of the type
  }
}

void CodeGenC::vector_node(const char* kind, const ir::ExprNode* op) {
  CINN_THROW(UnsupportedOpError) << "C backend, function '" << func_.name() << "': " << kind
                                 << " of type " << op->type << "; the C backend expects scalar IR";
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
  // Comparisons of comparisons are parenthesized on both sides, for the reader, and so is
  // a negation on the left (`(!a) == b`; compilers warn about `!a == b`).
  Prec need = Prec::kAdditive;
  std::string lhs = a.as<ir::Not>() ? "(" + ca.text + ")" : operand(ca, need);
  set(lhs + " " + op + " " + operand(cb, need), prec);
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
    // Unsigned division already rounds down. By a divisor that may be 0: a helper that
    // gives 0 there (division by zero traps on x86).
    const int64_t* divisor = ir::as_const_int(b);
    if (!divisor || *divisor == 0) {
      Type wide = t.bits() == 64 ? common::UInt(64) : common::UInt(32);
      text = (is_div ? file_->helpers.udiv(wide) : file_->helpers.umod(wide)) + "(" + ca.text + ", " + cb.text + ")";
    } else {
      text = operand(ca, Prec::kMultiplicative) + (is_div ? " / " : " % ") + operand(cb, Prec::kUnary);
    }
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
  // float16 / bfloat16 values are floats in C expressions (rounds_to_half).
  Type ht = is_half_type(t) ? common::Float(32) : t;
  std::string fn = is_min ? file_->helpers.min(ht) : file_->helpers.max(ht);
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
  Type from = op->value.type();
  c_type(from);
  // To float16 / bfloat16 from a type float does not hold exactly (float64, 32- and 64-bit
  // integers): through a float rounded to odd, so that print's one rounding to the type is
  // the correct one (rounding to float first could make a tie of what is not one). int64
  // values beyond 2^53 are rounded to double first.
  if (is_half_type(op->type) && (from.bits() > 32 || (from.is_integer() && from.bits() == 32))) {
    std::string x = from == common::Float(64) ? v.text : "(double)" + operand(v, Prec::kUnary);
    set(file_->helpers.odd_float() + "(" + x + ")", Prec::kPrimary);
    return;
  }
  set("(" + c_type(op->type) + ")" + operand(v, Prec::kUnary), Prec::kUnary);
}

std::string CodeGenC::extern_call(const ir::Call* op, const std::vector<CExpr>& args) {
  ir::NodeKind combiner;
  if (ir::is_gpu_block_reduce(op, &combiner)) {
    if (!cuda()) {
      CINN_THROW(UnsupportedOpError) << "C backend, function '" << func_.name()
                                     << "': a GPU block reduction needs the CUDA backend";
    }
    // The helper is warp shuffles plus a barrier: the whole block calls it, in warps.
    if (block_[0] % 32 != 0 || block_[1] != 1 || block_[2] != 1 || guarded_thread_loops_ > 0) {
      std::string why;
      if (block_[1] != 1 || block_[2] != 1) {
        why = "; it combines all of them into one value, so no loop may be bound to threadIdx.y or "
              "threadIdx.z (bind the outputs to blockIdx instead)";
      } else if (guarded_thread_loops_ > 0) {
        why = ", and the reduction's thread loop is shorter than the block (another loop bound to "
              "threadIdx.x is longer)";
      }
      CINN_THROW(ScheduleError) << "CUDA backend, function '" << func_.name()
                                << "': a cross-thread reduction needs every thread of the block, "
                                << "and the block as a multiple of 32 threads along x; the block is ("
                                << block_[0] << ", " << block_[1] << ", " << block_[2] << ")" << why;
    }
    return file_->helpers.block_reduce(combiner, op->type) + "(" + args[0].text + ")";
  }
  if (ir::is_gpu_sync_threads(op)) {
    if (!cuda()) {
      CINN_THROW(UnsupportedOpError) << "C backend, function '" << func_.name()
                                     << "': a barrier between GPU threads needs the CUDA backend";
    }
    if (guarded_thread_loops_ > 0) {
      CINN_THROW(ScheduleError) << "CUDA backend, function '" << func_.name()
                                << "': a barrier (__syncthreads) under a thread loop shorter than the block "
                                << "(another loop bound to the same axis is longer): not every thread reaches it";
    }
    return "__syncthreads()";
  }
  if (cuda()) {
    CINN_THROW(UnsupportedOpError) << "CUDA backend, function '" << func_.name()
                                   << "': extern call of '" << op->name
                                   << "'; kernels can only call CUDA's math functions";
  }
  if (!is_c_identifier(op->name) || op->name.rfind("cinn_", 0) == 0) {
    CINN_THROW(UnsupportedOpError)
        << "C backend: extern function name '" << op->name << "' is not a C identifier";
  }
  std::string decl = "extern " + c_type(op->type) + " " + op->name + "(";
  for (size_t i = 0; i < op->args.size(); ++i) {
    if (i) decl += ", ";
    decl += op->args[i].as<ir::StringImm>() ? "const char*" : c_type(op->args[i].type());
  }
  decl += op->args.empty() ? "void);" : ");";
  auto [it, inserted] = file_->extern_decls.emplace(op->name, decl);
  if (!inserted && it->second != decl) {
    CINN_THROW(UnsupportedOpError)
        << "C backend: extern function '" << op->name << "' is called with two signatures: '"
        << it->second << "' and '" << decl << "'";
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

Expr CodeGenC::flat_index(const ir::Buffer& buffer, const std::vector<Expr>& indices) {
  if (indices.empty()) return Expr(int64_t{0});
  if (indices.size() == 1) return indices[0];
  // Row-major: ((i0 * d1 + i1) * d2 + i2) ...
  const Type index_t = common::IndexType();
  Expr flat = ir::cast(index_t, indices[0]);
  for (size_t d = 1; d < indices.size(); ++d) {
    Expr extent = ir::cast(index_t, buffer.shape()[d]);
    if (!ir::is_one(extent)) flat = ir::Mul::make(flat, extent);
    flat = ir::Add::make(flat, ir::cast(index_t, indices[d]));
  }
  return flat;
}

void CodeGenC::emit(const ir::Load* op) {
  Binding* b = buffer_binding(op->buffer, "load");
  std::string index = index_text(op->buffer, op->indices);
  ++b->uses;
  ++b->loads;
  std::string access = b->text + "[" + index + "]";
  if (is_half_type(op->buffer.dtype())) {
    set(file_->helpers.to_float(op->buffer.dtype()) + "(" + access + ")", Prec::kPrimary);
  } else if (op->buffer.dtype().is_bool()) {
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
      pending_.emplace_back(
          b, "const " + c_type(op->var.type()) + " " + name + " = " + value.text + ";");
      bind(op->var, b);
      result_ = print(op->body);
      unbind(op->var);
      return;
    }
    pending_.emplace_back(nullptr, "(void)" + operand(value, Prec::kUnary) + ";");
  }
  result_ = print(op->body);
}

}  // namespace cinn::backends::c
