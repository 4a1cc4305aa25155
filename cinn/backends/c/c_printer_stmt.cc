#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "cinn/backends/c/c_printer.h"
#include "cinn/ir/gpu_launch.h"
#include "cinn/ir/ir_operators.h"
#include "cinn/ir/simplify.h"
#include "cinn/ir/substitute.h"

namespace cinn::backends::c {

using ir::Expr;
using ir::Stmt;

// ------------------------------------------------------------------------------------------
// Names and scopes

std::string CodeGenC::declare(const std::string& ir_name) {
  std::string base = sanitize_identifier(ir_name);
  std::string name = base;
  for (int k = 1;
       !is_free_c_identifier(name) || visible_.count(name) || file_->global_names.count(name);
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

void CodeGenC::emit_gpu_loop(const ir::For* op) {
  // var = min + blockIdx.x (or threadIdx.x, ...); guarded when the loop is shorter than its
  // launch dimension (another loop bound to the same axis is longer).
  int axis = ir::gpu_axis(op->for_kind);
  bool block = ir::is_block_kind(op->for_kind);
  std::string index = std::string(block ? "blockIdx." : "threadIdx.") + "xyz"[axis];
  int64_t launched = (block ? grid_ : block_)[axis];
  const int64_t* extent = ir::as_const_int(op->extent);
  CINN_CHECK(extent) << "gpu_launch_dims checked the extent";
  CExpr begin = print(op->min);
  flush();
  open_block("{");
  std::string name = declare(op->loop_var.var_name());
  std::string type = c_type(op->loop_var.type());
  std::string value = "(" + type + ")" + index;
  if (!ir::is_zero(op->min)) value = operand(begin, Prec::kAdditive) + " + " + value;
  Binding* b = new_binding(name);
  b->line = line("const " + type + " " + name + " = " + value + ";");
  bind(op->loop_var, b);
  if (*extent < launched) {
    guarded_thread_loops_ += block ? 0 : 1;
    scoped(op->body, "if (" + index + " < " + std::to_string(*extent) + ") {");
    guarded_thread_loops_ -= block ? 0 : 1;
  } else {
    visit(op->body);
  }
  unbind(op->loop_var);
  close_block();
}

// A vectorized loop `for v in [0, L): dst[a + v] = src[b + v]` where L elements are 4, 8 or
// 16 bytes and a, b are multiples of L: one unsigned / uint2 / uint4 move. Alignment:
// global buffers come 64-byte aligned from the runtime (device allocations, the arena's
// offsets), and the kernel's own arrays are declared __align__(16) (allocate).
bool CodeGenC::emit_vector_copy(const ir::For* op) {
  const int64_t* lanes = ir::as_const_int(op->extent);
  // A guard that does not depend on the loop (a partial last thread block) goes around it.
  const auto* guard = op->body.as<ir::IfThenElse>();
  if (guard && (guard->else_case.defined() || mentions(guard->condition, op->loop_var))) return false;
  const auto* store = (guard ? guard->then_case : op->body).as<ir::Store>();
  const auto* load = store ? store->value.as<ir::Load>() : nullptr;
  if (!lanes || *lanes < 2 || !ir::is_zero(op->min) || !load || load->buffer.dtype() != store->buffer.dtype()) {
    return false;
  }
  int64_t bytes = *lanes * store->buffer.dtype().bytes();
  const char* vector_type = bytes == 16 ? "uint4" : bytes == 8 ? "uint2" : bytes == 4 ? "uint1" : nullptr;
  if (!vector_type) return false;
  const ir::Var* v = op->loop_var.as<ir::Var>();
  // The first element's index, when the access runs over consecutive, aligned elements.
  auto first = [&](const ir::Buffer& buf, const std::vector<Expr>& indices) -> Expr {
    Expr flat = ir::cast(common::IndexType(), flat_index(buf, indices));
    Expr base = ir::simplify(ir::substitute(flat, {{v, Expr(int64_t{0})}}));
    Expr step = ir::simplify(ir::Sub::make(ir::Sub::make(flat, base), ir::cast(common::IndexType(), op->loop_var)));
    return ir::is_zero(step) && ir::power_of_two_factor(base) % *lanes == 0 ? base : Expr();
  };
  Expr dst_first = first(store->buffer, store->indices), src_first = first(load->buffer, load->indices);
  if (!dst_first.defined() || !src_first.defined()) return false;
  Binding* dst = buffer_binding(store->buffer, "store");
  Binding* src = buffer_binding(load->buffer, "load");
  CExpr cond = guard ? print(guard->condition) : CExpr{};
  CExpr d = print(dst_first), s = print(src_first);
  flush();
  if (guard) open_block("if (" + cond.text + ") {");
  ++dst->uses;
  ++src->uses;
  ++src->loads;
  std::string type = vector_type;
  auto address = [](const Binding* b, const Expr& first, const CExpr& offset) {
    return ir::is_zero(first) ? b->text : b->text + " + " + operand(offset, Prec::kAdditive);
  };
  line("*reinterpret_cast<" + type + "*>(" + address(dst, dst_first, d) + ") = *reinterpret_cast<const " + type +
       "*>(" + address(src, src_first, s) + ");  // " + std::to_string(*lanes) + " elements");
  if (guard) close_block();
  return true;
}

void CodeGenC::emit(const ir::For* op) {
  if (ir::is_gpu_kind(op->for_kind) && cuda()) return emit_gpu_loop(op);
  if (cuda() && op->for_kind == ir::ForKind::kVectorized && emit_vector_copy(op)) return;
  if (ir::is_gpu_kind(op->for_kind)) {
    CINN_THROW(UnsupportedOpError)
        << "C backend, function '" << func_.name() << "': loop '" << op->loop_var.var_name()
        << "' is bound to " << ir::for_kind_name(op->for_kind)
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
    case ir::ForKind::kParallel:
      line("// parallel loop: the C backend runs it serially");
      break;
    case ir::ForKind::kVectorized:
      line("// vectorized loop: a scalar loop for the C compiler to vectorize");
      break;
    case ir::ForKind::kUnrolled:
      line("// unrolled loop: unrolling is left to the C compiler");
      break;
    default:
      break;
  }
  // The loop variable belongs to the body's frame: its C scope is the for statement.
  frames_.emplace_back();
  std::string name = declare(ir_name);
  line("for (" + type + " " + name + " = " + begin_text + "; " + name + " < " + end_text + "; ++" +
       name + ") {");
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
    if (next && !contains(next->condition,
                          [](const ir::IRNode* n) { return n->kind() == ir::NodeKind::kLet; })) {
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
  // A float16 / bfloat16 value is stored by its conversion, which rounds it already.
  CExpr value = print(op->value, /*round_half=*/false);
  std::string index = index_text(op->buffer, op->indices);
  ++b->uses;
  flush();
  Type t = op->buffer.dtype();
  std::string stored = is_half_type(t) ? file_->helpers.from_float(t) + "(" + value.text + ")" : value.text;
  line(b->text + "[" + index + "] = " + stored + ";");
}

void CodeGenC::allocate(const ir::Buffer& buf) {
  Type t = buf.dtype();
  std::string elem = is_half_type(t) ? file_->helpers.half(t) : c_storage_type(t);
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
  if (cuda()) {
    // Registers/local memory, or shared memory; global temporaries come from the runtime.
    if (!constant || buf.scope() == ir::MemoryScope::kGlobal) {
      CINN_THROW(UnsupportedOpError)
          << "CUDA backend, function '" << func_.name() << "': temporary buffer '" << buf.name()
          << "' is " << (constant ? "in global memory" : "of symbolic size")
          << "; a kernel can only allocate local or shared buffers of constant size";
    }
    if (buf.scope() == ir::MemoryScope::kShared && file_->target &&
        file_->target->max_shared_memory_per_block > 0 &&
        bytes > file_->target->max_shared_memory_per_block) {
      CINN_THROW(ScheduleError) << "CUDA backend, function '" << func_.name()
                                << "': shared buffer '" << buf.name() << "' takes " << bytes
                                << " bytes, above the target's " << file_->target->max_shared_memory_per_block
                                << " bytes of shared memory per block";
    }
  }
  // CUDA: every temporary is an array (checked above); C: small constant ones.
  bool on_stack = cuda() || (buf.scope() != ir::MemoryScope::kGlobal && constant &&
                             bytes <= kMaxStackBytes);
  Binding* b = nullptr;
  if (on_stack) {
    flush();
    std::string name = declare(buf.name());
    b = new_binding(name);
    std::string array = elem + " " + name + "[" + std::to_string(std::max<int64_t>(count, 1)) + "];";
    if (!cuda()) {
      array += "  // " + std::string(ir::memory_scope_name(buf.scope())) + " buffer on the stack";
    } else {
      // Aligned for the 4-, 8- and 16-byte moves of vectorized copies (emit_vector_copy),
      // which may move a whole array of 1- or 2-byte elements.
      if (bytes >= 4) array = "__align__(16) " + array;
      if (buf.scope() == ir::MemoryScope::kShared) array = "__shared__ " + array;
    }
    b->line = line(array);
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

}  // namespace cinn::backends::c
