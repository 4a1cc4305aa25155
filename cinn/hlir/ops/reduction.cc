// Reductions: reduce(x, kind, axis, keepdim) with kind sum, max, min or prod.
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
        std::vector<lang::ReduceAxis> raxes;
        for (auto a : axes) raxes.push_back(lang::reduce_axis(Expr(in[a]), "r" + std::to_string(a)));
        lang::Tensor x = c.inputs[0];
        lang::Tensor t = lang::compute(
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
              return lang::reduce(kind, x(idx), raxes);
            },
            c.output_names[0]);
        return std::vector<lang::Tensor>{t};
      });
  return true;
}

[[maybe_unused]] const bool registered = register_all();

}  // namespace
}  // namespace cinn::hlir::ops
