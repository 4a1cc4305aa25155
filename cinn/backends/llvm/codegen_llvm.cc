#include "cinn/backends/llvm/codegen_llvm.h"

#include <llvm/Analysis/VectorUtils.h>
#include <llvm/IR/Constants.h>
#include <llvm/IR/DerivedTypes.h>
#include <llvm/IR/Function.h>
#include <llvm/IR/Intrinsics.h>
#include <llvm/IR/IntrinsicsX86.h>
#include <llvm/IR/MDBuilder.h>

#include <algorithm>
#include <optional>
#include <set>

#include "cinn/ir/equality.h"
#include "cinn/ir/intrinsics.h"
#include "cinn/ir/ir_operators.h"
#include "cinn/ir/printer.h"
#include "cinn/ir/simplify.h"
#include "cinn/ir/substitute.h"

namespace cinn::backends {

using namespace ir;  // NOLINT
using common::Type;

CodeGenLLVM::CodeGenLLVM(llvm::Module* module, const common::Target& target)
    : module_(module), ctx_(module->getContext()), target_(target) {
  b_ = std::make_unique<llvm::IRBuilder<>>(ctx_);
  // Float arithmetic may be contracted into FMAs (ir.h); nothing else is relaxed.
  llvm::FastMathFlags fmf;
  fmf.setAllowContract(true);
  b_->setFastMathFlags(fmf);
}

llvm::Type* CodeGenLLVM::llvm_type(Type t) {
  llvm::Type* e = nullptr;
  switch (t.code()) {
    case Type::Code::kBool: e = b_->getInt1Ty(); break;
    case Type::Code::kInt:
    case Type::Code::kUInt: e = b_->getIntNTy(t.bits()); break;
    case Type::Code::kFloat:
      e = t.bits() == 16 ? b_->getHalfTy() : t.bits() == 32 ? b_->getFloatTy() : b_->getDoubleTy();
      break;
    case Type::Code::kBFloat: e = b_->getBFloatTy(); break;
    case Type::Code::kHandle: e = b_->getPtrTy(); break;
    case Type::Code::kVoid: return b_->getVoidTy();
  }
  return t.lanes() > 1 ? llvm::FixedVectorType::get(e, t.lanes()) : e;
}

llvm::Type* CodeGenLLVM::mem_type(Type t) {
  if (t.is_bool()) {
    return t.lanes() > 1 ? llvm::FixedVectorType::get(b_->getInt8Ty(), t.lanes())
                         : static_cast<llvm::Type*>(b_->getInt8Ty());
  }
  return llvm_type(t);
}

llvm::Value* CodeGenLLVM::codegen(const Expr& e) {
  value_ = nullptr;
  visit(e);
  CINN_CHECK(value_) << "LLVM codegen produced no value for " << e;
  return value_;
}

void CodeGenLLVM::codegen(const Stmt& s) { visit(s); }

llvm::AllocaInst* CodeGenLLVM::entry_alloca(llvm::Type* t, llvm::Value* n,
                                            const std::string& name, unsigned align) {
  llvm::IRBuilder<> eb(&func_->getEntryBlock(), func_->getEntryBlock().begin());
  llvm::AllocaInst* a = eb.CreateAlloca(t, n, name);
  a->setAlignment(llvm::Align(align));
  return a;
}

// ---------------------------------------------------------------------------------------
// Functions

namespace {

// An output is written with non-temporal (streaming) stores when it is an argument the
// function writes and never reads, larger than this: such a buffer leaves the caches before
// anyone reads it again, so allocating its lines in the cache on write (a read of memory
// per line) only costs bandwidth. The size is that of a large last-level cache slice.
constexpr int64_t kStreamingStoreMinBytes = int64_t{32} << 20;
// Only whole, aligned cache lines are streamed.
constexpr unsigned kCacheLineBytes = 64;

std::set<const BufferNode*> streaming_buffers(const LoweredFunc& f) {
  std::set<const BufferNode*> loaded, stored;
  post_order_visit(f.body(), [&](const IRNode* n) {
    if (n->kind() == NodeKind::kLoad) loaded.insert(static_cast<const Load*>(n)->buffer.get());
    if (n->kind() == NodeKind::kStore) stored.insert(static_cast<const Store*>(n)->buffer.get());
  });
  std::set<const BufferNode*> out;
  for (const auto& a : f.args()) {
    const BufferNode* b = a.buffer.get();
    if (!stored.count(b) || loaded.count(b)) continue;
    int64_t bytes = a.buffer.dtype().bytes();
    for (const Expr& e : a.buffer.shape()) {
      const int64_t* c = as_const_int(e);
      bytes = c ? bytes * *c : 0;
    }
    if (bytes >= kStreamingStoreMinBytes) out.insert(b);
  }
  return out;
}

}  // namespace

// Non-temporal stores are weakly ordered: make them visible before the function (or a
// parallel task, whose completion another thread observes) returns.
void CodeGenLLVM::fence_streaming_stores() {
  if (!emitted_streaming_) return;
  b_->CreateCall(llvm::Intrinsic::getDeclaration(module_, llvm::Intrinsic::x86_sse_sfence));
}

void CodeGenLLVM::add_function(const LoweredFunc& f) {
  func_name_ = f.name();
  parallel_count_ = 0;
  vars_.clear();
  buffers_.clear();
  heap_allocated_.clear();
  alias_md_.clear();
  streaming_ = streaming_buffers(f);
  emitted_streaming_ = false;
  accumulated_.clear();
  post_order_visit(f.body(), [&](const IRNode* n) {
    if (n->kind() != NodeKind::kStore) return;
    const auto* st = static_cast<const Store*>(n);
    post_order_visit(st->value, [&](const IRNode* m) {
      if (m->kind() == NodeKind::kLoad && static_cast<const Load*>(m)->buffer.same_as(st->buffer)) {
        accumulated_.insert(st->buffer.get());
      }
    });
  });

  // One alias scope per buffer the function reads or writes.
  std::vector<const BufferNode*> accessed;
  std::set<const BufferNode*> seen;
  post_order_visit(f.body(), [&](const IRNode* n) {
    const BufferNode* b = nullptr;
    if (n->kind() == NodeKind::kLoad) b = static_cast<const Load*>(n)->buffer.get();
    if (n->kind() == NodeKind::kStore) b = static_cast<const Store*>(n)->buffer.get();
    if (b && seen.insert(b).second) accessed.push_back(b);
  });
  if (accessed.size() > 1) {
    llvm::MDBuilder md(ctx_);
    llvm::MDNode* domain = md.createAnonymousAliasScopeDomain(f.name());
    std::vector<llvm::Metadata*> scopes;
    for (const BufferNode* b : accessed) {
      scopes.push_back(md.createAnonymousAliasScope(domain, b->name));
    }
    for (size_t i = 0; i < accessed.size(); ++i) {
      std::vector<llvm::Metadata*> others;
      for (size_t j = 0; j < accessed.size(); ++j) {
        if (j != i) others.push_back(scopes[j]);
      }
      alias_md_[accessed[i]] = {llvm::MDNode::get(ctx_, {scopes[i]}), llvm::MDNode::get(ctx_, others)};
    }
  }

  // The body with typed, noalias parameters.
  std::vector<llvm::Type*> params;
  for (size_t i = 0; i < f.args().size(); ++i) params.push_back(b_->getPtrTy());
  for (size_t i = 0; i < f.size_vars().size(); ++i) params.push_back(b_->getInt64Ty());
  auto* body_ty = llvm::FunctionType::get(b_->getVoidTy(), params, false);
  llvm::Function* body_fn = llvm::Function::Create(body_ty, llvm::Function::InternalLinkage,
                                                   f.name() + ".body", module_);
  body_fn->addFnAttr(llvm::Attribute::AlwaysInline);
  body_fn->addFnAttr(llvm::Attribute::NoUnwind);
  for (size_t i = 0; i < f.args().size(); ++i) {
    body_fn->addParamAttr(i, llvm::Attribute::NoAlias);
    body_fn->getArg(i)->setName(f.args()[i].buffer.name());
    buffers_[f.args()[i].buffer.get()] = body_fn->getArg(i);
  }
  for (size_t i = 0; i < f.size_vars().size(); ++i) {
    llvm::Argument* a = body_fn->getArg(f.args().size() + i);
    a->setName(f.size_vars()[i].var_name());
    vars_[f.size_vars()[i].as<Var>()] = a;
  }
  func_ = body_fn;
  b_->SetInsertPoint(llvm::BasicBlock::Create(ctx_, "entry", body_fn));
  codegen(f.body());
  fence_streaming_stores();
  b_->CreateRetVoid();

  // The ABI wrapper: void name(void** args, const int64_t* sizes).
  auto* abi_ty =
      llvm::FunctionType::get(b_->getVoidTy(), {b_->getPtrTy(), b_->getPtrTy()}, false);
  llvm::Function* abi = llvm::Function::Create(abi_ty, llvm::Function::ExternalLinkage,
                                               f.name(), module_);
  abi->addFnAttr(llvm::Attribute::NoUnwind);
  b_->SetInsertPoint(llvm::BasicBlock::Create(ctx_, "entry", abi));
  std::vector<llvm::Value*> call_args;
  for (size_t i = 0; i < f.args().size(); ++i) {
    llvm::Value* slot = b_->CreateConstInBoundsGEP1_64(b_->getPtrTy(), abi->getArg(0), i);
    call_args.push_back(b_->CreateLoad(b_->getPtrTy(), slot, f.args()[i].buffer.name()));
  }
  for (size_t i = 0; i < f.size_vars().size(); ++i) {
    llvm::Value* slot = b_->CreateConstInBoundsGEP1_64(b_->getInt64Ty(), abi->getArg(1), i);
    call_args.push_back(b_->CreateLoad(b_->getInt64Ty(), slot, f.size_vars()[i].var_name()));
  }
  b_->CreateCall(body_fn, call_args);
  b_->CreateRetVoid();
}

// ---------------------------------------------------------------------------------------
// Expressions

void CodeGenLLVM::visit_IntImm(const IntImm* op) {
  value_ = llvm::ConstantInt::get(llvm_type(op->type), op->value, /*isSigned=*/true);
}
void CodeGenLLVM::visit_UIntImm(const UIntImm* op) {
  value_ = llvm::ConstantInt::get(llvm_type(op->type), op->value, /*isSigned=*/false);
}
void CodeGenLLVM::visit_FloatImm(const FloatImm* op) {
  value_ = llvm::ConstantFP::get(llvm_type(op->type), op->value);
}
void CodeGenLLVM::visit_StringImm(const StringImm* op) {
  value_ = b_->CreateGlobalStringPtr(op->value);
}
void CodeGenLLVM::visit_Var(const Var* op) {
  auto it = vars_.find(op);
  CINN_CHECK(it != vars_.end()) << "LLVM codegen: unbound variable '" << op->name << "'";
  value_ = it->second;
}

void CodeGenLLVM::visit_Add(const Add* op) {
  llvm::Value *a = codegen(op->a), *b = codegen(op->b);
  value_ = op->type.is_float() ? b_->CreateFAdd(a, b) : b_->CreateAdd(a, b);
}
void CodeGenLLVM::visit_Sub(const Sub* op) {
  llvm::Value *a = codegen(op->a), *b = codegen(op->b);
  value_ = op->type.is_float() ? b_->CreateFSub(a, b) : b_->CreateSub(a, b);
}
void CodeGenLLVM::visit_Mul(const Mul* op) {
  llvm::Value *a = codegen(op->a), *b = codegen(op->b);
  value_ = op->type.is_float() ? b_->CreateFMul(a, b) : b_->CreateMul(a, b);
}

// Floor division and modulo (ir.h): q = a / b rounded towards -inf, r = a - q * b. By a
// positive constant, of a value that is never negative (see nonnegative), they are the
// unsigned ones, which need no sign fix-up (x86: a multiply and a shift instead of a dozen
// instructions; the index arithmetic of fused loops is full of them).
//
// An integer divisor that is not a constant may be 0, and -1 under the type's minimum:
// x86's division traps on both (SIGFPE: the process dies). Division by zero gives 0, both
// quotient and remainder (numpy's result, without its warning), and the minimum divided
// by -1 wraps to itself, as the C backend's helpers do.
llvm::Value* CodeGenLLVM::floor_div_mod(const Expr& x, const Expr& y, Type t, bool want_mod) {
  llvm::Value *a = codegen(x), *b = codegen(y);
  const int64_t* c = as_const_int(y);
  if (!c) {
    if (const auto* bc = y.as<Broadcast>()) c = as_const_int(bc->value);
  }
  bool non_negative = t.is_int() && c && *c > 0 && nonnegative(x);
  if (t.is_float()) {
    if (!want_mod) return b_->CreateFDiv(a, b);
    llvm::Value* r = b_->CreateFRem(a, b);
    llvm::Value* zero = llvm::ConstantFP::get(r->getType(), 0.0);
    llvm::Value* adj = b_->CreateAnd(b_->CreateFCmpONE(r, zero),
                                     b_->CreateXor(b_->CreateFCmpOLT(r, zero),
                                                   b_->CreateFCmpOLT(b, zero)));
    return b_->CreateSelect(adj, b_->CreateFAdd(r, b), r);
  }
  llvm::Value* zero = llvm::Constant::getNullValue(a->getType());
  llvm::Value* one = llvm::ConstantInt::get(a->getType(), 1);
  llvm::Value* by_zero = nullptr;   // lanes dividing by 0
  llvm::Value* by_minus1 = nullptr; // lanes dividing by -1 (signed)
  if (!c || *c == 0 || (t.is_int() && *c == -1)) {
    by_zero = b_->CreateICmpEQ(b, zero);
    llvm::Value* trap = by_zero;
    if (t.is_int()) {
      by_minus1 = b_->CreateICmpEQ(b, llvm::Constant::getAllOnesValue(b->getType()));
      trap = b_->CreateOr(trap, by_minus1);
    }
    b = b_->CreateSelect(trap, one, b);  // those lanes are set below
  }
  auto fixed = [&](llvm::Value* v, llvm::Value* minus1_value) {
    if (by_minus1) v = b_->CreateSelect(by_minus1, minus1_value, v);
    if (by_zero) v = b_->CreateSelect(by_zero, zero, v);
    return v;
  };
  if (t.is_uint() || non_negative) {
    return fixed(want_mod ? b_->CreateURem(a, b) : b_->CreateUDiv(a, b), nullptr);
  }
  llvm::Value* q = b_->CreateSDiv(a, b);
  llvm::Value* r = b_->CreateSRem(a, b);
  // r != 0 and sign(r) != sign(b)
  llvm::Value* adj = b_->CreateAnd(b_->CreateICmpNE(r, zero),
                                   b_->CreateICmpSLT(b_->CreateXor(r, b), zero));
  if (want_mod) return fixed(b_->CreateSelect(adj, b_->CreateAdd(r, b), r), zero);
  return fixed(b_->CreateSub(q, b_->CreateZExt(adj, q->getType())), b_->CreateNeg(a));
}

// Whether integer expression `e` is never negative: constants, loop variables counting up
// from a non-negative start, and sums, products, quotients, minima and maxima of such values;
// a floor modulo by a positive constant.
bool CodeGenLLVM::nonnegative(const Expr& e) const {
  if (const int64_t* c = as_const_int(e)) return *c >= 0;
  if (const auto* v = e.as<Var>()) return nonnegative_vars_.count(v) > 0;
  if (const auto* m = e.as<Mod>()) {
    const int64_t* c = as_const_int(m->b);
    return (c && *c > 0) || (nonnegative(m->a) && nonnegative(m->b));
  }
  auto both = [&](const Expr& a, const Expr& b) { return nonnegative(a) && nonnegative(b); };
  if (const auto* n = e.as<Add>()) return both(n->a, n->b);
  if (const auto* n = e.as<Mul>()) return both(n->a, n->b);
  if (const auto* n = e.as<Div>()) return both(n->a, n->b);
  if (const auto* n = e.as<Min>()) return both(n->a, n->b);
  if (const auto* n = e.as<Max>()) return nonnegative(n->a) || nonnegative(n->b);
  if (const auto* n = e.as<Ramp>()) return both(n->base, n->stride);
  if (const auto* n = e.as<Broadcast>()) return nonnegative(n->value);
  return false;
}

void CodeGenLLVM::visit_Div(const Div* op) { value_ = floor_div_mod(op->a, op->b, op->type, false); }
void CodeGenLLVM::visit_Mod(const Mod* op) { value_ = floor_div_mod(op->a, op->b, op->type, true); }
// Float min and max propagate NaN (PyTorch's and numpy's minimum / maximum): a NaN operand
// makes the result NaN, so relu, max pooling and max reductions do not hide a diverging
// value. `b > a ? b : a` is one x86 max instruction (which gives a when either is NaN:
// a NaN a, an accumulator, stays), and a NaN b is then replaced by a NaN constant: a
// masked move whose mask does not depend on a, so a reduction's loop-carried chain
// (a = the accumulator) is the max and the move. (Selecting b itself, or LLVM's
// maximum intrinsic, puts a compare on that chain: 1.6-2x slower max reductions.)
// Integers: a compare and a select, signed or not by `t`.
llvm::Value* CodeGenLLVM::min_max(llvm::Value* a, llvm::Value* b, Type t, bool is_min) {
  if (t.is_float()) {
    llvm::Value* pick = b_->CreateSelect(is_min ? b_->CreateFCmpOLT(b, a) : b_->CreateFCmpOGT(b, a), b, a);
    return b_->CreateSelect(b_->CreateFCmpUNO(b, b), llvm::ConstantFP::getNaN(b->getType()), pick);
  }
  llvm::Value* less = t.is_uint() ? b_->CreateICmpULT(a, b) : b_->CreateICmpSLT(a, b);
  return is_min ? b_->CreateSelect(less, a, b) : b_->CreateSelect(less, b, a);
}
void CodeGenLLVM::visit_Min(const Min* op) { value_ = min_max(codegen(op->a), codegen(op->b), op->type, true); }
void CodeGenLLVM::visit_Max(const Max* op) { value_ = min_max(codegen(op->a), codegen(op->b), op->type, false); }

#define CINN_CMP(Node, FPred, SPred, UPred)                                        \
  void CodeGenLLVM::visit_##Node(const Node* op) {                                 \
    llvm::Value *a = codegen(op->a), *b = codegen(op->b);                          \
    Type t = op->a.type();                                                         \
    if (t.is_float()) {                                                            \
      value_ = b_->CreateFCmp(llvm::CmpInst::FPred, a, b);                         \
    } else {                                                                       \
      value_ = b_->CreateICmp(t.is_int() ? llvm::CmpInst::SPred : llvm::CmpInst::UPred, a, b); \
    }                                                                              \
  }
