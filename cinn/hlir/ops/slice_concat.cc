// Sub-tensor primitives: slice (numpy basic slicing along some axes) and concat.
#include <limits>

#include "cinn/hlir/ops/op_util.h"

namespace cinn::hlir::ops {
namespace {

// One sliced axis: x's axis `axis` read at start + i * stride for i in [0, extent).
struct SliceDim {
  int64_t axis = 0, start = 0, stride = 1, extent = 0;
};

// numpy's rule for a bound: negative counts from the end, then clamp to [0, n] (stepping
// forward) or to [-1, n - 1] (stepping backward, where -1 is before the first element).
int64_t clamp_bound(int64_t b, int64_t n, bool backward) {
  if (b < 0) b = b < -n ? -n - 1 : b + n;  // (no overflow for INT64_MIN, ONNX's "to the start")
  return backward ? std::min(std::max(b, int64_t{-1}), n - 1) : std::min(std::max(b, int64_t{0}), n);
}

std::vector<SliceDim> slice_dims(const OpCall& c) {
  const auto& axes = c.attr<std::vector<int64_t>>("axes");
  const auto& starts = c.attr<std::vector<int64_t>>("starts");
  const auto& ends = c.attr<std::vector<int64_t>>("ends");
  auto strides = c.attr<std::vector<int64_t>>("strides");
  if (strides.empty()) strides.assign(axes.size(), 1);
  if (starts.size() != axes.size() || ends.size() != axes.size() ||
      strides.size() != axes.size()) {
    OP_THROW(c, ShapeError) << "axes, starts, ends and strides must have one entry per axis; got "
                            << axes.size() << ", " << starts.size() << ", " << ends.size()
                            << " and " << strides.size();
  }
  const Shape& in = c.inputs[0].shape;
  std::vector<SliceDim> dims;
  std::vector<bool> seen(in.size());
  for (size_t i = 0; i < axes.size(); ++i) {
    SliceDim d;
    d.axis = c.normalize_axis(axes[i], c.rank(0));
    if (seen[d.axis]) OP_THROW(c, ShapeError) << "axis " << d.axis << " is sliced twice";
    seen[d.axis] = true;
    if (strides[i] == 0 || strides[i] == std::numeric_limits<int64_t>::min()) {
      OP_THROW(c, ShapeError) << "the stride of axis " << d.axis << " is " << strides[i];
    }
    int64_t n = in[d.axis];
    bool backward = strides[i] < 0;
    d.start = clamp_bound(starts[i], n, backward);
    int64_t end = clamp_bound(ends[i], n, backward);
    d.stride = strides[i];
    int64_t step = backward ? -d.stride : d.stride, from = backward ? end : d.start, to = backward ? d.start : end;
    d.extent = to > from ? (to - from - 1) / step + 1 : 0;
    // Tensors have no zero-size dimensions, so an empty slice is an error rather than [0].
    if (d.extent == 0) {
      OP_THROW(c, ShapeError) << "the slice [" << starts[i] << ":" << ends[i] << ":" << d.stride
                              << "] of axis " << d.axis << " (size " << n << ") is empty";
    }
    dims.push_back(d);
  }
  return dims;
}

// Concat's operands agree on rank and on every dimension but `axis`.
int64_t concat_axis(const OpCall& c) {
  int64_t axis = c.normalize_axis(c.attr<int64_t>("axis"), c.rank(0));
  const Shape& s0 = c.inputs[0].shape;
  for (size_t i = 1; i < c.inputs.size(); ++i) {
    const Shape& s = c.inputs[i].shape;
    bool ok = s.size() == s0.size();
    for (size_t d = 0; ok && d < s.size(); ++d) {
      ok = static_cast<int64_t>(d) == axis || s[d] == s0[d];
    }
    if (!ok) {
      OP_THROW(c, ShapeError) << "operand " << i << " has shape " << shape_to_string(s)
                              << ", which does not match operand 0's " << shape_to_string(s0)
                              << " outside axis " << axis;
    }
  }
  return axis;
}

bool register_all() {
  OpRegistry::global()
      .add("slice")
      .describe("x[start:end:stride] along each of `axes` (numpy rules: negative bounds count "
                "from the end, bounds are clamped to the axis, a negative stride steps backward); "
                "an empty slice is a ShapeError")
      .inputs({"x"})
      .required_attr("axes", AttrKind::kInts, "the sliced axes (negative allowed)")
      .required_attr("starts", AttrKind::kInts, "first index per axis")
      .required_attr("ends", AttrKind::kInts, "one past the last index per axis")
      .attr("strides", std::vector<int64_t>{}, "step per axis, nonzero (negative: backward from "
            "start, as numpy's x[start:end:-k]); [] means all 1")
      .pattern(OpPattern::kInjective)
      .infer_shape([](const OpCall& c) {
        Shape out = c.inputs[0].shape;
        for (const SliceDim& d : slice_dims(c)) out[d.axis] = d.extent;
        return std::vector<Shape>{out};
      })
      .compute([](const ComputeCall& c) {
        std::vector<SliceDim> dims = slice_dims(c.call);
        return elementwise_compute([dims](const auto& ins, const auto& axes) {
          std::vector<Expr> idx = axes;
          for (const SliceDim& d : dims) {
            idx[d.axis] = Expr(d.start) + axes[d.axis] * Expr(d.stride);
          }
          return ins[0](idx);
        })(c);
      })
      // The gradient put back where the slice read, zeros elsewhere.
      .vjp([](Builder& b, const Node& n, const std::vector<Value*>& g) {
        const Shape& xs = n.inputs[0]->shape();
        Value* v = g[0];
        for (const SliceDim& d : slice_dims(node_call(n))) {
          if (d.stride < 0) {
            // Reversed, the gradient steps forward from the slice's last element.
            if (d.extent > 1) v = reversed(b, v, d.axis);
            v = unslice(b, v, d.axis, d.start + (d.extent - 1) * d.stride, -d.stride, xs[d.axis]);
          } else {
            v = unslice(b, v, d.axis, d.start, d.stride, xs[d.axis]);
          }
        }
        return std::vector<Value*>{v};
      });

  OpRegistry::global()
      .add("concat")
      .describe("the operands joined along `axis`; they agree in dtype and in every other "
                "dimension")
      .inputs({"xs..."})
      .attr("axis", int64_t{0}, "the joined axis (negative allowed)")
      .pattern(OpPattern::kInjective)
      .infer_shape([](const OpCall& c) {
        int64_t axis = concat_axis(c);
        Shape out = c.inputs[0].shape;
        out[axis] = 0;
        for (const auto& t : c.inputs) out[axis] += t.shape[axis];
        return std::vector<Shape>{out};
      })
      .infer_dtype(same_dtype)
      .compute([](const ComputeCall& c) {
        int64_t axis = concat_axis(c.call);
        std::vector<int64_t> sizes;
        for (const auto& t : c.call.inputs) sizes.push_back(t.shape[axis]);
        return elementwise_compute([axis, sizes](const auto& ins, const auto& axes) {
          // select(i < o1, x0[i], select(i < o2, x1[i - o1], ...)), built from the last
          // operand outwards. LLVM's select evaluates both arms, so each operand's index is
          // clamped into its own range: the unused loads stay in bounds.
          int64_t offset = 0;
          for (size_t k = 0; k + 1 < sizes.size(); ++k) offset += sizes[k];
          Expr result;
          for (size_t k = sizes.size(); k-- > 0;) {
            std::vector<Expr> idx = axes;
            Expr local = axes[axis] - Expr(offset);
            if (sizes.size() > 1) {
              local = ir::max(ir::min(local, Expr(sizes[k] - 1)), Expr(int64_t{0}));
            }
            idx[axis] = local;
            Expr v = ins[k](idx);
            Expr here = axes[axis] < Expr(offset + sizes[k]);
            result = result.defined() ? ir::select(here, v, result) : v;
            if (k > 0) offset -= sizes[k - 1];
          }
          return result;
        })(c);
      })
      // Each operand gets its slice of the gradient.
      .vjp([](Builder& b, const Node& n, const std::vector<Value*>& g) {
        int64_t axis = concat_axis(node_call(n)), offset = 0;
        std::vector<Value*> out;
        for (const Value* x : n.inputs) {
          int64_t len = x->shape()[axis];
          out.push_back(b.call1("slice", {g[0]}, {{"axes", std::vector<int64_t>{axis}},
                                                  {"starts", std::vector<int64_t>{offset}},
                                                  {"ends", std::vector<int64_t>{offset + len}}}));
          offset += len;
        }
        return out;
      });
  return true;
}

[[maybe_unused]] const bool registered = register_all();

}  // namespace
}  // namespace cinn::hlir::ops
