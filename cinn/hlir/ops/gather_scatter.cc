// Data-dependent indexing: gather (numpy take), scatter_add (torch index_add) and scatter
// (torch index_copy).
#include "cinn/hlir/ops/op_util.h"

namespace cinn::hlir::ops {
namespace {

void require_int_index(const OpCall& c, size_t i) {
  const common::Type& t = c.inputs[i].dtype;
  if (t != common::Int(32) && t != common::Int(64)) {
    OP_THROW(c, DTypeError) << "index must be int32 or int64, got " << t;
  }
}

// An index value read at run time as an int64 position in [0, n): negative values count
// from the end (numpy), then the result is clamped so that no load leaves the tensor.
Expr wrap_and_clamp(Expr index, int64_t n) {
  Expr i = ir::cast(common::Int(64), index);
  i = ir::select(i < Expr(int64_t{0}), i + Expr(n), i);
  return ir::max(ir::min(i, Expr(n - 1)), Expr(int64_t{0}));
}

// scatter_add: x and updates agree but on `axis`, where updates has index's length.
int64_t scatter_axis(const OpCall& c) {
  int64_t axis = c.normalize_axis(c.attr<int64_t>("axis"), c.rank(0));
  const Shape& xs = c.inputs[0].shape;
  const Shape& is = c.inputs[1].shape;
  const Shape& us = c.inputs[2].shape;
  if (is.size() != 1) {
    OP_THROW(c, ShapeError) << "index must be 1-D, got shape " << shape_to_string(is);
  }
  Shape expect = xs;
  expect[axis] = is[0];
  if (us != expect) {
    OP_THROW(c, ShapeError) << "updates has shape " << shape_to_string(us) << ", expected "
                            << shape_to_string(expect) << " (x's shape with axis " << axis
                            << " the length of index)";
  }
  return axis;
}

// scatter_add (`add`) and scatter: a copy of x (the output), then each update stored at
// its index, added to the value there or replacing it (lang::update, which drops the
// indices outside x after wrapping negative ones once): serial over the
// indices, in order, parallel and vectorized over the other axes.
std::vector<lang::Tensor> scatter_compute(const ComputeCall& c, bool add) {
  int64_t axis = scatter_axis(c.call);
  int64_t n = c.call.inputs[0].shape[axis];
  lang::Tensor x = c.inputs[0], index = c.inputs[1], updates = c.inputs[2];
  lang::Tensor copy = lang::compute(
      to_exprs(c.outputs[0].shape), [&](const std::vector<Expr>& a) { return x(a); }, c.output_names[0]);
  auto position = [&](const std::vector<Expr>& u) {
    Expr pos = ir::cast(common::Int(64), index(u[axis]));
    return ir::select(pos < Expr(int64_t{0}), pos + Expr(n), pos);
  };
  auto at = [&](const std::vector<Expr>& u) {
    std::vector<Expr> a = u;
    a[axis] = position(u);
    return a;
  };
  lang::Tensor out = lang::update(
      copy, to_exprs(c.call.inputs[2].shape), at,
      [&](const std::vector<Expr>& u) { return add ? copy(at(u)) + updates(u) : updates(u); },
      nullptr,  // lang::update skips the positions outside x
      c.output_names[0] + (add ? "_add" : "_store"));
  return {out};
}

common::Type scatter_dtype(const OpCall& c) {
  require_int_index(c, 1);
  if (c.inputs[0].dtype.is_bool()) OP_THROW(c, DTypeError) << "expects numbers, got bool";
  if (c.inputs[2].dtype != c.inputs[0].dtype) {
    OP_THROW(c, DTypeError) << "updates is " << c.inputs[2].dtype << ", expected " << c.inputs[0].dtype
                            << " like x";
  }
  return c.inputs[0].dtype;
}

bool register_all() {
  OpRegistry::global()
      .add("gather")
      .describe("numpy take: out[a, i, b] = x[a, index[i], b] with `a` the axes before `axis`; "
                "the result shape is x.shape[:axis] + index.shape + x.shape[axis+1:]. Negative "
                "indices count from the end; indices still out of range are clamped to the "
                "axis (no out-of-bounds reads, no error)")
      .inputs({"x", "index"})
      .attr("axis", int64_t{0}, "the gathered axis of x (negative allowed)")
      .pattern(OpPattern::kInjective)
      .infer_shape([](const OpCall& c) {
        int64_t axis = c.normalize_axis(c.attr<int64_t>("axis"), c.rank(0));
        const Shape& xs = c.inputs[0].shape;
        Shape out(xs.begin(), xs.begin() + axis);
        out.insert(out.end(), c.inputs[1].shape.begin(), c.inputs[1].shape.end());
        out.insert(out.end(), xs.begin() + axis + 1, xs.end());
        return std::vector<Shape>{out};
      })
      .infer_dtype([](const OpCall& c) {
        require_int_index(c, 1);
        return std::vector<common::Type>{c.inputs[0].dtype};
      })
      .compute([](const ComputeCall& c) {
        int64_t axis = c.call.normalize_axis(c.call.attr<int64_t>("axis"), c.call.rank(0));
        size_t ni = c.call.inputs[1].shape.size();
        int64_t n = c.call.inputs[0].shape[axis];
        return elementwise_compute([axis, ni, n](const auto& ins, const auto& axes) {
          std::vector<Expr> xi(axes.begin(), axes.begin() + axis);
          std::vector<Expr> ii(axes.begin() + axis, axes.begin() + axis + ni);
          xi.push_back(wrap_and_clamp(ins[1](ii), n));
          xi.insert(xi.end(), axes.begin() + axis + ni, axes.end());
          return ins[0](xi);
        })(c);
      })
      // Each gathered element's gradient is added back at its index: scatter_add into
      // zeros, with index flattened to 1-D (and the gradient's index axes merged to match).
      // An index that was out of range (clamped by gather) gets no gradient.
      .vjp([](Builder& b, const Node& n, const std::vector<Value*>& g) {
        Value *x = n.inputs[0], *index = n.inputs[1];
        int64_t axis = node_call(n).normalize_axis(get_attr<int64_t>(n.attrs, "axis"),
                                                  static_cast<int64_t>(x->shape().size()));
        int64_t m = num_elements(index->shape());
        Shape us = x->shape();
        us[axis] = m;
        Value* flat_index = b.call1("reshape", {index}, {{"shape", std::vector<int64_t>{m}}});
        Value* updates = b.call1("reshape", {g[0]}, {{"shape", us}});
        return std::vector<Value*>{
            b.call1("scatter_add", {b.full(x->type, 0.0), flat_index, updates}, {{"axis", axis}}),
            nullptr};
      });

  // scatter_add and scatter: the same inputs, shapes and dtypes; the update adds or stores.
  // Each writes its output at data-dependent positions (an update after a copy): a kernel
  // of its own.
  auto scatter_op = [](const std::string& name, const std::string& doc, bool add) -> decltype(auto) {
    return OpRegistry::global()
        .add(name)
        .describe(doc)
        .inputs({"x", "index", "updates"})
        .attr("axis", int64_t{0}, "the axis of x that index selects along (negative allowed)")
        .pattern(OpPattern::kOpaque)
        .infer_shape([](const OpCall& c) {
          scatter_axis(c);
          return std::vector<Shape>{c.inputs[0].shape};
        })
        .infer_dtype([](const OpCall& c) { return std::vector<common::Type>{scatter_dtype(c)}; })
        .compute([add](const ComputeCall& c) { return scatter_compute(c, add); });
  };
  scatter_op("scatter_add",
             "torch index_add: a copy of x with updates[.., i, ..] added to x[.., index[i], ..] along "
             "`axis` (index 1-D; repeated indices accumulate, in order). Negative indices count from "
             "the end; indices still out of range are ignored. Computed as a copy of x, then each "
             "update added in place at its index (serial over i)",
             /*add=*/true)
      // x's gradient passes through; each update's is the gradient where it was added.
      .vjp([](Builder& b, const Node& n, const std::vector<Value*>& g) {
        return std::vector<Value*>{
            g[0], nullptr,
            b.call1("gather", {g[0], n.inputs[1]}, {{"axis", n.attrs.at("axis")}})};
      });

  scatter_op("scatter",
             "torch index_copy: a copy of x with x[.., index[i], ..] = updates[.., i, ..] along `axis` "
             "(index 1-D; of repeated indices the last update stays). Negative indices count from the "
             "end; indices still out of range are ignored. Computed as a copy of x, then each update "
             "stored in place at its index (serial over i, in order)",
             /*add=*/false)
      // x's gradient is g with zeros stored where the updates landed. Update i's is g at its
      // position if it is the one that stayed there -- the last i with that position, found
      // by scattering each update's own i --, else 0.
      .vjp([](Builder& b, const Node& n, const std::vector<Value*>& g) {
        Value *x = n.inputs[0], *index = n.inputs[1], *updates = n.inputs[2];
        hlir::Attr axis = n.attrs.at("axis");
        int64_t a = node_call(n).normalize_axis(get_attr<int64_t>(n.attrs, "axis"),
                                               static_cast<int64_t>(x->shape().size()));
        Value* dx = b.call1("scatter", {g[0], index, b.full(updates->type, 0.0)}, {{"axis", axis}});
        Value* own = b.call1("iota", {}, {{"shape", updates->shape()}, {"axis", a}, {"dtype", common::Int(64)}});
        Value* last = b.call1("scatter", {b.full(TensorType{x->shape(), common::Int(64)}, -1.0), index, own},
                              {{"axis", axis}});
        Value* stayed = b.call1("compare", {b.call1("gather", {last, index}, {{"axis", axis}}), own},
                                {{"op", std::string("eq")}});
        Value* du = b.call1("select", {stayed, b.call1("gather", {g[0], index}, {{"axis", axis}}),
                                       b.full(updates->type, 0.0)});
        return std::vector<Value*>{dx, nullptr, du};
      });
  return true;
}

[[maybe_unused]] const bool registered = register_all();

}  // namespace
}  // namespace cinn::hlir::ops