CINN_CMP(EQ, FCMP_OEQ, ICMP_EQ, ICMP_EQ)
CINN_CMP(NE, FCMP_UNE, ICMP_NE, ICMP_NE)
CINN_CMP(LT, FCMP_OLT, ICMP_SLT, ICMP_ULT)
CINN_CMP(LE, FCMP_OLE, ICMP_SLE, ICMP_ULE)
CINN_CMP(GT, FCMP_OGT, ICMP_SGT, ICMP_UGT)
CINN_CMP(GE, FCMP_OGE, ICMP_SGE, ICMP_UGE)
#undef CINN_CMP

void CodeGenLLVM::visit_And(const And* op) { value_ = b_->CreateAnd(codegen(op->a), codegen(op->b)); }
void CodeGenLLVM::visit_Or(const Or* op) { value_ = b_->CreateOr(codegen(op->a), codegen(op->b)); }
void CodeGenLLVM::visit_Not(const Not* op) { value_ = b_->CreateNot(codegen(op->a)); }
namespace {

// The value of one lane (`lane`, an index variable) of a vector index expression, as a
// scalar expression: ramp(b, s, n) is b + s * lane, broadcast(v, n) is v.
class LaneValue : public IRMutator {
 public:
  explicit LaneValue(Expr lane) : lane_(std::move(lane)) {}
  Expr of(const Expr& e) { return mutate(e); }

