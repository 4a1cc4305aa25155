// philox_uniform(seed, stream, index) expanded into integer IR: Philox4x32-10 (Salmon,
// Moraes, Dror, Shaw, "Parallel random numbers: as easy as 1, 2, 3", SC 2011).
//
// Each round multiplies two counter words by fixed odd constants into 64-bit products and
// mixes their halves with the other two words and the key:
//
//   (c0, c1, c2, c3) <- (hi(M1 c2) ^ c1 ^ k0, lo(M1 c2), hi(M0 c0) ^ c3 ^ k1, lo(M0 c0))
//
// and the key (k0, k1) is bumped by the Weyl constants between rounds. Written once here in
// IR, every backend (LLVM with vectors, C, CUDA) computes the same bits from its integer
// operations; only bitwise_xor and shift_right are needed beyond arithmetic.
#include "cinn/ir/intrinsics.h"
#include "cinn/ir/ir_operators.h"
#include "cinn/ir/lower_math.h"
#include "cinn/ir/lower_math_internal.h"
#include "cinn/ir/visitor.h"

namespace cinn::ir {
namespace {

using math_detail::MathBuilder;

constexpr uint64_t kMul0 = 0xD2511F53, kMul1 = 0xCD9E8D57;
constexpr uint64_t kWeyl0 = 0x9E3779B9, kWeyl1 = 0xBB67AE85;
constexpr int kRounds = 10;

Expr xor_of(const Expr& a, const Expr& b) { return make_intrinsic("bitwise_xor", {a, b}); }

// The four output words for key (k0, k1) and counter c, all uint32.
std::vector<Expr> philox4x32(MathBuilder& b, std::vector<Expr> c, Expr k0, Expr k1) {
  auto hi = [&](const Expr& p) {
    return b.let(cast(b.u32(), make_intrinsic("shift_right", {p, b.u64(32)})), "hi");
  };
  auto lo = [&](const Expr& p) { return b.let(cast(b.u32(), p), "lo"); };
  for (int r = 0; r < kRounds; ++r) {
    if (r > 0) {
      k0 = b.let(k0 + b.u32(kWeyl0), "k0");
      k1 = b.let(k1 + b.u32(kWeyl1), "k1");
    }
    Expr p0 = b.let(cast(b.u64(), c[0]) * b.u64(kMul0), "p0");
    Expr p1 = b.let(cast(b.u64(), c[2]) * b.u64(kMul1), "p1");
    c = {b.let(xor_of(xor_of(hi(p1), c[1]), k0), "c0"), lo(p1),
         b.let(xor_of(xor_of(hi(p0), c[3]), k1), "c2"), lo(p0)};
  }
  return c;
}

Expr expand(const Call* call) {
  MathBuilder b(call->type.lanes());
  std::vector<Expr> a;
  for (const Expr& x : call->args) a.push_back(b.let(cast(b.u64(), x), "a"));
  auto word = [&](const Expr& x, int half) {
    Expr w = half ? make_intrinsic("shift_right", {x, b.u64(32)}) : x;
    return b.let(cast(b.u32(), w), "w");
  };
  // key = seed; counter = (index lo, index hi, stream lo, stream hi).
  std::vector<Expr> out = philox4x32(b, {word(a[2], 0), word(a[2], 1), word(a[1], 0), word(a[1], 1)},
                                     word(a[0], 0), word(a[0], 1));
  // The top 24 bits of word 0, exactly representable, scaled into [0, 1).
  Expr top = make_intrinsic("shift_right", {out[0], b.u32(8)});
  return b.finish(cast(b.f32(), top) * b.f(1.0 / (1 << 24)));
}

class PhiloxLowering : public IRMutator {
 protected:
  Expr mutate_Call(const Call* op) override {
    Expr e = IRMutator::mutate_Call(op);
    const auto* call = e.as<Call>();
    if (call->call_kind != Call::Kind::kIntrinsic || call->name != kPhiloxUniform) return e;
    return expand(call);
  }
};

}  // namespace

Stmt lower_philox(const Stmt& s) { return PhiloxLowering().mutate(s); }
Expr lower_philox(const Expr& e) { return PhiloxLowering().mutate(e); }

}  // namespace cinn::ir
