// ir -> LLVM IR (internal to the LLVM backend; includes LLVM headers).
#pragma once

#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>

#include <map>
#include <set>
#include <memory>
#include <string>
#include <vector>

#include "cinn/ir/lowered_func.h"
#include "cinn/ir/visitor.h"

namespace cinn::backends {

// Emits one LLVM function per LoweredFunc into `module`:
//   define void @name(ptr %args, ptr %sizes)      ; the ABI of jit_module.h
//   define internal void @name.body(ptr noalias %A, ..., i64 %n, ...) alwaysinline
// Parallel loops are outlined into @name.par<k>(i64 begin, i64 end, ptr closure) and run
// through cinn_parallel_for (runtime/thread_pool.h).
class CodeGenLLVM : public ir::IRVisitor {
 public:
  CodeGenLLVM(llvm::Module* module, const common::Target& target);
  void add_function(const ir::LoweredFunc& f);

 protected:
#define CINN_EXPR_NODE(Name) void visit_##Name(const ir::Name* op) override;
#define CINN_STMT_NODE(Name) void visit_##Name(const ir::Name* op) override;
#include "cinn/ir/node_kinds.def"

 private:
  llvm::Value* codegen(const ir::Expr& e);
  void codegen(const ir::Stmt& s);
  llvm::Type* llvm_type(common::Type t);
  llvm::Type* mem_type(common::Type t);
  llvm::Value* buffer_ptr(const ir::Buffer& b);
  llvm::Value* address(const ir::Buffer& b, const ir::Expr& index, bool* contiguous,
                        llvm::Value** vector_ptrs);
  int masked_lanes(common::Type t) const;
  // A contiguous access of `lanes` elements at `p` as one masked move of `padded` (a power of
  // two, masked_lanes): the load's mask is `mask` (lanes i1; null: all lanes) widened with
  // false lanes, masked-off lanes take `pass` (lanes wide; null: poison), and the result is
  // narrowed back to `lanes`; the store takes a value of `lanes` or already `padded` lanes.
  llvm::Value* masked_load(llvm::Type* vector_type, llvm::Value* p, llvm::Align align, int padded,
                           llvm::Value* mask, llvm::Value* pass, const ir::BufferNode* b);
  void masked_store(llvm::Value* v, int lanes, llvm::Value* p, llvm::Align align, int padded,
                    const ir::BufferNode* b);
  llvm::Value* gather_index(const ir::Buffer& b, llvm::Value* index);
  llvm::Value* masked_select_load(const ir::Select* op);
  size_t transposed_stores(const std::vector<ir::Stmt>& stmts, size_t first);
  llvm::Value* call_math(const ir::Call* op, const std::vector<llvm::Value*>& args);
  llvm::Value* call_libm(const std::string& name, common::Type t, const std::vector<llvm::Value*>& args);
  llvm::Value* min_max(llvm::Value* a, llvm::Value* b, common::Type t, bool is_min);
  llvm::Value* floor_div_mod(const ir::Expr& x, const ir::Expr& y, common::Type t, bool want_mod);
  // for (var = begin; var < end; ++var) body, with optional loop metadata.
  // `nonnegative_start`: begin >= 0, so the variable is never negative (see nonnegative).
  void emit_loop(const ir::Expr& var, llvm::Value* begin, llvm::Value* end, const ir::Stmt& body,
                 const char* metadata, bool nonnegative_start);
  bool nonnegative(const ir::Expr& e) const;
  void emit_parallel_for(const ir::For* op);
  bool emit_horizontal_reduction(const ir::For* op);
  // Tags a load or store of buffer b with !alias.scope {b} and !noalias {every other buffer of
  // the function}: distinct buffers never overlap (function.h), and LLVM cannot always trace
  // an address back to its noalias argument after the loop nest is reshaped.
  void annotate_alias(llvm::Instruction* access, const ir::BufferNode* b);
  llvm::AllocaInst* entry_alloca(llvm::Type* t, llvm::Value* n, const std::string& name,
                                 unsigned align);

  llvm::Module* module_;
  llvm::LLVMContext& ctx_;
  common::Target target_;
  std::unique_ptr<llvm::IRBuilder<>> b_;
  llvm::Function* func_ = nullptr;
  std::string func_name_;
  int parallel_count_ = 0;
  llvm::Value* value_ = nullptr;
  std::map<const ir::Var*, llvm::Value*> vars_;
  std::set<const ir::Var*> nonnegative_vars_;
  // The constant vector values of the lets in scope (the lane patterns of hoisted indices).
  std::map<const ir::Var*, ir::Expr> let_values_;
  std::map<const ir::BufferNode*, llvm::Value*> buffers_;
  std::map<const ir::BufferNode*, bool> heap_allocated_;
  // Arguments written with non-temporal stores (see streaming_buffers in the .cc), and
  // whether the function being emitted has issued one (it then ends with an sfence).
  std::set<const ir::BufferNode*> streaming_;
  bool emitted_streaming_ = false;
  // Buffers the current function stores values read from themselves into (see masked_lanes).
  std::set<const ir::BufferNode*> accumulated_;
  void fence_streaming_stores();
  // Per buffer of the current function: its scope list and the list of all other scopes.
  std::map<const ir::BufferNode*, std::pair<llvm::MDNode*, llvm::MDNode*>> alias_md_;
};

}  // namespace cinn::backends