 protected:
  Expr mutate_Ramp(const Ramp* op) override {
    Expr base = mutate(op->base);
    Expr lane = base.type() == lane_.type() ? lane_ : Cast::make(base.type(), lane_);
    return base + mutate(op->stride) * lane;
  }
  Expr mutate_Broadcast(const Broadcast* op) override { return mutate(op->value); }

 private:
  Expr lane_;
};

// Removes the clamps max(e, lo) and min(e, hi) (a clamp into bounds: max(min(e, hi), lo)) of
// an index where the conjuncts of a select's condition imply them: e >= lo (e <= hi) in every
// lane where the condition holds. A conjunct `a >= b` is kept as g = a - b (g >= 0);
// e >= lo follows from it when (e - lo) - g simplifies to a constant >= 0, per lane
// (LaneValue).
class StripImpliedClamps : public IRMutator {
 public:
  explicit StripImpliedClamps(const Expr& condition) : lane_(Var::make("lane")) {
    std::vector<Expr> stack = {condition};
    while (!stack.empty()) {
      Expr c = stack.back();
      stack.pop_back();
      if (const auto* a = c.as<And>()) {
        stack.push_back(a->a);
        stack.push_back(a->b);
      } else if (const auto* b = c.as<Broadcast>()) {
        stack.push_back(b->value);
      } else if (auto g = nonnegative_form(c)) {
        facts_.push_back(lane(*g));
      }
    }
  }
  // `e` without the implied clamps; nullopt if it has none.
  std::optional<Expr> strip(const Expr& e) {
    Expr r = mutate(e);
    return stripped_ ? std::optional<Expr>(r) : std::nullopt;
  }

 protected:
  Expr mutate_Max(const Max* op) override { return extreme(op->a, op->b, /*larger=*/true); }
  Expr mutate_Min(const Min* op) override { return extreme(op->a, op->b, /*larger=*/false); }

 private:
  // max(x, y) (min with !larger): the operand the facts prove the larger (smaller) one, or
  // the node itself.
  Expr extreme(const Expr& x, const Expr& y, bool larger) {
    Expr a = mutate(x), b = mutate(y);
    bool a_at_least_b = follows(a, b);
    if (a_at_least_b || follows(b, a)) {
      stripped_ = true;
      return a_at_least_b == larger ? a : b;
    }
    return larger ? Max::make(a, b) : Min::make(a, b);
  }
  static bool integral(const Expr& e) { return e.type().is_int() || e.type().is_uint(); }
  // The comparison as an expression that is >= 0 exactly when it holds (integers only).
  static std::optional<Expr> nonnegative_form(const Expr& c) {
    if (const auto* n = c.as<GE>(); n && integral(n->a)) return n->a - n->b;
    if (const auto* n = c.as<GT>(); n && integral(n->a)) return n->a - n->b - one_like(n->a);
    if (const auto* n = c.as<LE>(); n && integral(n->a)) return n->b - n->a;
    if (const auto* n = c.as<LT>(); n && integral(n->a)) return n->b - n->a - one_like(n->a);
    return std::nullopt;
  }
  // 1 of the type of `like` (a broadcast for a vector).
  static Expr one_like(const Expr& like) {
    Type t = like.type().element_of();
    Expr s = Cast::make(t, Expr(int64_t{1}));
    return like.type().lanes() > 1 ? Broadcast::make(s, like.type().lanes()) : s;
  }
  Expr lane(const Expr& e) { return simplify(LaneValue(lane_).of(e)); }
  // Whether the facts imply hi - lo >= 0 in every lane.
  bool follows(const Expr& hi, const Expr& lo) {
    if (!integral(hi) || hi.type() != lo.type()) return false;
    Expr d = lane(hi - lo);
    for (const Expr& g : facts_) {
      if (g.type() != d.type()) continue;
      const int64_t* k = as_const_int(simplify(d - g));
      if (k && *k >= 0) return true;
    }
    return false;
  }

  Expr lane_;
  std::vector<Expr> facts_;
  bool stripped_ = false;
};

// The number of elements lane offsets span (lowest to highest), when it is at most four per
// lane and 64 in all (a stride of up to 4); else 0.
int64_t lanes_span(const std::vector<int64_t>& offsets, int lanes) {
  if (offsets.empty()) return 0;
  auto [lo, hi] = std::minmax_element(offsets.begin(), offsets.end());
  int64_t span = *hi - *lo + 1;
  return span <= std::min<int64_t>(4 * lanes, 64) ? span : 0;
}

// The smallest power of two that is at least n.
int next_pow2(int64_t n) {
  int p = 1;
  while (p < n) p *= 2;
  return p;
}

// A shuffle's indices spreading `lanes` lanes to `padded`, `stride` apart: lane i lands at
// i * stride, every other position takes `fill`.
std::vector<int> spread_lanes(int lanes, int padded, int stride, int fill) {
  std::vector<int> idx;
  for (int i = 0; i < padded; ++i) idx.push_back(i % stride == 0 && i / stride < lanes ? i / stride : fill);
  return idx;
}

// The mask `m` (lanes i1) spread to `padded` lanes, `stride` apart: lane i of m becomes lane
// i * stride, every other lane is false.
llvm::Value* widen_mask(llvm::IRBuilder<>& b, llvm::Value* m, int lanes, int padded, int stride = 1) {
  return b.CreateShuffleVector(m, llvm::Constant::getNullValue(m->getType()), spread_lanes(lanes, padded, stride, lanes));
}

// A vector index that is s, s + 1, ..., s + lanes - 1 whenever `*cond` holds: a ramp of
// stride 1, shifted by scalars (broadcasts) and clamped by them (max / min: the clamped
// reads of padding and windows, which stay inside the tensor only at its borders). Returns
// s, or an undefined Expr; *cond gets a scalar condition (undefined: always).
Expr clamped_ramp(const Expr& e, Expr* cond) {
  auto scalar = [](const Expr& x) -> Expr {
    const auto* b = x.as<Broadcast>();
    return b ? b->value : Expr();
  };
  auto both = [&](Expr c) { *cond = cond->defined() ? And::make(*cond, c) : c; };
  if (const auto* r = e.as<Ramp>()) return is_one(r->stride) ? r->base : Expr();
  if (const auto* a = e.as<Add>()) {
    for (auto [s, v] : {std::pair{a->a, a->b}, std::pair{a->b, a->a}}) {
      Expr k = scalar(s);
      if (!k.defined()) continue;
      Expr base = clamped_ramp(v, cond);
      return base.defined() ? Add::make(base, k) : Expr();
    }
    return Expr();
  }
  if (const auto* d = e.as<Sub>()) {
    Expr k = scalar(d->b);
    Expr base = k.defined() ? clamped_ramp(d->a, cond) : Expr();
    return base.defined() ? Sub::make(base, k) : Expr();
  }
  auto clamp = [&](const Expr& x, const Expr& y, bool is_max) -> Expr {
    for (auto [s, v] : {std::pair{x, y}, std::pair{y, x}}) {
      Expr k = scalar(s);
      if (!k.defined()) continue;
      Expr base = clamped_ramp(v, cond);
      if (!base.defined()) return Expr();
      // The lanes increase: max changes none while the first is >= k, min none while the last is <= k.
      Expr last = Add::make(base, make_const(base.type(), e.type().lanes() - 1));
      both(is_max ? GE::make(base, k) : LE::make(last, k));
      return base;
    }
    return Expr();
  };
  if (const auto* m = e.as<Max>()) return clamp(m->a, m->b, true);
  if (const auto* m = e.as<Min>()) return clamp(m->a, m->b, false);
  return Expr();
}

// A vector index as s + c[i]: a scalar s and constant lane offsets c. Ramps of constant
// stride (strided windows and slices), broadcasts, their sums, products by constants, and
// floor divisions / remainders by a power of two c that divides s (a tensor spread by a
// stride: (8 j + ramp(0, 1, 16)) / 2 = 4 j + (0, 0, 1, 1, ...)). Returns s, or an
// undefined Expr.
Expr offset_lanes(const Expr& e, std::vector<int64_t>* offsets, const std::map<const Var*, Expr>& lets) {
  int lanes = e.type().lanes();
  if (const auto* v = e.as<Var>()) {  // a hoisted constant vector (constant_vector)
    auto it = lets.find(v);
    return it == lets.end() ? Expr() : offset_lanes(it->second, offsets, lets);
  }
  if (const auto* r = e.as<Ramp>()) {
    const int64_t* stride = as_const_int(r->stride);
    if (!stride) return Expr();
    offsets->clear();
    for (int i = 0; i < lanes; ++i) offsets->push_back(i * *stride);
    return r->base;
  }
  if (const auto* b = e.as<Broadcast>()) {
    offsets->assign(static_cast<size_t>(lanes), 0);
    return b->value;
  }
  auto constant = [](const Expr& x) -> const int64_t* {
    const auto* b = x.as<Broadcast>();
    return b ? as_const_int(b->value) : nullptr;
  };
  std::vector<int64_t> other;
  if (const auto* a = e.as<Add>()) {
    Expr x = offset_lanes(a->a, offsets, lets), y = x.defined() ? offset_lanes(a->b, &other, lets) : Expr();
    if (!y.defined()) return Expr();
    for (size_t i = 0; i < other.size(); ++i) (*offsets)[i] += other[i];
    return Add::make(x, y);
  }
  if (const auto* d = e.as<Sub>()) {
    Expr x = offset_lanes(d->a, offsets, lets), y = x.defined() ? offset_lanes(d->b, &other, lets) : Expr();
    if (!y.defined()) return Expr();
    for (size_t i = 0; i < other.size(); ++i) (*offsets)[i] -= other[i];
    return Sub::make(x, y);
  }
  if (const auto* m = e.as<Mul>()) {
    const int64_t* k = constant(m->b);
    Expr x = k ? offset_lanes(m->a, offsets, lets) : Expr();
    if (!x.defined()) return Expr();
    for (int64_t& o : *offsets) o *= *k;
    return Mul::make(x, make_const(x.type(), *k));
  }
  bool div = e.as<Div>() != nullptr;
  if (div || e.as<Mod>()) {
    const Expr& num = div ? e.as<Div>()->a : e.as<Mod>()->a;
    const int64_t* c = constant(div ? e.as<Div>()->b : e.as<Mod>()->b);
    if (!c || *c <= 0 || (*c & (*c - 1)) != 0) return Expr();
    Expr x = offset_lanes(num, offsets, lets);
    if (!x.defined() || power_of_two_factor(x) % *c != 0) return Expr();
    for (int64_t& o : *offsets) {
      int64_t q = o / *c - (o % *c != 0 && o < 0);  // floor
      o = div ? q : o - q * *c;
    }
    return div ? Div::make(x, make_const(x.type(), *c)) : make_const(x.type(), 0);
  }
  return Expr();
}

// A vector made of constants alone (ramp(0, 1, 16) / 2, hoisted out of a loop as a let):
// offset_lanes may rebuild it where it is used, in any function (a parallel loop's body is
// outlined, and values of the enclosing function are not visible there).
bool constant_vector(const Expr& e) {
  if (e.type().lanes() < 2) return false;
  bool constant = true;
  post_order_visit(e, [&](const IRNode* n) {
    NodeKind k = n->kind();
    constant = constant && k != NodeKind::kVar && k != NodeKind::kLoad && k != NodeKind::kCall && k != NodeKind::kLet;
  });
  return constant;
}

}  // namespace

