// The op registry: one fluent definition per op.
//
//   CINN_REGISTER_OP(reduce_sum)
//       .describe("Sum over `axis`.")
//       .inputs({"x"})
//       .attr("axis", std::vector<int64_t>{}, "axes to reduce; [] reduces all")
//       .attr("keepdim", false, "keep reduced axes as size 1")
//       .pattern(OpPattern::kReduction)
//       .infer_shape(reduce_shape)      // dtype rule defaults to the first input's dtype
//       .compute(reduce_compute(lang::ReduceKind::kSum));
//
// A primitive op has shape and dtype rules, a fusion pattern kind and a compute builder
// (lang tensor expressions); its VJP rule is filled in by the autodiff module. A composite
// op has a decomposition rule into other ops instead (frontend/composite/ registers
// them); its result types are those of its decomposition.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cinn/common/error.h"
#include "cinn/hlir/attribute.h"
#include "cinn/hlir/graph.h"
#include "cinn/lang/tensor.h"

namespace cinn::hlir {

class Builder;

// How an op's iteration space relates to its inputs; fusion decides by these.
enum class OpPattern : int {
  kElementWise = 0,  // out[i] = f(in0[i], in1[i], ...): same shapes
  kBroadcast = 1,    // out[i] = in[g(i)] with g dropping or zeroing axes
  kInjective = 2,    // any one-to-one index map: transpose, reshape, slice, concat, ...
  kReduction = 3,    // reductions over some axes
  kOutFusible = 4,   // matmul, conv2d: elementwise consumers fuse as epilogues
  kOpaque = 5,       // never fused
};
const char* op_pattern_name(OpPattern p);

struct InputSpec {
  std::string name;
  bool variadic = false;  // one or more values (concat's inputs); only the last input
  bool optional = false;  // may be left out; optional inputs come last (linear's bias)
};

struct AttrSpec {
  std::string name;
  AttrKind kind = AttrKind::kInt;
  std::optional<Attr> default_value;  // none: required
  std::string doc;
};

// An axis in [-rank, rank) made non-negative; ShapeError naming `op` otherwise.
int64_t normalize_axis(const std::string& op, int64_t axis, int64_t rank);
// Normalized, sorted, unique axes; [] means all axes. ShapeError naming `op` on an
// out-of-range or repeated axis.
std::vector<int64_t> normalize_axes(const std::string& op, const std::vector<int64_t>& axes,
                                    int64_t rank);

// What shape, dtype and compute rules see of one application of an op.
struct OpCall {
  const struct OpInfo& op;
  std::vector<TensorType> inputs;
  const AttrMap& attrs;

  template <typename T>
  const T& attr(const std::string& name) const { return get_attr<T>(attrs, name); }
  int64_t rank(size_t i) const { return static_cast<int64_t>(inputs.at(i).shape.size()); }
  // An axis in [-rank, rank) made non-negative; ShapeError naming the op otherwise.
  int64_t normalize_axis(int64_t axis, int64_t rank) const;
};

struct ComputeCall {
  const OpCall& call;
  std::vector<lang::Tensor> inputs;
  std::vector<TensorType> outputs;
  std::vector<std::string> output_names;
};

using ShapeFn = std::function<std::vector<Shape>(const OpCall&)>;
using DTypeFn = std::function<std::vector<common::Type>(const OpCall&)>;
using ComputeFn = std::function<std::vector<lang::Tensor>(const ComputeCall&)>;
// Emits the op in terms of other ops; returns its results.
using DecomposeFn =
    std::function<std::vector<Value*>(Builder&, const std::vector<Value*>&, const AttrMap&)>;
// Reverse-mode rule: the gradients of the node's inputs (null where none) given the
// gradients of its outputs. Filled by the autodiff module.
using VJPFn =
    std::function<std::vector<Value*>(Builder&, const Node&, const std::vector<Value*>&)>;

struct OpInfo {
  std::string name;
  std::string doc;
  std::vector<InputSpec> input_specs;
  std::vector<AttrSpec> attr_specs;
  OpPattern op_pattern = OpPattern::kOpaque;
  // Binary elementwise ops whose operands broadcast numpy-style (Builder inserts
  // broadcast_to) and must share a dtype.
  bool broadcasts = false;
  ShapeFn shape_fn;
  DTypeFn dtype_fn;
  ComputeFn compute_fn;
  DecomposeFn decompose_fn;
  VJPFn vjp_fn;

  bool is_composite() const { return static_cast<bool>(decompose_fn); }
  const AttrSpec* find_attr(const std::string& name) const;

  OpInfo& describe(std::string d) { doc = std::move(d); return *this; }
  // "xs..." marks a variadic input, "bias?" an optional one. Optional inputs are trailing:
  // a call passes a prefix of them, so a rule knows which it got from the input count.
  OpInfo& inputs(std::vector<std::string> names);
  OpInfo& attr(const std::string& name, Attr default_value, std::string doc = "");
  OpInfo& required_attr(const std::string& name, AttrKind kind, std::string doc = "");
  OpInfo& pattern(OpPattern p) { op_pattern = p; return *this; }
  OpInfo& broadcasting() { broadcasts = true; return *this; }
  OpInfo& infer_shape(ShapeFn f) { shape_fn = std::move(f); return *this; }
  OpInfo& infer_dtype(DTypeFn f) { dtype_fn = std::move(f); return *this; }
  OpInfo& compute(ComputeFn f) { compute_fn = std::move(f); return *this; }
  OpInfo& decompose(DecomposeFn f) { decompose_fn = std::move(f); return *this; }
  OpInfo& vjp(VJPFn f) { vjp_fn = std::move(f); return *this; }

  // The inputs a call must pass (all but the optional ones).
  size_t num_required_inputs() const;
  // Checks the number of inputs and the attributes (names, kinds; ints are accepted for
  // floats), fills defaults. Throws cinn::Error subclasses naming the op.
  AttrMap validate(size_t num_inputs, const AttrMap& attrs) const;
  // Result types from the shape and dtype rules (primitive ops only).
  std::vector<TensorType> infer(const OpCall& call) const;
};

class OpRegistry {
 public:
  static OpRegistry& global();
  OpInfo& add(const std::string& name);
  // UnsupportedOpError naming close matches if `name` is unknown.
  const OpInfo& get(const std::string& name) const;
  const OpInfo* find(const std::string& name) const;
  std::vector<const OpInfo*> all() const;

 private:
  std::map<std::string, std::unique_ptr<OpInfo>> ops_;
};

}  // namespace cinn::hlir

#define CINN_OP_CONCAT_(a, b) a##b
#define CINN_OP_CONCAT(a, b) CINN_OP_CONCAT_(a, b)
#define CINN_REGISTER_OP(name)                                                   \
  [[maybe_unused]] static ::cinn::hlir::OpInfo& CINN_OP_CONCAT(cinn_op_, __COUNTER__) = \
      ::cinn::hlir::OpRegistry::global().add(#name)

// OP_THROW(call, ShapeError) << "...": an error prefixed with "op '<name>': ".
#define OP_THROW(call, E) CINN_THROW(E) << "op '" << (call).op.name << "': "
