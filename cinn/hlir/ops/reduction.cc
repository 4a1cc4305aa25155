// Reductions: reduce(x, kind, axis, keepdim) with kind sum, max, min or prod;
// arg_reduce(x, kind, axis, keepdim, dtype): the index of the first max or min.
#include <algorithm>
#include <cmath>

#include "cinn/hlir/ops/op_util.h"
#include "cinn/ir/intrinsics.h"

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

// Reductions in stages. A float32 sum of n terms in one running (vector) sum has an error
// growing with n (1e7 terms: 5e-4 relative); summed in parts, then the parts' results, each
// sum has fewer terms. The compute splits a large reduction along the axes' own structure,
// so that every stage is a plain row or column reduction of its input to the schedules:
//  - a long last axis alone (kLongReduction elements, every kind): blocks of about sqrt(n)
//    along it, then the blocks' results. A reduction of a whole 1-D tensor, which has no
//    spatial loop to run in parallel, then has one (its blocks);
//  - a float sum of kStagedReduction terms or more over trailing axes (a row of at least
//    kStagedRow elements) and others (batch norm's N, H, W of NCHW): the trailing axes
//    first, then the others over those results;
//  - a float sum of as many terms over leading axes only (a column sum): the longest
//    reduced axis in blocks, then the whole reduction over the blocks' results.
// The stages after the first accumulate in float64 (combines_wide).
constexpr int64_t kLongReduction = 32768;
constexpr int64_t kStagedReduction = 4096;
// Shorter rows would each end in a horizontal sum of vector lanes: 1.3-1.7x slower for
// [256, 512, 64] over axes 0, 2.
constexpr int64_t kStagedRow = 256;

// A divisor of n that is a multiple of `step`, within a factor 8 of sqrt(n) and the nearest
// to it; 0 if there is none.
int64_t block_near_root(int64_t n, int64_t step) {
  double root = std::sqrt(static_cast<double>(n));
  int64_t best = 0;
  double best_distance = 0;
  for (int64_t d = step; d <= static_cast<int64_t>(root * 8) && d < n; d += step) {
    if (n % d != 0 || d < root / 8) continue;
    double distance = std::abs(std::log(static_cast<double>(d) / root));
    if (best == 0 || distance < best_distance) best = d, best_distance = distance;
  }
  return best;
}

struct Reduction {
  lang::ReduceKind kind;
  common::Type out_type;                  // the result's dtype
  std::string name;                       // the result's name
  int parts = 0;                          // intermediate results named so far

  bool accumulates() const { return kind == lang::ReduceKind::kSum || kind == lang::ReduceKind::kProd; }
  // A float sum is staged (below) and combines the results of its first stage in float64:
  // they are few, and the first stage's rounding then stays most of the error (a batch
  // norm's mean within about an ulp, as PyTorch's, which accumulates in double on CPUs). A
  // product's error grows with the number of roundings, not with the partial results'
  // size: staging would not help it.
  bool combines_wide() const { return out_type.is_float() && kind == lang::ReduceKind::kSum; }

  lang::Tensor operator()(const lang::Tensor& x, const Shape& in, const std::vector<int64_t>& axes,
                          bool keep, size_t ones, bool first, bool final) {
    // The terms: float16 / bfloat16 sums and products accumulate in float32
    // (accumulator_type), the stages after the first in float64 where they combine wide.
    common::Type term_type = first && accumulates() ? accumulator_type(out_type)
                             : !first && combines_wide() ? common::Float(64)
                                                         : x.dtype();
    auto t = [&](const Expr& e) { return ir::cast(term_type, e); };
    int64_t last = static_cast<int64_t>(in.size()) - 1;
    int64_t count = 1;
    for (int64_t a : axes) count *= in[a];
    // How many of the innermost reduced axes make the shortest run of trailing axes with
    // kStagedRow elements or more (0 when there is none).
    size_t inner = 0;
    int64_t row = 1;
    while (inner < axes.size() && row < kStagedRow &&
           axes[axes.size() - 1 - inner] == last - static_cast<int64_t>(inner)) {
      row *= in[axes[axes.size() - 1 - inner]], ++inner;
    }
    if (row < kStagedRow) inner = 0;
    bool staged = combines_wide() && count >= kStagedReduction;

    // The blocked axis (or -1) and its block.
    int64_t blocked = -1, block = 0;
    if (axes == std::vector<int64_t>{last} && in[last] >= kLongReduction) {
      blocked = last, block = block_near_root(in[last], 16);  // vector rows without a tail
    } else if (staged && inner > 0 && inner < axes.size()) {
      // The rows first, then the other axes over their results.
      std::vector<int64_t> rows(axes.end() - inner, axes.end()), rest(axes.begin(), axes.end() - inner);
      lang::Tensor partial = (*this)(x, in, rows, false, 0, first, false);
      Shape ps(in.begin(), in.end() - inner);
      return (*this)(partial, ps, rest, keep, keep ? ones + inner : 0, false, final);
    } else if (staged && axes.back() != last) {
      int64_t longest = axes[0];
      for (int64_t a : axes) longest = in[a] > in[longest] ? a : longest;
      blocked = longest, block = block_near_root(in[longest], 1);
    }
    if (block > 0) {
      // The blocked axis split into (blocks, block): each block's result, then the rest.
      lang::ReduceAxis rb = lang::reduce_axis(Expr(block), "rb");
      Shape bs = in;
      bs[blocked] = in[blocked] / block;
      lang::Tensor blocks = lang::compute(
          to_exprs(bs),
          [&](std::vector<Expr> i) {
            i[blocked] = i[blocked] * Expr(block) + rb.var;
            return lang::reduce(kind, t(x(i)), {rb});
          },
          part_name());
      return (*this)(blocks, bs, axes, keep, ones, false, final);
    }

    std::vector<lang::ReduceAxis> raxes;
    Shape out;
    for (size_t d = 0, a = 0; d < in.size(); ++d) {
      bool reduced = a < axes.size() && axes[a] == static_cast<int64_t>(d);
      if (reduced) raxes.push_back(lang::reduce_axis(Expr(in[axes[a++]]), "r" + std::to_string(d)));
      if (!reduced || keep) out.push_back(reduced ? 1 : in[d]);
    }
    out.insert(out.end(), ones, 1);
    return lang::compute(
        to_exprs(out),
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
          return lang::reduce(kind, t(x(idx)), raxes);
        },
        !final ? part_name() : term_type == out_type ? name : name + "_acc");
  }

  std::string part_name() { return name + "_part" + std::to_string(parts++); }
};

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
        Reduction reduction{kind, c.call.inputs[0].dtype, c.output_names[0]};
        lang::Tensor acc = reduction(c.inputs[0], in, axes, keep, 0, true, true);
        return std::vector<lang::Tensor>{narrowed(acc, reduction.out_type, c.outputs[0].shape, c.output_names[0])};
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
                "one axis, like numpy argmax/argmin; where the axis holds a NaN, the first NaN's "
                "(PyTorch's and numpy's answer)")
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
        // reaches the extremum. A NaN is the extremum (the reduction propagates it) and
        // equals nothing: the first NaN's k, as PyTorch answers.
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
              Expr v = x(x_index(a, r2.var));
              Expr hit = v == m(a);
              if (v.type().is_float()) hit = hit || ir::make_intrinsic("isnan", {v});
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