// A padded read, select(c, x[i], v) where the index i clamps into x's bounds what c says
// lies inside them (zero padding: select(0 <= h - 1 < H && ..., x[.. max(min(h - 1, H - 1),
// 0) ..], 0)), is a masked load of x at the unclamped index: lanes where c is false are not
// read and take v. Unclamped, a row's index is contiguous (one masked vector move) where the
// clamped one is a gather. Returns nullptr where the pattern does not apply.
llvm::Value* CodeGenLLVM::masked_select_load(const Select* op) {
  const auto* load = op->true_value.as<Load>();
  Type t = op->type;
  if (!load || t.lanes() < 2 || t.is_bool() || load->indices.size() != 1 ||
      accumulated_.count(load->buffer.get())) {
    return nullptr;
  }
  std::optional<Expr> unclamped = StripImpliedClamps(op->condition).strip(load->indices[0]);
  if (!unclamped) return nullptr;
  Expr index = simplify(*unclamped);
  llvm::Value* mask = codegen(op->condition);
  if (op->condition.type().lanes() != t.lanes()) mask = b_->CreateVectorSplat(t.lanes(), mask);
  llvm::Value* pass = codegen(op->false_value);
  llvm::Type* mt = mem_type(t);
  llvm::Type* et = mem_type(load->buffer.dtype());
  llvm::Align align(load->buffer.dtype().bytes());
  llvm::Value* base = buffer_ptr(load->buffer);
  llvm::Instruction* access = nullptr;
  llvm::Value* v = nullptr;
  // Not inbounds: masked-off lanes may point before or past the buffer (the padding).
  const auto* r = index.as<Ramp>();
  const int64_t* stride = r ? as_const_int(r->stride) : nullptr;
  int lanes = t.lanes();
  std::vector<int64_t> offsets;  // of the lanes from the first
  for (int i = 0; stride && *stride > 1 && i < lanes; ++i) offsets.push_back(i * *stride);
  if (stride && *stride == 1) {
    llvm::Value* p = b_->CreateGEP(et, base, codegen(r->base));
    if (int padded = masked_lanes(t)) {
      return masked_load(mt, p, align, padded, mask, pass, load->buffer.get());
    } else {
      v = b_->CreateMaskedLoad(mt, p, align, mask, pass);
      access = llvm::cast<llvm::Instruction>(v);
    }
  } else if (int64_t span = lanes_span(offsets, lanes)) {
    // A padded row read a few elements apart (a stride-2 phase split): one masked load of
    // the span the lanes cover, each lane's mask bit at its element and the elements
    // between them off, then a shuffle picking the lanes -- two vector moves and a permute
    // for 16 lanes of stride 2, instead of a 16-element gather.
    int s = static_cast<int>(*stride), padded = next_pow2(span);
    std::vector<int> pick(offsets.begin(), offsets.end());
    llvm::Value* wide = b_->CreateMaskedLoad(llvm::FixedVectorType::get(et, static_cast<unsigned>(padded)),
                                             b_->CreateGEP(et, base, codegen(r->base)), align,
                                             widen_mask(*b_, mask, lanes, padded, s),
                                             b_->CreateShuffleVector(pass, spread_lanes(lanes, padded, s, -1)));
    annotate_alias(llvm::cast<llvm::Instruction>(wide), load->buffer.get());
    return b_->CreateShuffleVector(wide, pick);
  } else {
    v = b_->CreateMaskedGather(mt, b_->CreateGEP(et, base, gather_index(load->buffer, codegen(index))),
                               align, mask, pass);
    access = llvm::cast<llvm::Instruction>(v);
  }
  annotate_alias(access, load->buffer.get());
  return v;
}

void CodeGenLLVM::visit_Select(const Select* op) {
  if (llvm::Value* v = masked_select_load(op)) {
    value_ = v;
    return;
  }
  llvm::Value* c = codegen(op->condition);
  llvm::Value* t = codegen(op->true_value);
  llvm::Value* f = codegen(op->false_value);
  value_ = b_->CreateSelect(c, t, f);
}

void CodeGenLLVM::visit_Cast(const Cast* op) {
  llvm::Value* v = codegen(op->value);
  Type from = op->value.type(), to = op->type;
  llvm::Type* lt = llvm_type(to);
  if (to.is_bool()) {
    value_ = from.is_float() ? b_->CreateFCmpUNE(v, llvm::Constant::getNullValue(v->getType()))
                             : b_->CreateICmpNE(v, llvm::Constant::getNullValue(v->getType()));
  } else if (from.is_bool()) {
    value_ = to.is_float() ? b_->CreateUIToFP(v, lt) : b_->CreateZExt(v, lt);
  } else if (from.is_float() && to.is_float() && from.bits() == 64 && to.bits() == 16) {
    // No double -> half instruction, and the JIT has no __truncdfhf2: round to float with
    // round-to-odd (the RNE result moved toward zero, its last bit set when inexact; float
    // keeps 13 more bits than half, so the second rounding is then exact), then to half.
    llvm::Type* f32 = llvm_type(common::Float(32, to.lanes()));
    llvm::Type* i32 = llvm_type(common::Int(32, to.lanes()));
    llvm::Value* f = b_->CreateFPTrunc(v, f32);
    llvm::Value* back = b_->CreateFPExt(f, v->getType());
    llvm::Value* fabs_back = b_->CreateUnaryIntrinsic(llvm::Intrinsic::fabs, back);
    llvm::Value* fabs_v = b_->CreateUnaryIntrinsic(llvm::Intrinsic::fabs, v);
    llvm::Value* bits = b_->CreateBitCast(f, i32);
    llvm::Value* one = llvm::ConstantInt::get(i32, 1);
    llvm::Value* trunc = b_->CreateSelect(b_->CreateFCmpOGT(fabs_back, fabs_v),
                                          b_->CreateSub(bits, one), bits);
    llvm::Value* odd = b_->CreateSelect(b_->CreateFCmpONE(back, v), b_->CreateOr(trunc, one), bits);
    value_ = b_->CreateFPTrunc(b_->CreateBitCast(odd, f32), lt);
  } else if (from.is_float() && to.is_float()) {
    value_ = b_->CreateFPCast(v, lt);
  } else if (from.is_float()) {
    value_ = to.is_int() ? b_->CreateFPToSI(v, lt) : b_->CreateFPToUI(v, lt);
  } else if (to.is_float()) {
    value_ = from.is_int() ? b_->CreateSIToFP(v, lt) : b_->CreateUIToFP(v, lt);
  } else {
    value_ = b_->CreateIntCast(v, lt, from.is_int());
  }
}

llvm::Value* CodeGenLLVM::call_libm(const std::string& name, Type t,
                                    const std::vector<llvm::Value*>& args) {
  // libm works on float and double; half types go through float. Vectors are scalarized.
  Type et = t.element_of();
  Type ct = et.bits() == 64 ? common::Float(64) : common::Float(32);
  std::string fname = ct.bits() == 32 ? name + "f" : name;
  llvm::Type* cty = llvm_type(ct);
  std::vector<llvm::Type*> ptys(args.size(), cty);
  llvm::FunctionCallee fn =
      module_->getOrInsertFunction(fname, llvm::FunctionType::get(cty, ptys, false));
  if (auto* f = llvm::dyn_cast<llvm::Function>(fn.getCallee())) {
    f->setDoesNotThrow();
    f->setOnlyAccessesArgMemory();
  }
  auto scalar = [&](std::vector<llvm::Value*> xs) {
    for (auto& x : xs) {
      if (et != ct) x = b_->CreateFPCast(x, cty);
    }
    llvm::Value* r = b_->CreateCall(fn, xs);
    return et != ct ? b_->CreateFPCast(r, llvm_type(et)) : r;
  };
  if (t.is_scalar()) return scalar(args);
  llvm::Value* out = llvm::PoisonValue::get(llvm_type(t));
  for (int l = 0; l < t.lanes(); ++l) {
    std::vector<llvm::Value*> xs;
    for (llvm::Value* a : args) xs.push_back(b_->CreateExtractElement(a, l));
    out = b_->CreateInsertElement(out, scalar(xs), l);
  }
  return out;
}

