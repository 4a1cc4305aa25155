// The converters of the MLIR importer: TOSA ops (and the func/arith/tensor ops that TOSA
// programs use around them) onto NetBuilder ops. Semantics follow the TOSA specification;
// each entry's comment gives the formula where the mapping is more than a rename.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "cinn/frontend/mlir/context.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Matchers.h"

namespace cinn::frontend::mlir {
namespace {

using Ints = std::vector<int64_t>;
using Values = std::vector<Value*>;

Values operands(const Context& c) {
  Values xs;
  for (unsigned i = 0; i < c.op->getNumOperands(); ++i) xs.push_back(c.operand(i));
  return xs;
}

Converter unary(const std::string& op) {
  return [op](Context& c) { return Values{c.b.call1(op, {c.operand(0)})}; };
}

Converter binary(const std::string& op) {
  return [op](Context& c) { return Values{c.b.call1(op, {c.operand(0), c.operand(1)})}; };
}

Converter compare(const std::string& kind) {
  return [kind](Context& c) { return Values{c.b.compare(c.operand(0), c.operand(1), kind)}; };
}

Converter identity() {
  return [](Context& c) { return Values{c.operand(0)}; };
}

// The result's own shape, for ops whose result type states it (reshapes).
Converter reshape_to_result() {
  return [](Context& c) { return Values{c.b.reshape(c.operand(0), c.result_shape())}; };
}

void no_quantization(const Context& c) {
  if (c.op->getAttr("quantization_info")) {
    MLIR_THROW(c, UnsupportedOpError) << "quantized operands (quantization_info) are not "
                                      << "supported; CINN imports float and plain integer TOSA";
  }
}

// Integer division rounding toward zero (TOSA int_div, arith.divsi) from CINN's floor
// division: q = floor(x / y), plus 1 where the remainder is non-zero and the signs differ.
Value* trunc_div(NetBuilder& b, Value* x, Value* y) {
  Value* q = b.div(x, y);
  common::Type t = q->dtype();
  Value* zero = b.scalar(0, t);
  Value* inexact = b.compare(b.mod(x, y), zero, "ne");
  Value* signs_differ = b.logical_xor(b.compare(x, zero, "lt"), b.compare(y, zero, "lt"));
  return b.select(b.logical_and(inexact, signs_differ), b.add(q, b.scalar(1, t)), q);
}

// Round half to even (TOSA's float-to-integer cast): floor, then up when the fraction is
// above one half, or exactly one half and the floor is odd.
Value* round_half_even(NetBuilder& b, Value* x) {
  common::Type t = x->dtype();
  Value* f = b.floor(x);
  Value* frac = b.sub(x, f);
  Value* half = b.scalar(0.5, t);
  Value* odd = b.compare(b.mod(f, b.scalar(2, t)), b.scalar(0, t), "ne");
  Value* up = b.logical_or(b.compare(frac, half, "gt"),
                           b.logical_and(b.compare(frac, half, "eq"), odd));
  return b.select(up, b.add(f, b.scalar(1, t)), f);
}

double lowest(common::Type t) {
  if (t.is_float()) return -std::numeric_limits<double>::infinity();
  if (t.is_bool()) return 0;
  if (t.is_uint()) return 0;
  return -std::ldexp(1.0, t.bits() - 1);
}

double highest(common::Type t) {
  if (t.is_float()) return std::numeric_limits<double>::infinity();
  if (t.is_bool()) return 1;
  if (t.is_uint()) return std::ldexp(1.0, t.bits()) - 1;
  return std::ldexp(1.0, t.bits() - 1) - 1;
}

// tosa.cast: float -> integer rounds half to even and saturates; -> bool is x != 0.
Value* cast(NetBuilder& b, Value* x, common::Type to) {
  common::Type from = x->dtype();
  if (from == to) return x;
  if (to.is_bool()) return b.compare(x, b.scalar(0, from), "ne");
  if (from.is_float() && !to.is_float()) {
    Value* r = round_half_even(b, x);
    // Saturate. lowest(to) is exact in `from` (a power of two, or 0), highest(to) = top - 1
    // often is not (2^31 - 1 rounds up to 2^31 in float32, whose conversion overflows):
    // values from top on give highest(to) by a select, the others are clamped to the
    // largest `from` value below top before converting.
    double top = highest(to) + 1;
    double below = top - std::ldexp(top, -from.significand_bits());
    Value* in_range = b.cast(b.max(b.min(r, b.scalar(below, from)), b.scalar(lowest(to), from)), to);
    return b.select(b.compare(r, b.scalar(top, from), "ge"), b.full({r->shape(), to}, highest(to)), in_range);
  }
  return b.cast(x, to);
}

// Operands of an accumulating op (matmul, convolutions) in the result's dtype: TOSA
// accumulates f16 and i8 products into wider results.
Value* in_result_dtype(Context& c, Value* x) {
  common::Type t = c.result_dtype();
  return x->dtype() == t ? x : c.b.cast(x, t);
}

Value* nchw(NetBuilder& b, Value* x) { return b.transpose(x, {0, 3, 1, 2}); }
Value* nhwc(NetBuilder& b, Value* x) { return b.transpose(x, {0, 2, 3, 1}); }

// pad = [top, bottom, left, right] of TOSA's convolutions and poolings.
bool symmetric(const Ints& pad) { return pad[0] == pad[1] && pad[2] == pad[3]; }
Ints spatial_pads(const Ints& pad) { return {0, 0, 0, 0, pad[0], pad[1], pad[2], pad[3]}; }

// tosa.conv2d / tosa.depthwise_conv2d: NHWC x and a weight already in OIHW; bias [O] is
// added along the last axis of the NHWC result.
Value* conv(Context& c, Value* x, Value* w, int64_t groups) {
  NetBuilder& b = c.b;
  no_quantization(c);
  Ints pad = c.ints("pad"), stride = c.ints("stride"), dilation = c.ints("dilation");
  Value* xc = nchw(b, in_result_dtype(c, x));
  w = in_result_dtype(c, w);
  Ints padding{pad[0], pad[2]};
  if (!symmetric(pad)) {
    xc = b.pad(xc, spatial_pads(pad));
    padding = {0, 0};
  }
  Value* y = nhwc(b, b.conv2d(xc, w, stride, padding, dilation, groups));
  return b.add(y, in_result_dtype(c, c.operand(2)));
}

// tosa.avg_pool2d / tosa.max_pool2d over NHWC x with pad [top, bottom, left, right]. The
// average excludes padding from the divisor (TOSA's rule). Padding CINN's pool2d cannot
// express (asymmetric, or wider than half the window) is explicit: -inf for max; for the
// average, the window sums of zero-padded x over those of zero-padded ones.
Value* pool(Context& c, const std::string& kind) {
  NetBuilder& b = c.b;
  no_quantization(c);
  Value* x = c.operand(0);
  common::Type t = x->dtype();
  if (kind == "avg" && !t.is_float()) {
    MLIR_THROW(c, UnsupportedOpError) << "integer average pooling (a quantized op) is not "
                                      << "supported; got " << x->type.to_string();
  }
  Ints kernel = c.ints("kernel"), stride = c.ints("stride"), pad = c.ints("pad");
  Value* xc = nchw(b, x);
  bool fits = symmetric(pad) && 2 * pad[0] <= kernel[0] && 2 * pad[2] <= kernel[1];
  if (fits) {
    return nhwc(b, b.pool2d(xc, kind, kernel, stride, {pad[0], pad[2]}, true));
  }
  if (kind == "max") {
    Value* padded = b.pad(xc, spatial_pads(pad), lowest(t));
    return nhwc(b, b.pool2d(padded, "max", kernel, stride, {0, 0}));
  }
  const auto& s = x->shape();
  Value* sums = b.pool2d(b.pad(xc, spatial_pads(pad)), "avg", kernel, stride, {0, 0}, false);
  Value* ones = b.fill_constant({1, 1, s[1], s[2]}, 1.0, t);
  Value* counts = b.pool2d(b.pad(ones, spatial_pads(pad)), "avg", kernel, stride, {0, 0}, false);
  return nhwc(b, b.div(sums, counts));
}

// The bytes of a dense constant in CINN's layout for `dtype`.
hlir::ConstDataPtr const_data(const Context& c, m::DenseElementsAttr attr) {
  auto data = std::make_shared<hlir::ConstData>();
  auto type = llvm::cast<m::ShapedType>(attr.getType());
  data->dtype = to_dtype(type.getElementType(), c.where() + "the constant");
  data->shape.assign(type.getShape().begin(), type.getShape().end());
  size_t width = static_cast<size_t>(data->dtype.bytes());
  data->bytes.reserve(static_cast<size_t>(type.getNumElements()) * width);
  auto append = [&](const void* p) {
    const auto* u = static_cast<const uint8_t*>(p);
    data->bytes.insert(data->bytes.end(), u, u + width);
  };
  common::Type t = data->dtype;
  if (t.is_bool()) {
    for (bool v : attr.getValues<bool>()) {
      uint8_t u = v ? 1 : 0;
      append(&u);
    }
  } else if (t.is_float()) {
    for (const llvm::APFloat& v : attr.getValues<llvm::APFloat>()) {
      if (t.bits() == 32) {
        float f = v.convertToFloat();
        append(&f);
      } else if (t.bits() == 64) {
        double d = v.convertToDouble();
        append(&d);
      } else {
        uint16_t bits = static_cast<uint16_t>(v.bitcastToAPInt().getZExtValue());
        append(&bits);
      }
    }
  } else {
    for (const llvm::APInt& v : attr.getValues<llvm::APInt>()) {
      int64_t i = v.getSExtValue();  // little-endian: the low `width` bytes
      append(&i);
    }
  }
  return data;
}

Converter constant() {
  return [](Context& c) {
    auto attr = llvm::dyn_cast_or_null<m::DenseElementsAttr>(c.op->getAttr("value"));
    if (!attr) {
      MLIR_THROW(c, UnsupportedOpError) << "only dense tensor constants are supported";
    }
    return Values{c.b.call1("constant", {}, {{"value", const_data(c, attr)}})};
  };
}

Converter reduce(const std::string& kind) {
  return [kind](Context& c) {
    return Values{c.b.reduce(c.operand(0), kind, {c.integer("axis")}, true)};
  };
}

// reduce_all / reduce_any over bools: min / max of the 0/1 values.
Converter reduce_bool(const std::string& kind) {
  return [kind](Context& c) {
    NetBuilder& b = c.b;
    Value* i = b.cast(c.operand(0), common::Int(32));
    Value* r = b.reduce(i, kind, {c.integer("axis")}, true);
    return Values{b.compare(r, b.scalar(0, common::Int(32)), "ne")};
  };
}

// MLIR's static offsets/sizes/strides of tensor.extract_slice.
Ints dense_ints(const Context& c, const char* name) {
  if (auto a = llvm::dyn_cast_or_null<m::DenseI64ArrayAttr>(c.op->getAttr(name))) {
    for (int64_t v : a.asArrayRef()) {
      if (m::ShapedType::isDynamic(v)) {
        MLIR_THROW(c, ShapeError) << "'" << name << "' must be static";
      }
    }
    return Ints(a.asArrayRef().begin(), a.asArrayRef().end());
  }
  MLIR_THROW(c, UnsupportedOpError) << "attribute '" << name << "' is missing";
}

std::map<std::string, Converter> make_table() {
  std::map<std::string, Converter> t;
  // Elementwise (numpy broadcasting covers TOSA's equal-rank size-1 broadcasting).
  for (auto [tosa, cinn] : std::vector<std::pair<const char*, const char*>>{
           {"abs", "abs"}, {"ceil", "ceil"}, {"floor", "floor"}, {"exp", "exp"}, {"log", "log"},
           {"reciprocal", "reciprocal"}, {"rsqrt", "rsqrt"}, {"tanh", "tanh"},
           {"sigmoid", "sigmoid"}, {"erf", "erf"}, {"sin", "sin"}, {"cos", "cos"},
           {"logical_not", "logical_not"}}) {
    t["tosa." + std::string(tosa)] = unary(cinn);
  }
  t["tosa.negate"] = [](Context& c) {
    no_quantization(c);
    return Values{c.b.neg(c.operand(0))};
  };
  for (auto [tosa, cinn] : std::vector<std::pair<const char*, const char*>>{
           {"add", "add"}, {"sub", "sub"}, {"maximum", "max"}, {"minimum", "min"},
           {"pow", "pow"}, {"logical_and", "logical_and"}, {"logical_or", "logical_or"},
           {"logical_xor", "logical_xor"}}) {
    t["tosa." + std::string(tosa)] = binary(cinn);
  }
  // mul's shift is a rounding right shift of integer products (quantized arithmetic).
  t["tosa.mul"] = [](Context& c) {
    if (c.integer("shift") != 0) {
      MLIR_THROW(c, UnsupportedOpError) << "shift = " << c.integer("shift") << " (a quantized "
                                        << "multiply) is not supported; only shift = 0";
    }
    return Values{c.b.mul(c.operand(0), c.operand(1))};
  };
  t["tosa.int_div"] = [](Context& c) {
    return Values{trunc_div(c.b, c.operand(0), c.operand(1))};
  };
  t["tosa.equal"] = compare("eq");
  t["tosa.greater"] = compare("gt");
  t["tosa.greater_equal"] = compare("ge");
  t["tosa.select"] = [](Context& c) {
    return Values{c.b.select(c.operand(0), c.operand(1), c.operand(2))};
  };
  // clamp(x) = min(max(x, min_v), max_v) with the float bounds for floats, else the ints.
  t["tosa.clamp"] = [](Context& c) {
    Value* x = c.operand(0);
    common::Type ty = x->dtype();
    double lo = ty.is_float() ? c.real("min_fp") : static_cast<double>(c.integer("min_int"));
    double hi = ty.is_float() ? c.real("max_fp") : static_cast<double>(c.integer("max_int"));
    // Integer bounds beyond the element type's range (max_int = INT64_MAX on i32) are its
    // limits, not values wrapped into it.
    if (!ty.is_float()) {
      lo = std::clamp(lo, lowest(ty), highest(ty));
      hi = std::clamp(hi, lowest(ty), highest(ty));
    }
    NetBuilder& b = c.b;
    return Values{b.min(b.max(x, b.scalar(lo, ty)), b.scalar(hi, ty))};
  };
  t["tosa.cast"] = [](Context& c) { return Values{cast(c.b, c.operand(0), c.result_dtype())}; };
  t["tosa.identity"] = identity();
  t["tosa.const"] = constant();

  // Reductions keep the reduced axis (size 1); argmax drops it.
  t["tosa.reduce_sum"] = reduce("sum");
  t["tosa.reduce_max"] = reduce("max");
  t["tosa.reduce_min"] = reduce("min");
  t["tosa.reduce_prod"] = reduce("prod");
  t["tosa.reduce_all"] = reduce_bool("min");
  t["tosa.reduce_any"] = reduce_bool("max");
  t["tosa.argmax"] = [](Context& c) {
    return Values{c.b.arg_reduce(c.operand(0), "max", c.integer("axis"), false,
                                 c.result_dtype())};
  };

  // Data movement.
  t["tosa.reshape"] = reshape_to_result();
  t["tosa.transpose"] = [](Context& c) {
    return Values{c.b.transpose(c.operand(0), c.constant_ints(1, "perms"))};
  };
  t["tosa.slice"] = [](Context& c) {
    Ints start = c.ints("start"), size = c.ints("size"), axes, ends;
    for (size_t d = 0; d < start.size(); ++d) {
      axes.push_back(static_cast<int64_t>(d));
      ends.push_back(start[d] + size[d]);
    }
    return Values{c.b.slice(c.operand(0), axes, start, ends)};
  };
  t["tosa.concat"] = [](Context& c) { return Values{c.b.concat(operands(c), c.integer("axis"))}; };
  // padding is an [rank, 2] constant of (before, after) pairs: CINN's `pads` order.
  t["tosa.pad"] = [](Context& c) {
    no_quantization(c);
    Ints pads = c.constant_ints(1, "padding");
    double value = 0.0;
    if (c.op->getNumOperands() > 2) value = c.constant_floats(2, "pad_const").at(0);
    return Values{c.b.pad(c.operand(0), pads, value)};
  };
  t["tosa.tile"] = [](Context& c) { return Values{c.b.tile(c.operand(0), c.ints("multiples"))}; };
  t["tosa.reverse"] = [](Context& c) {
    return Values{c.b.flip(c.operand(0), {c.integer("axis")})};
  };
  // gather: out[n, w, c] = values[n, indices[n, w], c], as one take over the rows of
  // values flattened to [N*K, C] with indices offset by n*K.
  t["tosa.gather"] = [](Context& c) {
    NetBuilder& b = c.b;
    Value* values = c.operand(0);
    Value* idx = c.operand(1);
    int64_t n = values->shape()[0], k = values->shape()[1], ch = values->shape()[2];
    int64_t w = idx->shape()[1];
    common::Type it = idx->dtype();
    // Indices out of [0, K) would otherwise read a neighbouring batch's rows: clamp first
    // (CINN's gather clamps too; TOSA leaves them undefined).
    idx = b.max(b.min(idx, b.scalar(static_cast<double>(k - 1), it)), b.scalar(0, it));
    Value* base = b.mul(b.iota({n, w}, 0, it), b.scalar(static_cast<double>(k), it));
    Value* flat = b.reshape(b.add(idx, base), {n * w});
    Value* rows = b.gather(b.reshape(values, {n * k, ch}), flat, 0);
    return Values{b.reshape(rows, {n, w, ch})};
  };

  // Linear algebra and convolutions.
  t["tosa.matmul"] = [](Context& c) {
    no_quantization(c);
    return Values{c.b.matmul(in_result_dtype(c, c.operand(0)), in_result_dtype(c, c.operand(1)))};
  };
  // fully_connected: x [N, IC] @ weight [OC, IC]^T + bias [OC].
  t["tosa.fully_connected"] = [](Context& c) {
    no_quantization(c);
    return Values{c.b.linear(in_result_dtype(c, c.operand(0)), in_result_dtype(c, c.operand(1)),
                             in_result_dtype(c, c.operand(2)))};
  };
  // conv2d: weight [OC, KH, KW, IC] -> OIHW.
  t["tosa.conv2d"] = [](Context& c) {
    Value* w = c.b.transpose(c.operand(1), {0, 3, 1, 2});
    return Values{conv(c, c.operand(0), w, 1)};
  };
  // depthwise_conv2d: weight [KH, KW, C, M]; output channel c*M + m convolves channel c
  // with weight[:, :, c, m]: a grouped convolution with weight [C*M, 1, KH, KW].
  t["tosa.depthwise_conv2d"] = [](Context& c) {
    NetBuilder& b = c.b;
    Value* w = c.operand(1);
    const auto& s = w->shape();
    Value* oihw = b.reshape(b.transpose(w, {2, 3, 0, 1}), {s[2] * s[3], 1, s[0], s[1]});
    return Values{conv(c, c.operand(0), oihw, s[2])};
  };
  // transpose_conv2d: out[n, iy*sy + top + ky, ix*sx + left + kx, oc] +=
  //   x[n, iy, ix, ic] * w[oc, ky, kx, ic]. That is a convolution with the flipped kernel
  // over x spread by stride - 1 zeros and padded by KH - 1 + top (KW - 1 + left) before and
  // KH - 1 + bottom (KW - 1 + right) after (negative amounts crop).
  t["tosa.transpose_conv2d"] = [](Context& c) {
    NetBuilder& b = c.b;
    no_quantization(c);
    Ints out_pad = c.ints("out_pad"), stride = c.ints("stride");
    Value* w = in_result_dtype(c, c.operand(1));
    int64_t kh = w->shape()[1], kw = w->shape()[2];
    Value* oihw = b.flip(b.transpose(w, {0, 3, 1, 2}), {2, 3});
    Value* xc = nchw(b, in_result_dtype(c, c.operand(0)));
    xc = b.pad(xc,
               {0, 0, 0, 0, kh - 1 + out_pad[0], kh - 1 + out_pad[1], kw - 1 + out_pad[2],
                kw - 1 + out_pad[3]},
               0.0, {0, 0, stride[0] - 1, stride[1] - 1});
    Value* y = nhwc(b, b.conv2d(xc, oihw));
    return Values{b.add(y, in_result_dtype(c, c.operand(2)))};
  };
  t["tosa.avg_pool2d"] = [](Context& c) { return Values{pool(c, "avg")}; };
  t["tosa.max_pool2d"] = [](Context& c) { return Values{pool(c, "max")}; };

  // arith and tensor ops that appear around TOSA code.
  t["arith.constant"] = constant();
  for (auto [op, cinn] : std::vector<std::pair<const char*, const char*>>{
           {"addf", "add"}, {"addi", "add"}, {"subf", "sub"}, {"subi", "sub"},
           {"mulf", "mul"}, {"muli", "mul"}, {"divf", "div"}, {"maximumf", "max"},
           {"minimumf", "min"}}) {
    t["arith." + std::string(op)] = binary(cinn);
  }
  t["arith.negf"] = unary("neg");
  t["arith.divsi"] = [](Context& c) { return Values{trunc_div(c.b, c.operand(0), c.operand(1))}; };
  t["tensor.cast"] = identity();
  t["tensor.collapse_shape"] = reshape_to_result();
  t["tensor.expand_shape"] = reshape_to_result();
  t["tensor.extract_slice"] = [](Context& c) {
    Ints offsets = dense_ints(c, "static_offsets"), sizes = dense_ints(c, "static_sizes"),
         strides = dense_ints(c, "static_strides"), axes, ends;
    for (size_t d = 0; d < offsets.size(); ++d) {
      axes.push_back(static_cast<int64_t>(d));
      ends.push_back(offsets[d] + (sizes[d] - 1) * strides[d] + 1);
    }
    Value* s = c.b.slice(c.operand(0), axes, offsets, ends, strides);
    return Values{c.b.reshape(s, c.result_shape())};  // rank-reducing slices drop axes
  };
  t["tensor.concat"] = [](Context& c) { return Values{c.b.concat(operands(c), c.integer("dim"))}; };
  return t;
}

}  // namespace

const std::map<std::string, Converter>& converters() {
  static const std::map<std::string, Converter> table = make_table();
  return table;
}

}  // namespace cinn::frontend::mlir
