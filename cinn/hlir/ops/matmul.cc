// matmul(x, y, transpose_x, transpose_y): batched matrix product with broadcast batch axes.
#include "cinn/hlir/builder.h"
#include "cinn/hlir/ops/op_util.h"

namespace cinn::hlir::ops {
namespace {

struct MatmulDims {
  Shape batch;  // broadcast batch shape
  int64_t m = 0, n = 0, k = 0;
};

MatmulDims matmul_dims(const OpCall& c) {
  const Shape& xs = c.inputs[0].shape;
  const Shape& ys = c.inputs[1].shape;
  if (xs.size() < 2 || ys.size() < 2) {
    OP_THROW(c, ShapeError) << "operands must have rank >= 2, got " << shape_to_string(xs)
                            << " and " << shape_to_string(ys)
                            << " (reshape vectors to [1, n] or [n, 1])";
  }
  bool tx = c.attr<bool>("transpose_x"), ty = c.attr<bool>("transpose_y");
  size_t rx = xs.size(), ry = ys.size();
  MatmulDims d;
  d.m = tx ? xs[rx - 1] : xs[rx - 2];
  int64_t kx = tx ? xs[rx - 2] : xs[rx - 1];
  int64_t ky = ty ? ys[ry - 1] : ys[ry - 2];
  d.n = ty ? ys[ry - 2] : ys[ry - 1];
  if (kx != ky) {
    OP_THROW(c, ShapeError) << "contracted dimensions differ: x " << shape_to_string(xs)
                            << (tx ? " (transposed)" : "") << " has K=" << kx << ", y "
                            << shape_to_string(ys) << (ty ? " (transposed)" : "") << " has K=" << ky;
  }
  d.k = kx;
  d.batch = Builder::broadcast_shapes(
      c.op.name, Shape(xs.begin(), xs.end() - 2), Shape(ys.begin(), ys.end() - 2));
  return d;
}

// Index of an operand's batch axes for the result's batch axes (broadcast axes read 0).
std::vector<Expr> batch_index(const Shape& operand, size_t nb, const std::vector<Expr>& axes) {
  size_t ob = operand.size() - 2, off = nb - ob;
  std::vector<Expr> idx;
  for (size_t d = 0; d < ob; ++d) idx.push_back(operand[d] == 1 ? Expr(int64_t{0}) : axes[off + d]);
  return idx;
}

bool register_all() {
  OpRegistry::global()
      .add("matmul")
      .describe("batched x @ y; x [..., M, K] (or [..., K, M] with transpose_x), y [..., K, N] "
                "(or [..., N, K] with transpose_y); batch axes broadcast")
      .inputs({"x", "y"})
      .attr("transpose_x", false)
      .attr("transpose_y", false)
      .pattern(OpPattern::kOutFusible)
      .infer_shape([](const OpCall& c) {
        MatmulDims d = matmul_dims(c);
        Shape out = d.batch;
        out.push_back(d.m);
        out.push_back(d.n);
        return std::vector<Shape>{out};
      })
      .infer_dtype([](const OpCall& c) {
        if (c.inputs[0].dtype.is_bool()) OP_THROW(c, DTypeError) << "expects numbers, got bool";
        return same_dtype(c);
      })
      .compute([](const ComputeCall& c) {
        MatmulDims d = matmul_dims(c.call);
        bool tx = c.call.attr<bool>("transpose_x"), ty = c.call.attr<bool>("transpose_y");
        Shape xs = c.call.inputs[0].shape, ys = c.call.inputs[1].shape;
        lang::Tensor x = c.inputs[0], y = c.inputs[1];
        lang::ReduceAxis k = lang::reduce_axis(Expr(d.k), "k");
        size_t nb = d.batch.size();
        // A transposed right operand is first packed into [.., k, n] (`<out>_pack`, a
        // staging block: the schedules keep it as its own nest) so that the n loop reads it
        // contiguously. Not with fewer than kMinPackRows rows: the copy would cost about as
        // much as the product (a linear layer at batch 1 reads each weight once), and both
        // operands are then contiguous along k, which a dot-product schedule wants.
        constexpr int64_t kMinPackRows = 16;
        if (ty && d.m >= kMinPackRows) {
          Shape ps = ys;
          std::swap(ps[ps.size() - 1], ps[ps.size() - 2]);
          lang::Tensor src = y;
          y = lang::compute(
              to_exprs(ps),
              [src](std::vector<Expr> a) {
                std::swap(a[a.size() - 1], a[a.size() - 2]);
                return src(a);
              },
              c.output_names[0] + "_pack", {}, {{ir::kStagingAnnotation, "transpose"}});
          ys = ps;
          ty = false;
        }
        common::Type dt = c.outputs[0].dtype;  // 16-bit floats accumulate in float32
        lang::Tensor t = lang::compute(
            to_exprs(c.outputs[0].shape),
            [&](const std::vector<Expr>& a) {
              Expr i = a[nb], j = a[nb + 1];
              std::vector<Expr> xi = batch_index(xs, nb, a), yi = batch_index(ys, nb, a);
              xi.push_back(tx ? k.var : i);
              xi.push_back(tx ? i : k.var);
              yi.push_back(ty ? j : k.var);
              yi.push_back(ty ? k.var : j);
              return lang::sum(widened(x(xi), dt) * widened(y(yi), dt), {k});
            },
            accumulator_name(c.output_names[0], dt));
        return std::vector<lang::Tensor>{narrowed(t, dt, c.outputs[0].shape, c.output_names[0])};
      })
      // With A = op(x), B = op(y) (op: transposed or not), dA = g B^T and dB = A^T g, and
      // transposing a product swaps its factors; so each gradient is one matmul:
      //   tx ty   dx                    dy
      //   f  f    g y^T                 x^T g
      //   f  t    g y                   g^T x
      //   t  f    y g^T                 x g
      //   t  t    y^T g^T               g^T x^T
      // then summed over the batch axes broadcasting stretched.
      .vjp([](Builder& b, const Node& n, const std::vector<Value*>& g) {
        Value *x = n.inputs[0], *y = n.inputs[1], *d = g[0];
        bool tx = get_attr<bool>(n.attrs, "transpose_x"), ty = get_attr<bool>(n.attrs, "transpose_y");
        auto mm = [&](Value* p, Value* q, bool tp, bool tq) {
          return b.call1("matmul", {p, q}, {{"transpose_x", tp}, {"transpose_y", tq}});
        };
        Value* dx = !tx ? (!ty ? mm(d, y, false, true) : mm(d, y, false, false))
                        : (!ty ? mm(y, d, false, true) : mm(y, d, true, true));
        Value* dy = !ty ? (!tx ? mm(x, d, true, false) : mm(x, d, false, false))
                        : (!tx ? mm(d, x, true, false) : mm(d, x, true, true));
        return std::vector<Value*>{sum_to(b, dx, x->shape()), sum_to(b, dy, y->shape())};
      });
  return true;
}

[[maybe_unused]] const bool registered = register_all();

}  // namespace
}  // namespace cinn::hlir::ops