llvm::Value* CodeGenLLVM::call_math(const Call* op, const std::vector<llvm::Value*>& args) {
  const std::string& n = op->name;
  Type t = op->args[0].type();
  auto unary = [&](llvm::Intrinsic::ID id) { return b_->CreateUnaryIntrinsic(id, args[0]); };
  if (n == kReinterpret) return b_->CreateBitCast(args[0], llvm_type(op->type));
  if (!t.is_float()) {
    // Integer forms: abs, and the rounding functions (identity).
    if (n == "abs") {
      llvm::Value* zero = llvm::Constant::getNullValue(args[0]->getType());
      if (t.is_uint()) return args[0];
      return b_->CreateSelect(b_->CreateICmpSLT(args[0], zero), b_->CreateNeg(args[0]), args[0]);
    }
    if (n == "floor" || n == "ceil" || n == "round" || n == "trunc") return args[0];
    if (n == "bitwise_and") return b_->CreateAnd(args[0], args[1]);
    if (n == "bitwise_or") return b_->CreateOr(args[0], args[1]);
    if (n == "bitwise_xor") return b_->CreateXor(args[0], args[1]);
    if (n == "shift_left") return b_->CreateShl(args[0], args[1]);
    if (n == "shift_right") {
      return t.is_int() ? b_->CreateAShr(args[0], args[1]) : b_->CreateLShr(args[0], args[1]);
    }
    CINN_THROW(UnsupportedOpError) << "intrinsic " << n << " on " << t;
  }
  if (n == "sqrt") return unary(llvm::Intrinsic::sqrt);
  if (n == "abs") return unary(llvm::Intrinsic::fabs);
  if (n == "floor") return unary(llvm::Intrinsic::floor);
  if (n == "ceil") return unary(llvm::Intrinsic::ceil);
  if (n == "trunc") return unary(llvm::Intrinsic::trunc);
  if (n == "round") return unary(llvm::Intrinsic::roundeven);  // numpy: half to even
  if (n == "rsqrt") {
    return b_->CreateFDiv(llvm::ConstantFP::get(args[0]->getType(), 1.0), unary(llvm::Intrinsic::sqrt));
  }
  if (n == "sigmoid") {
    llvm::Value* e = call_libm("exp", t, {b_->CreateFNeg(args[0])});
    llvm::Value* one = llvm::ConstantFP::get(args[0]->getType(), 1.0);
    return b_->CreateFDiv(one, b_->CreateFAdd(one, e));
  }
  if (n == "isnan") return b_->CreateFCmpUNO(args[0], args[0]);
  if (n == "isinf" || n == "isfinite") {
    llvm::Value* a = unary(llvm::Intrinsic::fabs);
    llvm::Value* inf = llvm::ConstantFP::getInfinity(args[0]->getType());
    return n == "isinf" ? b_->CreateFCmpOEQ(a, inf) : b_->CreateFCmpONE(a, inf);
  }
  static const std::set<std::string> kLibm = {"exp",   "exp2", "expm1", "log",  "log2",
                                              "log10", "log1p", "cbrt", "tanh", "erf",
                                              "pow",   "sin",  "cos",   "tan",  "atan",
                                              "sinh",  "cosh"};
  if (kLibm.count(n)) return call_libm(n, op->type, args);
  CINN_THROW(UnsupportedOpError) << "LLVM backend: no lowering for intrinsic '" << n << "'";
  return nullptr;
}

void CodeGenLLVM::visit_Call(const Call* op) {
  std::vector<llvm::Value*> args;
  for (const Expr& a : op->args) args.push_back(codegen(a));
  if (op->call_kind == Call::Kind::kIntrinsic) {
    if (!find_intrinsic(op->name)) {
      CINN_THROW(UnsupportedOpError) << "unknown intrinsic '" << op->name << "'";
    }
    value_ = call_math(op, args);
    return;
  }
  std::vector<llvm::Type*> ptys;
  for (llvm::Value* a : args) ptys.push_back(a->getType());
  llvm::FunctionCallee fn = module_->getOrInsertFunction(
      op->name, llvm::FunctionType::get(llvm_type(op->type), ptys, false));
  value_ = b_->CreateCall(fn, args);
}

void CodeGenLLVM::annotate_alias(llvm::Instruction* access, const BufferNode* b) {
  auto it = alias_md_.find(b);
  if (it == alias_md_.end()) return;
  access->setMetadata(llvm::LLVMContext::MD_alias_scope, it->second.first);
  access->setMetadata(llvm::LLVMContext::MD_noalias, it->second.second);
}

llvm::Value* CodeGenLLVM::buffer_ptr(const Buffer& b) {
  auto it = buffers_.find(b.get());
  CINN_CHECK(it != buffers_.end()) << "LLVM codegen: buffer '" << b.name() << "' not allocated";
  return it->second;
}

// Address of b[index]: a scalar pointer (to the first lane for a contiguous ramp) or, for
// other vector indices, a vector of pointers in *vector_ptrs.
llvm::Value* CodeGenLLVM::address(const Buffer& b, const Expr& index, bool* contiguous,
                                  llvm::Value** vector_ptrs) {
  llvm::Type* et = mem_type(b.dtype());
  llvm::Value* base = buffer_ptr(b);
  *vector_ptrs = nullptr;
  *contiguous = false;
  if (index.type().is_scalar()) return b_->CreateInBoundsGEP(et, base, codegen(index));
  if (const auto* r = index.as<Ramp>(); r && is_one(r->stride)) {
    *contiguous = true;
    return b_->CreateInBoundsGEP(et, base, codegen(r->base));
  }
  *vector_ptrs = b_->CreateInBoundsGEP(et, base, gather_index(b, codegen(index)));
  return nullptr;
}

// The vector of element offsets `index` of a gather or scatter on `b`, as 32-bit integers
// where every offset into `b` fits (a buffer of fewer than 2^31 elements): x86 gathers take
// 16 32-bit offsets per instruction, 8 64-bit ones.
llvm::Value* CodeGenLLVM::gather_index(const Buffer& b, llvm::Value* index) {
  int64_t n = 1;
  for (const Expr& e : b.shape()) {
    const int64_t* c = as_const_int(e);
    if (!c) return index;
    n *= *c;
  }
  auto* vt = llvm::dyn_cast<llvm::FixedVectorType>(index->getType());
  if (!vt || vt->getElementType()->getIntegerBitWidth() <= 32 || n >= (int64_t{1} << 31)) return index;
  return b_->CreateTrunc(index, llvm::FixedVectorType::get(b_->getInt32Ty(), vt->getNumElements()));
}

// A contiguous vector access of `t` whose lane count is not a power of two (14: a row of 28
// split in halves) is emitted as a masked access of the next power of two where the target
// has masked vector loads and stores (AVX-512: one instruction; AVX: vmaskmov for 32- and
// 64-bit lanes); LLVM would otherwise split it into power-of-two pieces and shuffle them
// together (a 14-lane load as 8 + 4 + 2 lanes and two inserts). Not for accumulators (a
// buffer stored with a value read from itself): LLVM keeps a plain load/store pair of an
// accumulator in a register across a loop, not a masked one. Returns the padded lane
// count, or 0 for a plain access.
int CodeGenLLVM::masked_lanes(Type t) const {
  int lanes = t.lanes();
  if (lanes <= 2 || (lanes & (lanes - 1)) == 0 || t.is_bool()) return 0;
  int padded = next_pow2(lanes);
  int elem_bytes = t.bytes() / lanes;
  bool wide = elem_bytes == 4 || elem_bytes == 8;
  bool masked = target_.has_feature("avx512f") || (wide && target_.has_feature("avx"));
  if (!masked || !(wide || target_.has_feature("avx512bw"))) return 0;
  return padded * elem_bytes * 8 <= target_.vector_bits ? padded : 0;
}

// The mask <1 x lanes, 0 x (padded - lanes)>.
static llvm::Value* prefix_mask(llvm::IRBuilder<>& b, int lanes, int padded) {
  std::vector<llvm::Constant*> bits;
  for (int i = 0; i < padded; ++i) bits.push_back(b.getInt1(i < lanes));
  return llvm::ConstantVector::get(bits);
}

llvm::Value* CodeGenLLVM::masked_load(llvm::Type* vector_type, llvm::Value* p, llvm::Align align, int padded,
                                      llvm::Value* mask, llvm::Value* pass, const BufferNode* b) {
  auto* vt = llvm::cast<llvm::FixedVectorType>(vector_type);
  int lanes = static_cast<int>(vt->getNumElements());
  auto* wide = llvm::FixedVectorType::get(vt->getElementType(), padded);
  llvm::Value* m = mask ? widen_mask(*b_, mask, lanes, padded) : prefix_mask(*b_, lanes, padded);
  llvm::Value* wpass =
      pass ? b_->CreateShuffleVector(pass, llvm::createSequentialMask(0, lanes, padded - lanes)) : nullptr;
  llvm::Value* w = b_->CreateMaskedLoad(wide, p, align, m, wpass);
  annotate_alias(llvm::cast<llvm::Instruction>(w), b);
  return b_->CreateShuffleVector(w, llvm::createSequentialMask(0, lanes, 0));
}

void CodeGenLLVM::masked_store(llvm::Value* v, int lanes, llvm::Value* p, llvm::Align align, int padded,
                               const BufferNode* b) {
  auto* vt = llvm::cast<llvm::FixedVectorType>(v->getType());
  if (static_cast<int>(vt->getNumElements()) != padded) {
    v = b_->CreateShuffleVector(v, llvm::createSequentialMask(0, lanes, padded - lanes));
  }
  annotate_alias(b_->CreateMaskedStore(v, p, align, prefix_mask(*b_, lanes, padded)), b);
}

