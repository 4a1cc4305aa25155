// Composite math: scaling, reductions and statistics, comparisons, selection, masks and
// generated ranges. Each rule's formula is in its comment and its description.
#include <cmath>

#include "cinn/frontend/composite/rule_util.h"

namespace cinn::frontend::composite {
namespace {

// scale(x) = x * scale + bias
CINN_REGISTER_OP(scale)
    .describe("x * scale + bias")
    .inputs({"x"})
    .attr("scale", 1.0, "the factor")
    .attr("bias", 0.0, "added after scaling")
    .decompose(net_rule([](NetBuilder& b, const Values& in, const AttrMap& a) {
      Value* x = in[0];
      double s = attr<double>(a, "scale"), c = attr<double>(a, "bias");
      if (s != 1.0) x = b.mul(x, scalar(b, s, x));
      if (c != 0.0) x = b.add(x, scalar(b, c, x));
      return Values{x};
    }));

// The reductions of torch's names over `axis` ([] = all) with keepdim.
hlir::OpInfo& reduction(const char* name, const char* doc) {
  return hlir::OpRegistry::global()
      .add(name)
      .describe(doc)
      .inputs({"x"})
      .attr("axis", std::vector<int64_t>{}, "axes to reduce (negative allowed); [] reduces all")
      .attr("keepdim", false, "keep reduced axes as size 1");
}

Value* reduce_as(NetBuilder& b, Value* x, const char* kind, const AttrMap& a) {
  return b.reduce(x, kind, attr<Ints>(a, "axis"), attr<bool>(a, "keepdim"));
}

// sum(x) = reduce(x, sum); bools are counted (as int64, like PyTorch)
[[maybe_unused]] auto& sum_op =
    reduction("sum", "sum of x over axis; bool x counts as int64")
        .decompose(net_rule([](NetBuilder& b, const Values& in, const AttrMap& a) {
          Value* x = in[0]->dtype().is_bool() ? b.cast(in[0], common::Int(64)) : in[0];
          return Values{reduce_as(b, x, "sum", a)};
        }));

// mean(x) = sum(x) / n, n the number of elements reduced
[[maybe_unused]] auto& mean_op =
    reduction("mean", "sum(x, axis) / n, n the elements reduced; floats only")
        .decompose(net_rule_in_float([](NetBuilder& b, const Values& in, const AttrMap& a) {
          Value* x = in[0];
          require_float("mean", x, "x");
          Ints axes = normalize_axes("mean", attr<Ints>(a, "axis"), rank(x));
          double n = static_cast<double>(count_over(x->shape(), axes));
          return Values{b.mul(reduce_as(b, x, "sum", a), scalar(b, 1.0 / n, x))};
        }));

// amax(x) = reduce(x, max), amin(x) = reduce(x, min), prod(x) = reduce(x, prod)
[[maybe_unused]] auto& amax_op =
    reduction("amax", "maximum of x over axis (torch.amax)")
        .decompose(net_rule([](NetBuilder& b, const Values& in, const AttrMap& a) {
          return Values{reduce_as(b, in[0], "max", a)};
        }));
[[maybe_unused]] auto& amin_op =
    reduction("amin", "minimum of x over axis (torch.amin)")
        .decompose(net_rule([](NetBuilder& b, const Values& in, const AttrMap& a) {
          return Values{reduce_as(b, in[0], "min", a)};
        }));
[[maybe_unused]] auto& prod_op =
    reduction("prod", "product of x over axis")
        .decompose(net_rule([](NetBuilder& b, const Values& in, const AttrMap& a) {
          return Values{reduce_as(b, in[0], "prod", a)};
        }));

// var(x) = sum((x - mean(x))^2) / (n - unbiased)
Value* variance(NetBuilder& b, const char* op, Value* x, const AttrMap& a) {
  require_float(op, x, "x");
  Ints axes = normalize_axes(op, attr<Ints>(a, "axis"), rank(x));
  double n = static_cast<double>(count_over(x->shape(), axes));
  Value* centered = b.sub(x, b.mul(b.reduce(x, "sum", axes, true), scalar(b, 1.0 / n, x)));
  Value* ss = b.reduce(b.mul(centered, centered), "sum", axes, attr<bool>(a, "keepdim"));
  // n - 1 == 0 divides by zero: NaN, as in PyTorch.
  return b.div(ss, scalar(b, n - (attr<bool>(a, "unbiased") ? 1.0 : 0.0), x));
}

[[maybe_unused]] auto& var_op =
    reduction("var", "sum((x - mean(x))^2, axis) / (n - 1) (n when unbiased=False)")
        .attr("unbiased", true, "divide by n - 1 (torch's correction=1) rather than n")
        .decompose(net_rule_in_float([](NetBuilder& b, const Values& in, const AttrMap& a) {
          return Values{variance(b, "var", in[0], a)};
        }));

// std(x) = sqrt(var(x))
[[maybe_unused]] auto& std_op =
    reduction("std", "sqrt(var(x, axis, unbiased))")
        .attr("unbiased", true, "divide by n - 1 (torch's correction=1) rather than n")
        .decompose(net_rule_in_float([](NetBuilder& b, const Values& in, const AttrMap& a) {
          return Values{b.sqrt(variance(b, "std", in[0], a))};
        }));

// argmax/argmin(x, axis) = arg_reduce(x, max/min, axis); no axis: the index into the
// flattened x (torch and numpy with axis=None)
Value* arg_extreme(NetBuilder& b, const char* op, const char* kind, Value* x, const AttrMap& a) {
  const auto& axis = attr<Ints>(a, "axis");
  bool keepdim = attr<bool>(a, "keepdim");
  if (axis.size() > 1) {
    RULE_THROW(op, ShapeError) << "takes one axis or none, got "
                               << hlir::attr_to_string(hlir::Attr(axis));
  }
  if (!axis.empty()) return b.arg_reduce(x, kind, axis[0], keepdim);
  Value* flat = b.arg_reduce(b.reshape(x, {-1}), kind, 0, false);
  return keepdim ? b.reshape(flat, Ints(x->shape().size(), 1)) : flat;
}

CINN_REGISTER_OP(argmax)
    .describe("index of the first maximum along axis (int64); axis=[]: into the flattened x")
    .inputs({"x"})
    .attr("axis", std::vector<int64_t>{}, "one axis, or [] for the flattened x")
    .attr("keepdim", false, "keep the reduced axis as size 1")
    .decompose(net_rule([](NetBuilder& b, const Values& in, const AttrMap& a) {
      return Values{arg_extreme(b, "argmax", "max", in[0], a)};
    }));

CINN_REGISTER_OP(argmin)
    .describe("index of the first minimum along axis (int64); axis=[]: into the flattened x")
    .inputs({"x"})
    .attr("axis", std::vector<int64_t>{}, "one axis, or [] for the flattened x")
    .attr("keepdim", false, "keep the reduced axis as size 1")
    .decompose(net_rule([](NetBuilder& b, const Values& in, const AttrMap& a) {
      return Values{arg_extreme(b, "argmin", "min", in[0], a)};
    }));

// where(cond, x, y) = select(cond, x, y), the three broadcast together (numpy rules)
CINN_REGISTER_OP(where)
    .describe("cond ? x : y, the three broadcast together (numpy rules); cond is bool")
    .inputs({"cond", "x", "y"})
    .decompose(net_rule([](NetBuilder& b, const Values& in, const AttrMap&) {
      if (!in[0]->dtype().is_bool()) {
        RULE_THROW("where", DTypeError) << "cond must be bool, got " << in[0]->type.to_string();
      }
      if (in[1]->dtype() != in[2]->dtype()) {
        RULE_THROW("where", DTypeError) << "x and y differ in dtype: " << in[1]->type.to_string()
                                        << " vs " << in[2]->type.to_string() << "; cast one";
      }
      Shape s = hlir::Builder::broadcast_shapes("where", in[0]->shape(), in[1]->shape());
      s = hlir::Builder::broadcast_shapes("where", s, in[2]->shape());
      Values v;
      for (Value* x : in) v.push_back(x->shape() == s ? x : b.broadcast_to(x, s));
      return Values{b.select(v[0], v[1], v[2])};
    }));

// The comparisons under torch's names: compare(x, y, op).
void register_compare(const char* name, const char* op, const char* doc) {
  std::string cmp = op;
  hlir::OpRegistry::global()
      .add(name)
      .describe(doc)
      .inputs({"x", "y"})
      .broadcasting()
      .decompose(net_rule([cmp](NetBuilder& b, const Values& in, const AttrMap&) {
        return Values{b.compare(in[0], in[1], cmp)};
      }));
}

bool register_compares() {
  register_compare("equal", "eq", "x == y as bool (broadcasting)");
  register_compare("not_equal", "ne", "x != y as bool (broadcasting)");
  register_compare("greater", "gt", "x > y as bool (broadcasting)");
  register_compare("greater_equal", "ge", "x >= y as bool (broadcasting)");
  register_compare("less", "lt", "x < y as bool (broadcasting)");
  register_compare("less_equal", "le", "x <= y as bool (broadcasting)");
  return true;
}
[[maybe_unused]] const bool compares_registered = register_compares();

// Nonzero numbers are true.
Value* to_bool(NetBuilder& b, Value* x) {
  return x->dtype().is_bool() ? x : b.compare(x, scalar(b, 0.0, x), "ne");
}

// logical_xor(x, y) = (x or y) and not (x and y); nonzero numbers count as true
CINN_REGISTER_OP(logical_xor)
    .describe("(x or y) and not (x and y) as bool; nonzero numbers are true (broadcasting)")
    .inputs({"x", "y"})
    .broadcasting()
    .decompose(net_rule([](NetBuilder& b, const Values& in, const AttrMap&) {
      Value *x = to_bool(b, in[0]), *y = to_bool(b, in[1]);
      return Values{b.logical_and(b.logical_or(x, y), b.logical_not(b.logical_and(x, y)))};
    }));

// floor_divide(x, y) = floor(x / y); integer div already rounds toward -inf
CINN_REGISTER_OP(floor_divide)
    .describe("floor(x / y) (broadcasting; integers: Python's //)")
    .inputs({"x", "y"})
    .broadcasting()
    .decompose(net_rule_in_float([](NetBuilder& b, const Values& in, const AttrMap&) {
      Value* q = b.div(in[0], in[1]);
      return Values{in[0]->dtype().is_float() ? b.floor(q) : q};
    }));

// remainder(x, y) = x - floor(x / y) * y: the sign of y (Python's %), which is `mod`
CINN_REGISTER_OP(remainder)
    .describe("x - floor(x / y) * y, with the sign of y like Python's % (broadcasting)")
    .inputs({"x", "y"})
    .broadcasting()
    .decompose(net_rule_in_float([](NetBuilder& b, const Values& in, const AttrMap&) {
      return Values{b.mod(in[0], in[1])};
    }));

// lerp(x, y, weight) = x + weight * (y - x)
CINN_REGISTER_OP(lerp)
    .describe("x + weight * (y - x) (broadcasting)")
    .inputs({"x", "y", "weight"})
    .decompose(net_rule_in_float([](NetBuilder& b, const Values& in, const AttrMap&) {
      return Values{b.add(in[0], b.mul(in[2], b.sub(in[1], in[0])))};
    }));

// norm(x, p) = (sum |x|^p)^(1/p) over axis; p = 2: sqrt(sum x^2), p = 1: sum |x|,
// p = inf: max |x|, p = -inf: min |x|, p = 0: the count of nonzeros
Value* p_norm(NetBuilder& b, const char* op, Value* x, double p, const Ints& axis, bool keep) {
  require_float(op, x, "x");
  if (p == 2.0) return b.sqrt(b.reduce(b.mul(x, x), "sum", axis, keep));
  if (p == 1.0) return b.reduce(b.abs(x), "sum", axis, keep);
  if (std::isinf(p)) return b.reduce(b.abs(x), p > 0 ? "max" : "min", axis, keep);
  if (p == 0.0) {
    return b.reduce(b.cast(b.compare(x, scalar(b, 0.0, x), "ne"), x->dtype()), "sum", axis, keep);
  }
  Value* s = b.reduce(b.pow(b.abs(x), scalar(b, p, x)), "sum", axis, keep);
  return b.pow(s, scalar(b, 1.0 / p, x));
}

CINN_REGISTER_OP(norm)
    .describe(
        "(sum(|x|^p, axis))^(1/p) (torch.linalg.vector_norm); p=inf: max |x|, "
        "p=0: count of nonzeros")
    .inputs({"x"})
    .attr("p", 2.0, "the order")
    .attr("axis", std::vector<int64_t>{}, "axes to reduce; [] reduces all")
    .attr("keepdim", false, "keep reduced axes as size 1")
    .decompose(net_rule_in_float([](NetBuilder& b, const Values& in, const AttrMap& a) {
      return Values{p_norm(b, "norm", in[0], attr<double>(a, "p"), attr<Ints>(a, "axis"),
                           attr<bool>(a, "keepdim"))};
    }));

// normalize(x) = x / max(norm(x, p, axis), eps)
CINN_REGISTER_OP(normalize)
    .describe("x / max(norm(x, p, axis, keepdim=True), eps) (torch F.normalize)")
    .inputs({"x"})
    .attr("p", 2.0, "the norm's order")
    .attr("axis", int64_t{1}, "the normalized axis")
    .attr("eps", 1e-12, "lower bound of the divisor")
    .decompose(net_rule_in_float([](NetBuilder& b, const Values& in, const AttrMap& a) {
      Value* x = in[0];
      int64_t axis = normalize_axis("normalize", attr<int64_t>(a, "axis"), rank(x));
      Value* n = p_norm(b, "normalize", x, attr<double>(a, "p"), {axis}, true);
      return Values{b.div(x, b.max(n, scalar(b, attr<double>(a, "eps"), x)))};
    }));

// cosine_similarity(x, y) = sum(x y) / (max(|x|, eps) * max(|y|, eps)) over axis
CINN_REGISTER_OP(cosine_similarity)
    .describe("sum(x * y, axis) / (max(||x||, eps) * max(||y||, eps)) (broadcasting)")
    .inputs({"x", "y"})
    .attr("axis", int64_t{1}, "the reduced axis")
    .attr("eps", 1e-8, "lower bound of each norm")
    .broadcasting()
    .decompose(net_rule_in_float([](NetBuilder& b, const Values& in, const AttrMap& a) {
      Value *x = in[0], *y = in[1];
      require_float("cosine_similarity", x, "x");
      Ints axis{normalize_axis("cosine_similarity", attr<int64_t>(a, "axis"), rank(x))};
      Value* eps = scalar(b, attr<double>(a, "eps"), x);
      Value* nx = b.max(b.sqrt(b.reduce(b.mul(x, x), "sum", axis)), eps);
      Value* ny = b.max(b.sqrt(b.reduce(b.mul(y, y), "sum", axis)), eps);
      return Values{b.div(b.reduce(b.mul(x, y), "sum", axis), b.mul(nx, ny))};
    }));

// triu/tril(x, diagonal): x where col - row >= diagonal (triu) or <= diagonal (tril) in the
// last two axes, else 0; the mask is built from iota
Value* triangle(NetBuilder& b, const char* op, Value* x, int64_t diagonal, bool upper) {
  if (rank(x) < 2) {
    RULE_THROW(op, ShapeError) << "x must have rank >= 2, got " << x->type.to_string();
  }
  const Shape& s = x->shape();
  Ints rc{s[s.size() - 2], s[s.size() - 1]};
  Value* offset = b.sub(b.iota(rc, 1), b.iota(rc, 0));  // col - row
  Value* d = b.fill_constant({}, static_cast<double>(diagonal), common::Int(64));
  Value* keep = b.broadcast_to(b.compare(offset, d, upper ? "ge" : "le"), s);
  return b.select(keep, x, b.broadcast_to(scalar(b, 0.0, x), s));
}

CINN_REGISTER_OP(triu)
    .describe("x where col - row >= diagonal in the last two axes, else 0")
    .inputs({"x"})
    .attr("diagonal", int64_t{0}, "0: the main diagonal; > 0 above it")
    .decompose(net_rule([](NetBuilder& b, const Values& in, const AttrMap& a) {
      return Values{triangle(b, "triu", in[0], attr<int64_t>(a, "diagonal"), true)};
    }));

CINN_REGISTER_OP(tril)
    .describe("x where col - row <= diagonal in the last two axes, else 0")
    .inputs({"x"})
    .attr("diagonal", int64_t{0}, "0: the main diagonal; > 0 above it")
    .decompose(net_rule([](NetBuilder& b, const Values& in, const AttrMap& a) {
      return Values{triangle(b, "tril", in[0], attr<int64_t>(a, "diagonal"), false)};
    }));

// masked_fill(x, mask, value) = mask ? value : x, mask broadcast to x's shape
CINN_REGISTER_OP(masked_fill)
    .describe("mask ? value : x; mask is bool and broadcasts to x's shape")
    .inputs({"x", "mask"})
    .required_attr("value", hlir::AttrKind::kFloat, "the fill value")
    .decompose(net_rule([](NetBuilder& b, const Values& in, const AttrMap& a) {
      Value *x = in[0], *mask = in[1];
      if (!mask->dtype().is_bool()) {
        RULE_THROW("masked_fill", DTypeError)
            << "mask must be bool, got " << mask->type.to_string();
      }
      const Shape& s = x->shape();
      if (hlir::Builder::broadcast_shapes("masked_fill", s, mask->shape()) != s) {
        RULE_THROW("masked_fill", ShapeError)
            << "mask " << mask->type.to_string() << " does not broadcast to x's shape "
            << hlir::shape_to_string(s);
      }
      if (mask->shape() != s) mask = b.broadcast_to(mask, s);
      Value* fill = b.broadcast_to(scalar(b, attr<double>(a, "value"), x), s);
      return Values{b.select(mask, fill, x)};
    }));

// arange(start, end, step) = start + i * step for i in [0, ceil((end - start) / step)),
// computed in float64 (int64 for integer dtypes) and converted to dtype
CINN_REGISTER_OP(arange)
    .describe("start + i * step for i in [0, ceil((end - start) / step)), in dtype")
    .inputs({})
    .required_attr("start", hlir::AttrKind::kFloat, "the first value")
    .required_attr("end", hlir::AttrKind::kFloat, "the bound (excluded)")
    .attr("step", 1.0, "the increment (nonzero)")
    .attr("dtype", common::Float(32), "the result dtype")
    .decompose(net_rule([](NetBuilder& b, const Values&, const AttrMap& a) {
      double start = attr<double>(a, "start"), end = attr<double>(a, "end");
      double step = attr<double>(a, "step");
      common::Type t = attr<common::Type>(a, "dtype");
      double n = step == 0.0 ? 0.0 : std::ceil((end - start) / step);
      if (!(n >= 1.0) || n > 1e12) {
        RULE_THROW("arange", ShapeError) << "the range [" << start << ", " << end << ") with step "
                                         << step << " is empty or unbounded";
      }
      if (t.is_bool()) RULE_THROW("arange", DTypeError) << "dtype must be a number type";
      common::Type acc = t.is_float() ? common::Float(64) : common::Int(64);
      Value* i = b.iota({static_cast<int64_t>(n)}, 0, acc);
      Value* v = b.add(b.mul(i, scalar(b, step, i)), scalar(b, start, i));
      return Values{t == acc ? v : b.cast(v, t)};
    }));

// full_like(x, value) = fill_constant(x.shape, value, x.dtype); zeros_like and ones_like
CINN_REGISTER_OP(full_like)
    .describe("a tensor of x's shape and dtype filled with value")
    .inputs({"x"})
    .required_attr("value", hlir::AttrKind::kFloat, "the fill value")
    .decompose(net_rule([](NetBuilder& b, const Values& in, const AttrMap& a) {
      return Values{b.fill_constant(in[0]->shape(), attr<double>(a, "value"), in[0]->dtype())};
    }));

CINN_REGISTER_OP(zeros_like)
    .describe("a tensor of x's shape and dtype filled with 0")
    .inputs({"x"})
    .decompose(net_rule([](NetBuilder& b, const Values& in, const AttrMap&) {
      return Values{b.fill_constant(in[0]->shape(), 0.0, in[0]->dtype())};
    }));

CINN_REGISTER_OP(ones_like)
    .describe("a tensor of x's shape and dtype filled with 1")
    .inputs({"x"})
    .decompose(net_rule([](NetBuilder& b, const Values& in, const AttrMap&) {
      return Values{b.fill_constant(in[0]->shape(), 1.0, in[0]->dtype())};
    }));

}  // namespace
}  // namespace cinn::frontend::composite
