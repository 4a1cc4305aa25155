// Reductions: reduce(x, kind, axis, keepdim) with kind sum, max, min or prod;
// arg_reduce(x, kind, axis, keepdim, dtype): the index of the first max or min.
#include <cmath>

#include "cinn/hlir/ops/op_util.h"

namespace cinn::hlir::ops {
namespace {

lang::ReduceKind parse_kind(const OpCall& c) {
  const auto& k = c.attr<std::string>("kind");
  if (k == "sum") return lang::ReduceKind::kSum;
  if (k == "max") return lang::ReduceKind::kMax;
  if (k == "min") return lang::ReduceKind::kMin;
  if (k == "prod") return lang::ReduceKind::kProd;
  OP_THROW(c, Error) << "attribute 'kind' must be sum, max, min or prod; got '" << k << "'";
}

// The block length of a reduction of a last axis of `n` elements in two stages, or 0 for
// one stage. A float32 sum of n terms in one running (vector) sum has an error growing with
// n (1e7 elements: 5e-4 relative); summed in blocks of about sqrt(n), then the blocks' sums,
// each sum has about sqrt(n) terms. A reduction of a whole 1-D tensor, which has no
// spatial loop to run in parallel, also gets one (its blocks). Rows from kLongReduction
// elements; the block is a divisor of n, a multiple of 16 (vector rows without a tail),
// within a factor 8 of sqrt(n), the nearest to it.
constexpr int64_t kLongReduction = 32768;
int64_t long_reduction_block(int64_t n) {
  if (n < kLongReduction) return 0;
  double root = std::sqrt(static_cast<double>(n));
  int64_t best = 0;
  double best_distance = 0;
  for (int64_t d = 16; d <= static_cast<int64_t>(root * 8) && d < n; d += 16) {
    if (n % d != 0 || d < root / 8) continue;
    double distance = std::abs(std::log(static_cast<double>(d) / root));
    if (best == 0 || distance < best_distance) best = d, best_distance = distance;
  }
  return best;
}

bool register_all() {
  OpRegistry::global()
      .add("reduce")
      .describe("reduction of x over `axis` by `kind` (sum, max, min, prod)")
      .inputs({"x"})
      .required_attr("kind", AttrKind::kString, "sum, max, min or prod")
      .attr("axis", std::vector<int64_t>{}, "axes to reduce; [] reduces all")
      .attr("keepdim", false, "keep reduced axes as size 1")
      .pattern(OpPattern::kReduction)
      .infer_shape([](const OpCall& c) {
        parse_kind(c);
        const Shape& in = c.inputs[0].shape;
        auto axes = normalize_axes(c, c.attr<std::vector<int64_t>>("axis"), c.rank(0));
        bool keep = c.attr<bool>("keepdim");
        Shape out;
        for (size_t d = 0, a = 0; d < in.size(); ++d) {
          bool reduced = a < axes.size() && axes[a] == static_cast<int64_t>(d);
          if (reduced) ++a;
          if (!reduced) out.push_back(in[d]);
          else if (keep) out.push_back(1);
        }
        return std::vector<Shape>{out};
      })
      .infer_dtype([](const OpCall& c) {
        if (c.inputs[0].dtype.is_bool()) OP_THROW(c, DTypeError) << "expects numbers, got bool";
        return std::vector<common::Type>{c.inputs[0].dtype};
      })
      .compute([](const ComputeCall& c) {
        lang::ReduceKind kind = parse_kind(c.call);
        const Shape& in = c.call.inputs[0].shape;
        auto axes = normalize_axes(c.call, c.call.attr<std::vector<int64_t>>("axis"),
                                   static_cast<int64_t>(in.size()));
        bool keep = c.call.attr<bool>("keepdim");
        if (axes.empty()) {  // a scalar: nothing to reduce
          return elementwise_compute([](const auto& ins, const auto& i) { return ins[0](i); })(c);
        }
        lang::Tensor x = c.inputs[0];
        // float16 / bfloat16 sums and products accumulate in float32 (accumulator_type).
        common::Type dtype = c.call.inputs[0].dtype;
        bool widen = kind == lang::ReduceKind::kSum || kind == lang::ReduceKind::kProd;
        auto term = [&](const Expr& v) { return widen ? widened(v, dtype) : v; };
        std::string acc_name = widen ? accumulator_name(c.output_names[0], dtype) : c.output_names[0];
        int64_t last = static_cast<int64_t>(in.size()) - 1;
        int64_t block = axes.size() == 1 && axes[0] == last ? long_reduction_block(in[last]) : 0;
        if (block > 0) {
          // A long row in two stages: sums of blocks, then the sum of the blocks' sums.
          lang::ReduceAxis rb = lang::reduce_axis(Expr(block), "rb");
          lang::ReduceAxis rn = lang::reduce_axis(Expr(in[last] / block), "rn");
          Shape ps(in.begin(), in.end() - 1);
          ps.push_back(in[last] / block);
          lang::Tensor blocks = lang::compute(
              to_exprs(ps),
              [&](std::vector<Expr> a) {
                a.back() = a.back() * Expr(block) + rb.var;
                return lang::reduce(kind, term(x(a)), {rb});
              },
              c.output_names[0] + "_blocks");
          lang::Tensor acc = lang::compute(
              to_exprs(c.outputs[0].shape),
              [&](const std::vector<Expr>& out_axes) {
                std::vector<Expr> idx(out_axes.begin(), out_axes.begin() + last);  // the kept axis (keepdim) is last
                idx.push_back(rn.var);
                return lang::reduce(kind, blocks(idx), {rn});
              },
              acc_name);
          if (!widen) return std::vector<lang::Tensor>{acc};
          return std::vector<lang::Tensor>{narrowed(acc, dtype, c.outputs[0].shape, c.output_names[0])};
        }
        std::vector<lang::ReduceAxis> raxes;
        for (auto a : axes) raxes.push_back(lang::reduce_axis(Expr(in[a]), "r" + std::to_string(a)));
        lang::Tensor acc = lang::compute(
            to_exprs(c.outputs[0].shape),
            [&](const std::vector<Expr>& out_axes) {
              std::vector<Expr> idx;
              size_t o = 0, a = 0;
              for (size_t d = 0; d < in.size(); ++d) {
                if (a < axes.size() && axes[a] == static_cast<int64_t>(d)) {
                  idx.push_back(raxes[a++].var);
                  if (keep) ++o;
                } else {
                  idx.push_back(out_axes[o++]);
                }
              }
              return lang::reduce(kind, term(x(idx)), raxes);
            },
            acc_name);
        if (!widen) return std::vector<lang::Tensor>{acc};
        return std::vector<lang::Tensor>{narrowed(acc, dtype, c.outputs[0].shape, c.output_names[0])};
      })
      // With gk, yk the gradient and the result shaped as with keepdim (broadcasting over
      // the reduced axes):
      //   sum:      gk
      //   max, min: gk where x equals the extremum, shared evenly among ties (torch.amax)
      //   prod:     gk yk / x (an x of exactly 0 gives inf or NaN: no special case)
      .vjp([](Builder& b, const Node& n, const std::vector<Value*>& g) {
        Value *x = n.inputs[0], *y = n.outputs[0];
        const Shape& xs = x->shape();
        auto axes = normalize_axes(node_call(n), get_attr<std::vector<int64_t>>(n.attrs, "axis"),
                                   static_cast<int64_t>(xs.size()));
        Shape keep = xs;
        for (int64_t a : axes) keep[a] = 1;
        auto kept = [&](Value* v) {
          return v->shape() == keep ? v : b.call1("reshape", {v}, {{"shape", keep}});
        };
        auto spread = [&](Value* v) { return b.call1("broadcast_to", {v}, {{"shape", xs}}); };
        Value* gk = kept(g[0]);
        const auto& kind = get_attr<std::string>(n.attrs, "kind");
        if (kind == "sum") return std::vector<Value*>{spread(gk)};
        if (kind == "prod") {
          return std::vector<Value*>{
              b.call1("div", {spread(b.call1("mul", {gk, kept(y)})), x})};
        }
        Value* hit = b.call1("cast", {b.call1("compare", {x, spread(kept(y))}, {{"op", std::string("eq")}})},
                             {{"dtype", x->dtype()}});
        Value* count = b.call1("reduce", {hit}, {{"kind", std::string("sum")}, {"axis", axes}, {"keepdim", true}});
        return std::vector<Value*>{b.call1("mul", {hit, spread(b.call1("div", {gk, count}))})};
      });
  return true;
}

// The shape of x without `axis` (or with it as 1 when keepdim).
Shape drop_axis(const Shape& in, int64_t axis, bool keep) {
  Shape out;
  for (size_t d = 0; d < in.size(); ++d) {
    if (static_cast<int64_t>(d) != axis) out.push_back(in[d]);
    else if (keep) out.push_back(1);
  }
  return out;
}

bool register_arg_reduce() {
  OpRegistry::global()
      .add("arg_reduce")
      .describe("the index of the first maximum (kind max) or minimum (kind min) of x along "
                "one axis, like numpy argmax/argmin; unspecified where the axis holds a NaN")
      .inputs({"x"})
      .required_attr("kind", AttrKind::kString, "max or min")
      .required_attr("axis", AttrKind::kInt, "the reduced axis (negative allowed)")
      .attr("keepdim", false, "keep the reduced axis as size 1")
      .attr("dtype", common::Int(64), "the index dtype: int32 or int64")
      // Two stages (the extremum, then the first index reaching it): never fused.
      .pattern(OpPattern::kOpaque)
      .infer_shape([](const OpCall& c) {
        const auto& k = c.attr<std::string>("kind");
        if (k != "max" && k != "min") {
          OP_THROW(c, Error) << "attribute 'kind' must be max or min; got '" << k << "'";
        }
        int64_t axis = c.normalize_axis(c.attr<int64_t>("axis"), c.rank(0));
        return std::vector<Shape>{drop_axis(c.inputs[0].shape, axis, c.attr<bool>("keepdim"))};
      })
      .infer_dtype([](const OpCall& c) {
        if (c.inputs[0].dtype.is_bool()) OP_THROW(c, DTypeError) << "expects numbers, got bool";
        common::Type t = c.attr<common::Type>("dtype");
        if (t != common::Int(32) && t != common::Int(64)) {
          OP_THROW(c, DTypeError) << "dtype must be int32 or int64, got " << t;
        }
        return std::vector<common::Type>{t};
      })
      .compute([](const ComputeCall& c) {
        bool is_max = c.call.attr<std::string>("kind") == "max";
        const Shape& in = c.call.inputs[0].shape;
        int64_t axis = c.call.normalize_axis(c.call.attr<int64_t>("axis"), c.call.rank(0));
        bool keep = c.call.attr<bool>("keepdim");
        common::Type t = c.outputs[0].dtype;
        lang::Tensor x = c.inputs[0];
        // x's index for a result index: the reduced axis reads `k`.
        auto x_index = [axis, keep](const std::vector<Expr>& out, Expr k) {
          std::vector<Expr> idx;
          for (size_t o = 0; o < out.size(); ++o) {
            if (static_cast<int64_t>(o) == axis) {
              idx.push_back(k);
              if (keep) continue;
            }
            idx.push_back(out[o]);
          }
          if (!keep && static_cast<int64_t>(out.size()) == axis) idx.push_back(k);
          return idx;
        };
        // m = max_k x[.., k, ..]; arg = min_k (x[.., k, ..] == m ? k : n), the first k that
        // reaches the extremum.
        lang::ReduceAxis r1 = lang::reduce_axis(Expr(in[axis]), "r");
        lang::Tensor m = lang::compute(
            to_exprs(c.outputs[0].shape),
            [&](const std::vector<Expr>& a) {
              return lang::reduce(is_max ? lang::ReduceKind::kMax : lang::ReduceKind::kMin,
                                  x(x_index(a, r1.var)), {r1});
            },
            c.output_names[0] + "_extremum");
        lang::ReduceAxis r2 = lang::reduce_axis(Expr(in[axis]), "r");
        lang::Tensor arg = lang::compute(
            to_exprs(c.outputs[0].shape),
            [&](const std::vector<Expr>& a) {
              Expr hit = x(x_index(a, r2.var)) == m(a);
              return lang::min(ir::select(hit, ir::cast(t, r2.var), ir::make_const(t, in[axis])),
                               {r2});
            },
            c.output_names[0]);
        return std::vector<lang::Tensor>{arg};
      })
      .vjp(no_gradient());
  return true;
}

[[maybe_unused]] const bool registered = register_all();
[[maybe_unused]] const bool arg_registered = register_arg_reduce();

}  // namespace
}  // namespace cinn::hlir::ops