void CodeGenLLVM::visit_Load(const Load* op) {
  CINN_CHECK(op->indices.size() == 1) << "LLVM codegen expects flattened loads: " << Expr(op);
  bool contiguous = false;
  llvm::Value* vptrs = nullptr;
  llvm::Value* p = address(op->buffer, op->indices[0], &contiguous, &vptrs);
  Type t = op->type;
  llvm::Type* mt = mem_type(t);
  unsigned align = op->buffer.dtype().bytes();
  llvm::Value* v;
  auto contiguous_load = [&](llvm::Value* p) -> llvm::Value* {
    if (int padded = accumulated_.count(op->buffer.get()) ? 0 : masked_lanes(t)) {
      return masked_load(mt, p, llvm::Align(align), padded, nullptr, nullptr, op->buffer.get());
    }
    llvm::Value* w = b_->CreateAlignedLoad(mt, p, llvm::Align(align));
    annotate_alias(llvm::cast<llvm::Instruction>(w), op->buffer.get());
    return w;
  };
  auto gather = [&]() {
    llvm::Value* mask = llvm::ConstantInt::getTrue(llvm::FixedVectorType::get(b_->getInt1Ty(), t.lanes()));
    llvm::Value* g = b_->CreateMaskedGather(mt, vptrs, llvm::Align(align), mask);
    annotate_alias(llvm::cast<llvm::Instruction>(g), op->buffer.get());
    return g;
  };
  Expr clamped_if;
  // Not for accumulators (their plain load/store pairs become registers: masked_lanes).
  Expr start = vptrs && !accumulated_.count(op->buffer.get()) ? clamped_ramp(op->indices[0], &clamped_if) : Expr();
  if (start.defined() && clamped_if.defined()) {
    // A clamped row (clamped_ramp): one vector load where the clamps change no lane -- every
    // vector but those at a border --, the gather elsewhere.
    llvm::Value* inside = codegen(simplify(clamped_if));
    llvm::Value* first = b_->CreateInBoundsGEP(mem_type(op->buffer.dtype()), buffer_ptr(op->buffer), codegen(start));
    llvm::Function* fn = b_->GetInsertBlock()->getParent();
    auto* row = llvm::BasicBlock::Create(ctx_, "row", fn);
    auto* border = llvm::BasicBlock::Create(ctx_, "border", fn);
    auto* done = llvm::BasicBlock::Create(ctx_, "loaded", fn);
    b_->CreateCondBr(inside, row, border, llvm::MDBuilder(ctx_).createLikelyBranchWeights());
    b_->SetInsertPoint(row);
    llvm::Value* from_row = contiguous_load(first);
    llvm::BasicBlock* row_end = b_->GetInsertBlock();
    b_->CreateBr(done);
    b_->SetInsertPoint(border);
    llvm::Value* from_border = gather();
    llvm::BasicBlock* border_end = b_->GetInsertBlock();
    b_->CreateBr(done);
    b_->SetInsertPoint(done);
    llvm::PHINode* phi = b_->CreatePHI(from_row->getType(), 2);
    phi->addIncoming(from_row, row_end);
    phi->addIncoming(from_border, border_end);
    v = phi;
  } else if (std::vector<int64_t> offsets; vptrs && (start = offset_lanes(op->indices[0], &offsets, let_values_)).defined()) {
    // Lanes a few elements apart (offset_lanes): one contiguous load of the span they cover
    // (every element of it lies in the buffer, between two that the gather would read),
    // then a shuffle. A stride-2 row of 16 floats is two vector loads and a permute instead
    // of a 16-element gather.
    if (int64_t span = lanes_span(offsets, t.lanes())) {
      int64_t lo = *std::min_element(offsets.begin(), offsets.end());
      int padded = next_pow2(span);
      llvm::Type* et = mem_type(op->buffer.dtype());
      llvm::Value* p0 = b_->CreateInBoundsGEP(et, buffer_ptr(op->buffer), codegen(simplify(start + make_const(start.type(), lo))));
      llvm::Value* w = masked_load(llvm::FixedVectorType::get(et, static_cast<unsigned>(span)), p0, llvm::Align(align),
                                   padded, nullptr, nullptr, op->buffer.get());
      std::vector<int> pick;
      for (int64_t o : offsets) pick.push_back(static_cast<int>(o - lo));
      v = b_->CreateShuffleVector(w, pick);
    } else {
      v = gather();
    }
  } else if (vptrs) {
    v = gather();
  } else {
    v = contiguous_load(p);
  }
  value_ = t.is_bool() ? b_->CreateTrunc(v, llvm_type(t)) : v;
}

void CodeGenLLVM::visit_Ramp(const Ramp* op) {
  llvm::Value* base = b_->CreateVectorSplat(op->lanes, codegen(op->base));
  llvm::Value* stride = b_->CreateVectorSplat(op->lanes, codegen(op->stride));
  std::vector<llvm::Constant*> steps;
  llvm::Type* et = llvm_type(op->base.type());
  for (int i = 0; i < op->lanes; ++i) steps.push_back(llvm::ConstantInt::get(et, i));
  value_ = b_->CreateAdd(base, b_->CreateMul(stride, llvm::ConstantVector::get(steps)));
}

void CodeGenLLVM::visit_Broadcast(const Broadcast* op) {
  value_ = b_->CreateVectorSplat(op->lanes, codegen(op->value));
}

void CodeGenLLVM::visit_Let(const Let* op) {
  const Var* v = op->var.as<Var>();
  vars_[v] = codegen(op->value);
  if (constant_vector(op->value)) let_values_[v] = op->value;
  value_ = codegen(op->body);
  vars_.erase(v);
  let_values_.erase(v);
}

// ---------------------------------------------------------------------------------------
// Statements

void CodeGenLLVM::visit_LetStmt(const LetStmt* op) {
  const Var* v = op->var.as<Var>();
  vars_[v] = codegen(op->value);
  if (nonnegative(op->value)) nonnegative_vars_.insert(v);
  if (constant_vector(op->value)) let_values_[v] = op->value;
  codegen(op->body);
  vars_.erase(v);
  nonnegative_vars_.erase(v);
  let_values_.erase(v);
}

void CodeGenLLVM::emit_loop(const Expr& var, llvm::Value* begin, llvm::Value* end,
                            const Stmt& body, const char* metadata, bool nonnegative_start) {
  llvm::BasicBlock* pre = b_->GetInsertBlock();
  llvm::BasicBlock* header = llvm::BasicBlock::Create(ctx_, var.var_name() + ".header", func_);
  llvm::BasicBlock* body_bb = llvm::BasicBlock::Create(ctx_, var.var_name() + ".body", func_);
  llvm::BasicBlock* exit = llvm::BasicBlock::Create(ctx_, var.var_name() + ".exit", func_);
  b_->CreateBr(header);
  b_->SetInsertPoint(header);
  llvm::PHINode* phi = b_->CreatePHI(b_->getInt64Ty(), 2, var.var_name());
  phi->addIncoming(begin, pre);
  b_->CreateCondBr(b_->CreateICmpSLT(phi, end), body_bb, exit);
  b_->SetInsertPoint(body_bb);
  vars_[var.as<Var>()] = phi;
  if (nonnegative_start) nonnegative_vars_.insert(var.as<Var>());
  codegen(body);
  vars_.erase(var.as<Var>());
  nonnegative_vars_.erase(var.as<Var>());
  // A loop variable never overflows: it stays in [begin, end).
  llvm::Value* next = b_->CreateAdd(phi, b_->getInt64(1), "", /*HasNUW=*/false, /*HasNSW=*/true);
  llvm::BranchInst* back = b_->CreateBr(header);
  phi->addIncoming(next, b_->GetInsertBlock());
  if (metadata) {
    // !{!self, !{!"<metadata>"[, i1 true]}}: unroll.enable takes no value, vectorize.enable does.
    llvm::SmallVector<llvm::Metadata*, 2> hint = {llvm::MDString::get(ctx_, metadata)};
    if (std::string(metadata) == "llvm.loop.vectorize.enable") {
      hint.push_back(llvm::ConstantAsMetadata::get(b_->getTrue()));
    }
    llvm::MDNode* loop_id = llvm::MDNode::getDistinct(ctx_, {nullptr, llvm::MDNode::get(ctx_, hint)});
    loop_id->replaceOperandWith(0, loop_id);
    back->setMetadata(llvm::LLVMContext::MD_loop, loop_id);
  }
  b_->SetInsertPoint(exit);
}

// A serial loop `for (k, 0, E) { acc[i] = op(acc[i], src[base + k]) }` with op add, mul,
// max or min, acc[i] invariant in k and E a power of two from 4 to 64 -- what a rfactored
// row reduction leaves: the sum of its vector lanes' partial results -- is one vector load
// of src[base, base + E) and a tree of halves (E/2, E/4, ..., 1 lanes), then one op with
// acc: log2(E) dependent steps instead of E. A row max of 1024 floats: 64 compare-and-select
// pairs on the chain per row made it 3x slower than PyTorch's. Float sums are reassociated,
// as the rfactor that made the lanes already did; max and min keep their NaN rule.
bool CodeGenLLVM::emit_horizontal_reduction(const For* op) {
  const int64_t* min = as_const_int(op->min);
  const int64_t* extent = as_const_int(op->extent);
  if (op->for_kind != ForKind::kSerial || !min || *min != 0 || !extent || *extent < 4 || *extent > 64 ||
      (*extent & (*extent - 1)) != 0) {
    return false;
  }
  Stmt body = op->body;
  if (const auto* blk = body.as<Block>(); blk && blk->stmts.size() == 1) body = blk->stmts[0];
  const auto* store = body.as<Store>();
  if (!store || store->indices.size() != 1 || store->value.type().lanes() != 1) return false;
  Type t = store->value.type();
  if (!(t.is_float() && t.bits() >= 32) && !t.is_int() && !t.is_uint()) return false;
  NodeKind kind = store->value->kind();
  Expr a, b;
  if (const auto* n = store->value.as<Add>()) a = n->a, b = n->b;
  else if (const auto* n = store->value.as<Mul>()) a = n->a, b = n->b;
  else if (const auto* n = store->value.as<Max>()) a = n->a, b = n->b;
  else if (const auto* n = store->value.as<Min>()) a = n->a, b = n->b;
  else return false;
  const auto* acc = a.as<Load>();
  const auto* src = b.as<Load>();
  if (!acc || !src || src->indices.size() != 1 || acc->buffer.get() != store->buffer.get() ||
      src->buffer.get() == store->buffer.get() || !structural_equal(acc->indices[0], store->indices[0])) {
    return false;
  }
  // acc's index does not use k; src's is base + k.
  if (uses_any_var(store->indices[0], {op->loop_var})) return false;
  Expr base = simplify(substitute(src->indices[0], {{op->loop_var.as<Var>(), make_zero(op->loop_var.type())}}));
  if (!is_zero(simplify(src->indices[0] - op->loop_var - base))) return false;

  int lanes = static_cast<int>(*extent);
  llvm::Value* v = codegen(Load::make(src->buffer, {Ramp::make(base, make_one(base.type()), lanes)}));
  auto combine = [&](llvm::Value* x, llvm::Value* y) -> llvm::Value* {
    bool f = t.is_float();
    switch (kind) {
      case NodeKind::kAdd: return f ? b_->CreateFAdd(x, y) : b_->CreateAdd(x, y);
      case NodeKind::kMul: return f ? b_->CreateFMul(x, y) : b_->CreateMul(x, y);
      default: return min_max(x, y, t, kind == NodeKind::kMin);
    }
  };
  for (int w = lanes / 2; w >= 1; w /= 2) {
    llvm::Value* lo = b_->CreateShuffleVector(v, llvm::createSequentialMask(0, static_cast<unsigned>(w), 0));
    llvm::Value* hi = b_->CreateShuffleVector(v, llvm::createSequentialMask(static_cast<unsigned>(w), static_cast<unsigned>(w), 0));
    v = combine(lo, hi);
  }
  llvm::Value* lane = b_->CreateExtractElement(v, uint64_t{0});
  llvm::Value* result = combine(codegen(a), lane);
  bool contiguous = false;
  llvm::Value* vptrs = nullptr;
  llvm::Value* p = address(store->buffer, store->indices[0], &contiguous, &vptrs);
  annotate_alias(b_->CreateAlignedStore(result, p, llvm::Align(store->buffer.dtype().bytes())), store->buffer.get());
  return true;
}

void CodeGenLLVM::visit_For(const For* op) {
  if (op->for_kind == ForKind::kParallel) return emit_parallel_for(op);
  if (emit_horizontal_reduction(op)) return;
  if (is_gpu_kind(op->for_kind)) {
    CINN_THROW(CompileError) << "loop '" << op->loop_var.var_name() << "' is bound to "
                             << for_kind_name(op->for_kind) << ", which x86 cannot run";
  }
  llvm::Value* begin = codegen(op->min);
  llvm::Value* end = b_->CreateAdd(begin, codegen(op->extent));
  // ir::unroll_loops already expanded the short kUnrolled loops with constant extents; the
  // ones left (long or symbolic) get a hint, and LLVM picks the unroll factor.
  const char* md = op->for_kind == ForKind::kUnrolled     ? "llvm.loop.unroll.enable"
                   : op->for_kind == ForKind::kVectorized ? "llvm.loop.vectorize.enable"
                                                          : nullptr;
  emit_loop(op->loop_var, begin, end, op->body, md, nonnegative(op->min));
}

// Outlines the loop body into @f.par<k>(begin, end, closure) and calls cinn_parallel_for.
void CodeGenLLVM::emit_parallel_for(const For* op) {
  llvm::Value* begin = codegen(op->min);
  llvm::Value* extent = codegen(op->extent);

  // Capture every bound variable and buffer the body uses.
  std::vector<const Var*> cap_vars;
  std::vector<const BufferNode*> cap_bufs;
  std::set<const IRNode*> seen;
  std::set<const BufferNode*> seen_bufs;
  post_order_visit(op->body, [&](const IRNode* n) {
    if (!seen.insert(n).second) return;
    if (n->kind() == NodeKind::kVar && vars_.count(static_cast<const Var*>(n))) {
      cap_vars.push_back(static_cast<const Var*>(n));
    }
    const BufferNode* b = nullptr;
    if (n->kind() == NodeKind::kLoad) b = static_cast<const Load*>(n)->buffer.get();
    if (n->kind() == NodeKind::kStore) b = static_cast<const Store*>(n)->buffer.get();
    if (b && buffers_.count(b) && seen_bufs.insert(b).second) {
      cap_bufs.push_back(b);
    }
  });
  std::vector<llvm::Type*> fields = {b_->getInt64Ty()};  // the loop's min
  for (const Var* v : cap_vars) fields.push_back(vars_[v]->getType());
  for (size_t i = 0; i < cap_bufs.size(); ++i) fields.push_back(b_->getPtrTy());
  llvm::StructType* closure_ty = llvm::StructType::get(ctx_, fields);
  // Aligned for its widest field: captured vectors (hoisted invariant loads) are loaded and
  // stored with their ABI alignment, which may exceed 8.
  unsigned closure_align = module_->getDataLayout().getABITypeAlign(closure_ty).value();
  llvm::AllocaInst* closure =
      entry_alloca(closure_ty, nullptr, "closure", std::max(8u, closure_align));
  std::vector<llvm::Value*> values = {begin};
  for (const Var* v : cap_vars) values.push_back(vars_[v]);
  for (const BufferNode* b : cap_bufs) values.push_back(buffers_[b]);
  for (size_t i = 0; i < values.size(); ++i) {
    b_->CreateStore(values[i], b_->CreateStructGEP(closure_ty, closure, i));
  }

  // The outlined body: a trampoline with cinn_parallel_for's signature that unpacks the
  // closure and calls an always-inline function whose buffer parameters are noalias (the
  // closure hides that fact from LLVM otherwise, and accumulators would not stay in
  // registers).
  std::string base = func_name_ + ".par" + std::to_string(parallel_count_++);
  std::vector<llvm::Type*> body_params = {b_->getInt64Ty(), b_->getInt64Ty(), b_->getInt64Ty()};
  for (const Var* v : cap_vars) body_params.push_back(vars_[v]->getType());
  for (size_t i = 0; i < cap_bufs.size(); ++i) body_params.push_back(b_->getPtrTy());
  llvm::Function* body_fn = llvm::Function::Create(
      llvm::FunctionType::get(b_->getVoidTy(), body_params, false),
      llvm::Function::InternalLinkage, base + ".body", module_);
  body_fn->addFnAttr(llvm::Attribute::AlwaysInline);
  body_fn->addFnAttr(llvm::Attribute::NoUnwind);
  size_t first_buf = 3 + cap_vars.size();
  for (size_t i = 0; i < cap_bufs.size(); ++i) {
    body_fn->addParamAttr(first_buf + i, llvm::Attribute::NoAlias);
  }
  auto* fty = llvm::FunctionType::get(
      b_->getVoidTy(), {b_->getInt64Ty(), b_->getInt64Ty(), b_->getPtrTy()}, false);
  llvm::Function* fn = llvm::Function::Create(fty, llvm::Function::InternalLinkage, base, module_);
  fn->addFnAttr(llvm::Attribute::NoUnwind);

  llvm::Function* saved_func = func_;
  llvm::BasicBlock* saved_bb = b_->GetInsertBlock();
  auto saved_vars = vars_;
  auto saved_bufs = buffers_;
  // Trampoline: unpack and call.
  func_ = fn;
  b_->SetInsertPoint(llvm::BasicBlock::Create(ctx_, "entry", fn));
  llvm::Value* cl = fn->getArg(2);
  std::vector<llvm::Value*> call_args = {fn->getArg(0), fn->getArg(1)};
  for (size_t i = 0; i < fields.size(); ++i) {
    call_args.push_back(b_->CreateLoad(fields[i], b_->CreateStructGEP(closure_ty, cl, i)));
  }
  b_->CreateCall(body_fn, call_args);
  b_->CreateRetVoid();
  // Body: for (var = min + begin; var < min + end; ++var) body
  func_ = body_fn;
  b_->SetInsertPoint(llvm::BasicBlock::Create(ctx_, "entry", body_fn));
  llvm::Value* min = body_fn->getArg(2);
  for (size_t i = 0; i < cap_vars.size(); ++i) vars_[cap_vars[i]] = body_fn->getArg(3 + i);
  for (size_t i = 0; i < cap_bufs.size(); ++i) buffers_[cap_bufs[i]] = body_fn->getArg(first_buf + i);
  bool saved_streaming = emitted_streaming_;
  emitted_streaming_ = false;
  emit_loop(op->loop_var, b_->CreateAdd(min, body_fn->getArg(0)),
            b_->CreateAdd(min, body_fn->getArg(1)), op->body, nullptr,
            nonnegative(op->min));  // cinn_parallel_for's chunks start at 0 or later
  fence_streaming_stores();
  emitted_streaming_ = saved_streaming || emitted_streaming_;
  b_->CreateRetVoid();
  func_ = saved_func;
  vars_ = std::move(saved_vars);
  buffers_ = std::move(saved_bufs);
  b_->SetInsertPoint(saved_bb);

  llvm::FunctionCallee pf = module_->getOrInsertFunction(
      "cinn_parallel_for",
      llvm::FunctionType::get(b_->getVoidTy(), {b_->getInt64Ty(), b_->getPtrTy(), b_->getPtrTy()},
                              false));
  b_->CreateCall(pf, {extent, fn, closure});
}

void CodeGenLLVM::visit_IfThenElse(const IfThenElse* op) {
  llvm::Value* c = codegen(op->condition);
  llvm::BasicBlock* then_bb = llvm::BasicBlock::Create(ctx_, "then", func_);
  llvm::BasicBlock* else_bb = op->else_case.defined() ? llvm::BasicBlock::Create(ctx_, "else", func_) : nullptr;
  llvm::BasicBlock* end_bb = llvm::BasicBlock::Create(ctx_, "endif", func_);
  b_->CreateCondBr(c, then_bb, else_bb ? else_bb : end_bb);
  b_->SetInsertPoint(then_bb);
  codegen(op->then_case);
  b_->CreateBr(end_bb);
  if (else_bb) {
    b_->SetInsertPoint(else_bb);
    codegen(op->else_case);
    b_->CreateBr(end_bb);
  }
  b_->SetInsertPoint(end_bb);
}

void CodeGenLLVM::visit_Block(const Block* op) {
  for (size_t i = 0; i < op->stmts.size();) {
    size_t n = transposed_stores(op->stmts, i);
    if (n == 0) codegen(op->stmts[i]);
    i += std::max<size_t>(n, 1);
  }
}

// A run of K stores b[ramp(base + k, S, M)] = v_k (k = 0..K-1; a transposing copy whose
// output loop was unrolled around its vectorized input loop, see schedule_transpose in
// schedule_x86) writes M rows of K contiguous elements at stride S: row r is lane r of
// every v_k. The v_k, padded with poison lanes and rows to a P x P square (P the power of
// two at or above K and M, at most a vector), are transposed in registers, log2(P) rounds of
// two-source shuffles (each round swaps the off-diagonal blocks of a size: bit t of the row
// index with bit t of the lane), and the rows are stored as M contiguous K-lane vectors
// instead of K scatters. The values must not read b (they are all computed before the
// first store) and the rows must not overlap (S >= K). Returns the number of statements
// emitted (0: not such a run).
size_t CodeGenLLVM::transposed_stores(const std::vector<Stmt>& stmts, size_t first) {
  const auto* s0 = stmts[first].as<Store>();
  if (!s0 || s0->indices.size() != 1 || accumulated_.count(s0->buffer.get())) return 0;
  const auto* r0 = s0->indices[0].as<Ramp>();
  Type t = s0->value.type();
  if (!r0 || t.is_bool() || t.lanes() < 2) return 0;
  const int64_t* stride = as_const_int(r0->stride);
  int elem_bits = t.bits();
  int64_t max_k = target_.vector_bits / elem_bits;
  if (!stride || *stride < 4 || max_k < 4) return 0;
  std::vector<const Store*> run;
  for (size_t i = first; i < stmts.size() && static_cast<int64_t>(run.size()) < max_k; ++i) {
    const auto* s = stmts[i].as<Store>();
    const auto* r = s ? s->indices[0].as<Ramp>() : nullptr;
    if (!r || s->buffer.get() != s0->buffer.get() || s->value.type() != t || !is_const_int(r->stride, *stride)) {
      break;
    }
    if (!is_const_int(simplify(r->base - r0->base), static_cast<int64_t>(run.size()))) break;
    bool reads_output = false;
    post_order_visit(s->value, [&](const IRNode* n) {
      reads_output = reads_output || (n->kind() == NodeKind::kLoad &&
                                      static_cast<const Load*>(n)->buffer.get() == s0->buffer.get());
    });
    if (reads_output) break;
    run.push_back(s);
  }
  // K rows of M lanes, padded to a P x P square (P a power of two) with poison lanes and rows.
  int64_t k = static_cast<int64_t>(run.size()), m = t.lanes(), p = 1;
  while (p < std::max(k, m)) p *= 2;
  if (k < 4 || p > max_k || *stride < k) return 0;
  std::vector<llvm::Value*> rows;
  for (int64_t i = 0; i < p; ++i) {
    if (i >= k) {
      rows.push_back(llvm::PoisonValue::get(rows[0]->getType()));
      continue;
    }
    llvm::Value* v = codegen(run[i]->value);
    if (m < p) v = b_->CreateShuffleVector(v, llvm::createSequentialMask(0, m, static_cast<unsigned>(p - m)));
    rows.push_back(v);
  }
  for (int64_t d = 1; d < p; d *= 2) {
    std::vector<int> lo, hi;
    for (int64_t l = 0; l < p; ++l) {
      bool low = (l & d) == 0;
      lo.push_back(static_cast<int>(low ? l : p + l - d));
      hi.push_back(static_cast<int>(low ? l + d : p + l));
    }
    for (int64_t i = 0; i < p; ++i) {
      if (i & d) continue;
      llvm::Value *a = rows[i], *b = rows[i + d];
      rows[i] = b_->CreateShuffleVector(a, b, lo);
      rows[i + d] = b_->CreateShuffleVector(a, b, hi);
    }
  }
  // Row r (r < M) holds the K values of lane r: a K-lane store (masked where K is not a
  // power of two and the target has masked moves).
  llvm::Type* et = mem_type(s0->buffer.dtype());
  llvm::Value* base = codegen(r0->base);
  llvm::Align align(s0->buffer.dtype().bytes());
  Type row_type = t.with_lanes(static_cast<int>(k));
  int padded = masked_lanes(row_type);
  for (int64_t r = 0; r < m; ++r) {
    llvm::Value* off = b_->CreateAdd(base, llvm::ConstantInt::get(base->getType(), r * *stride));
    llvm::Value* ptr = b_->CreateInBoundsGEP(et, buffer_ptr(s0->buffer), off);
    llvm::Instruction* st;
    if (k == p) {
      st = b_->CreateAlignedStore(rows[r], ptr, align);
    } else if (padded == p) {
      masked_store(rows[r], static_cast<int>(k), ptr, align, padded, s0->buffer.get());
      continue;
    } else {
      st = b_->CreateAlignedStore(b_->CreateShuffleVector(rows[r], llvm::createSequentialMask(0, static_cast<unsigned>(k), 0)),
                                  ptr, align);
    }
    annotate_alias(st, s0->buffer.get());
  }
  return static_cast<size_t>(k);
}

void CodeGenLLVM::visit_Store(const Store* op) {
  CINN_CHECK(op->indices.size() == 1) << "LLVM codegen expects flattened stores";
  llvm::Value* v = codegen(op->value);
  Type t = op->value.type();
  if (t.is_bool()) v = b_->CreateZExt(v, mem_type(t));
  bool contiguous = false;
  llvm::Value* vptrs = nullptr;
  llvm::Value* p = address(op->buffer, op->indices[0], &contiguous, &vptrs);
  unsigned align = op->buffer.dtype().bytes();
  if (vptrs) {
    llvm::Value* mask = llvm::ConstantInt::getTrue(llvm::FixedVectorType::get(b_->getInt1Ty(), t.lanes()));
    annotate_alias(b_->CreateMaskedScatter(v, vptrs, llvm::Align(align), mask), op->buffer.get());
  } else if (contiguous && streaming_.count(op->buffer.get()) &&
             t.bytes() == static_cast<int>(kCacheLineBytes)) {
    // A whole cache line of a streaming output: a non-temporal store where the address is
    // line-aligned (always, for outputs the runtime allocates), a plain one otherwise.
    llvm::Value* misaligned = b_->CreateAnd(b_->CreatePtrToInt(p, b_->getInt64Ty()),
                                            b_->getInt64(kCacheLineBytes - 1));
    llvm::BasicBlock* nt_bb = llvm::BasicBlock::Create(ctx_, "stream", func_);
    llvm::BasicBlock* plain_bb = llvm::BasicBlock::Create(ctx_, "store", func_);
    llvm::BasicBlock* end_bb = llvm::BasicBlock::Create(ctx_, "stored", func_);
    b_->CreateCondBr(b_->CreateICmpEQ(misaligned, b_->getInt64(0)), nt_bb, plain_bb);
    b_->SetInsertPoint(nt_bb);
    llvm::StoreInst* nt = b_->CreateAlignedStore(v, p, llvm::Align(kCacheLineBytes));
    nt->setMetadata(llvm::LLVMContext::MD_nontemporal,
                    llvm::MDNode::get(ctx_, {llvm::ConstantAsMetadata::get(b_->getInt32(1))}));
    annotate_alias(nt, op->buffer.get());
    b_->CreateBr(end_bb);
    b_->SetInsertPoint(plain_bb);
    annotate_alias(b_->CreateAlignedStore(v, p, llvm::Align(align)), op->buffer.get());
    b_->CreateBr(end_bb);
    b_->SetInsertPoint(end_bb);
    emitted_streaming_ = true;
  } else if (int padded = accumulated_.count(op->buffer.get()) ? 0 : masked_lanes(t)) {
    masked_store(v, t.lanes(), p, llvm::Align(align), padded, op->buffer.get());
  } else {
    annotate_alias(b_->CreateAlignedStore(v, p, llvm::Align(align)), op->buffer.get());
  }
}

void CodeGenLLVM::visit_Allocate(const Allocate* op) {
  const Buffer& b = op->buffer;
  int64_t n = 1;
  bool constant = true;
  for (const Expr& e : b.shape()) {
    if (const int64_t* c = as_const_int(e)) {
      n *= *c;
    } else {
      constant = false;
    }
  }
  llvm::Type* et = mem_type(b.dtype());
  // Small local buffers of constant size live on the stack; everything else on the heap.
  if (b.scope() == MemoryScope::kLocal && constant && n * b.dtype().bytes() <= 64 * 1024) {
    buffers_[b.get()] = entry_alloca(et, b_->getInt64(n), b.name(), 64);
    heap_allocated_[b.get()] = false;
    return;
  }
  llvm::Value* count = b_->getInt64(1);
  for (const Expr& e : b.shape()) count = b_->CreateMul(count, codegen(e));
  llvm::Value* bytes = b_->CreateMul(count, b_->getInt64(b.dtype().bytes()));
  // aligned_alloc needs a multiple of the alignment.
  bytes = b_->CreateAnd(b_->CreateAdd(bytes, b_->getInt64(63)), b_->getInt64(~int64_t{63}));
  llvm::FunctionCallee alloc = module_->getOrInsertFunction(
      "aligned_alloc", llvm::FunctionType::get(b_->getPtrTy(), {b_->getInt64Ty(), b_->getInt64Ty()}, false));
  llvm::Value* p = b_->CreateCall(alloc, {b_->getInt64(64), bytes}, b.name());
  buffers_[b.get()] = p;
  heap_allocated_[b.get()] = true;
}

void CodeGenLLVM::visit_Free(const Free* op) {
  auto it = heap_allocated_.find(op->buffer.get());
  if (it == heap_allocated_.end() || !it->second) return;
  llvm::FunctionCallee fr = module_->getOrInsertFunction(
      "free", llvm::FunctionType::get(b_->getVoidTy(), {b_->getPtrTy()}, false));
  b_->CreateCall(fr, {buffer_ptr(op->buffer)});
}

void CodeGenLLVM::visit_Evaluate(const Evaluate* op) { codegen(op->value); }

void CodeGenLLVM::visit_ScheduleBlock(const ScheduleBlock* op) {
  CINN_THROW(InternalError) << "LLVM codegen: block '" << op->name << "' was not lowered";
}
void CodeGenLLVM::visit_ScheduleBlockRealize(const ScheduleBlockRealize* op) {
  CINN_THROW(InternalError) << "LLVM codegen: a block realize was not lowered";
}

}  // namespace cinn::backends
