// frontend::Program and NetBuilder: building graphs of frontend ops.
//
//   NetBuilder b("mlp");
//   Value* x = b.input({32, 784}, Float(32), "x");
//   Value* w = b.input({784, 256}, Float(32), "w");
//   Program p = b.build({b.relu(b.matmul(x, w))});
//
// Every method is a thin call of the registered op of the same name (hlir::Builder::call):
// attributes are checked and defaulted by the registry, shapes and dtypes are inferred, and
// composites (relu, softmax, ...) are kept as single nodes until compilation decomposes them.
// The same class serves the decomposition rules, as a view over the graph being built.
#pragma once

#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "cinn/hlir/builder.h"

namespace cinn::frontend {

using hlir::Value;

class Program {
 public:
  explicit Program(std::shared_ptr<const hlir::Graph> g) : graph_(std::move(g)) {}
  const hlir::Graph& graph() const { return *graph_; }
  std::shared_ptr<const hlir::Graph> graph_ptr() const { return graph_; }
  std::string to_string() const { return graph_->to_string(); }

  // This program's value for a value of the NetBuilder graph it was built from: one of
  // the outputs passed to build(), or an input (by name). Null for any other value.
  const Value* from_built(const Value* v) const;

  // (output index, input index) pairs: the output is the input's new value (a parameter
  // after a training step), returned in the input's memory so that it is updated in place
  // (runtime::ExecutablePlan::aliases). Each input and output appears at most once, and
  // the two have the same type; set_aliases throws Error otherwise.
  const std::vector<std::pair<int, int>>& aliases() const { return aliases_; }
  void set_aliases(std::vector<std::pair<int, int>> aliases);

 private:
  friend class NetBuilder;
  std::shared_ptr<const hlir::Graph> graph_;
  // The builder's graph (kept alive so that its values' addresses stay unique) and the
  // values build() was given, output by output.
  std::shared_ptr<const hlir::Graph> built_;
  std::vector<const Value*> built_outputs_;
  std::vector<std::pair<int, int>> aliases_;
};

class NetBuilder : public hlir::Builder {
 public:
  // A builder of a new program.
  explicit NetBuilder(const std::string& name);
  // A view adding ops to an existing graph (decomposition rules).
  explicit NetBuilder(hlir::Graph* graph) : hlir::Builder(graph) {}

  Value* input(const std::vector<int64_t>& shape, common::Type dtype, const std::string& name);
  // The program returning `outputs`: a copy of the graph without the ops that do not
  // reach them. The builder can go on adding ops afterwards.
  Program build(const std::vector<Value*>& outputs);

  Value* fill_constant(const std::vector<int64_t>& shape, double value,
                       common::Type dtype = common::Float(32));

  // ---- Primitives (hlir/ops/).
#define CINN_UNARY(name) \
  Value* name(Value* x) { return call1(#name, {x}); }
#define CINN_BINARY(name) \
  Value* name(Value* x, Value* y) { return call1(#name, {x, y}); }
  CINN_UNARY(exp) CINN_UNARY(log) CINN_UNARY(sqrt) CINN_UNARY(rsqrt) CINN_UNARY(tanh)
  CINN_UNARY(erf) CINN_UNARY(sin) CINN_UNARY(cos) CINN_UNARY(abs) CINN_UNARY(neg)
  CINN_UNARY(floor) CINN_UNARY(ceil) CINN_UNARY(round) CINN_UNARY(isnan) CINN_UNARY(isinf)
  CINN_UNARY(logical_not)
  CINN_BINARY(add) CINN_BINARY(sub) CINN_BINARY(mul) CINN_BINARY(div) CINN_BINARY(max)
  CINN_BINARY(min) CINN_BINARY(mod) CINN_BINARY(pow) CINN_BINARY(logical_and)
  CINN_BINARY(logical_or)

  Value* compare(Value* x, Value* y, const std::string& op) {
    return call1("compare", {x, y}, {{"op", op}});
  }
  Value* select(Value* c, Value* x, Value* y) { return call1("select", {c, x, y}); }
  Value* cast(Value* x, common::Type t) { return call1("cast", {x}, {{"dtype", t}}); }
  Value* broadcast_to(Value* x, const std::vector<int64_t>& shape) {
    return call1("broadcast_to", {x}, {{"shape", shape}});
  }
  Value* reshape(Value* x, const std::vector<int64_t>& shape) {
    return call1("reshape", {x}, {{"shape", shape}});
  }
  Value* transpose(Value* x, const std::vector<int64_t>& perm) {
    return call1("transpose", {x}, {{"perm", perm}});
  }
  Value* pad(Value* x, const std::vector<int64_t>& pads, double value = 0.0,
             const std::vector<int64_t>& interior = {}) {
    return call1("pad", {x}, {{"pads", pads}, {"value", value}, {"interior", interior}});
  }
  Value* slice(Value* x, const std::vector<int64_t>& axes, const std::vector<int64_t>& starts,
               const std::vector<int64_t>& ends, const std::vector<int64_t>& strides = {}) {
    return call1("slice", {x},
                 {{"axes", axes}, {"starts", starts}, {"ends", ends}, {"strides", strides}});
  }
  Value* concat(const std::vector<Value*>& xs, int64_t axis = 0) {
    return call1("concat", xs, {{"axis", axis}});
  }
  Value* gather(Value* x, Value* index, int64_t axis = 0) {
    return call1("gather", {x, index}, {{"axis", axis}});
  }
  Value* scatter_add(Value* x, Value* index, Value* updates, int64_t axis = 0) {
    return call1("scatter_add", {x, index, updates}, {{"axis", axis}});
  }
  Value* iota(const std::vector<int64_t>& shape, int64_t axis = 0,
              common::Type dtype = common::Int(64)) {
    return call1("iota", {}, {{"shape", shape}, {"axis", axis}, {"dtype", dtype}});
  }
  // Uniform numbers in [0, 1) drawn with Philox from key (int64 [2]: seed, step); each
  // random op of a builder gets its own stream unless rng_stream is given.
  Value* random_uniform(Value* key, const std::vector<int64_t>& shape,
                        common::Type dtype = common::Float(32), int64_t rng_stream = -1) {
    return call1("random_uniform", {key},
                 {{"shape", shape}, {"dtype", dtype}, {"rng_stream", rng_stream}});
  }
  Value* reduce(Value* x, const std::string& kind, const std::vector<int64_t>& axis = {},
                bool keepdim = false) {
    return call1("reduce", {x}, {{"kind", kind}, {"axis", axis}, {"keepdim", keepdim}});
  }
  Value* arg_reduce(Value* x, const std::string& kind, int64_t axis, bool keepdim = false,
                    common::Type dtype = common::Int(64)) {
    return call1("arg_reduce", {x},
                 {{"kind", kind}, {"axis", axis}, {"keepdim", keepdim}, {"dtype", dtype}});
  }
  Value* matmul(Value* x, Value* y, bool transpose_x = false, bool transpose_y = false) {
    return call1("matmul", {x, y}, {{"transpose_x", transpose_x}, {"transpose_y", transpose_y}});
  }
  Value* pool2d(Value* x, const std::string& kind, const std::vector<int64_t>& kernel,
                const std::vector<int64_t>& stride = {},
                const std::vector<int64_t>& padding = {0, 0}, bool exclusive = true) {
    return call1("pool2d", {x}, {{"kind", kind}, {"kernel", kernel}, {"stride", stride},
                                 {"padding", padding}, {"exclusive", exclusive}});
  }
  Value* conv2d(Value* x, Value* w, const std::vector<int64_t>& stride = {1, 1},
                const std::vector<int64_t>& padding = {0, 0},
                const std::vector<int64_t>& dilation = {1, 1}, int64_t groups = 1) {
    return call1("conv2d", {x, w},
                 {{"stride", stride}, {"padding", padding}, {"dilation", dilation},
                  {"groups", groups}});
  }
  Value* conv2d_weight_grad(Value* x, Value* dy, const std::vector<int64_t>& kernel,
                            const std::vector<int64_t>& stride = {1, 1},
                            const std::vector<int64_t>& padding = {0, 0},
                            const std::vector<int64_t>& dilation = {1, 1}, int64_t groups = 1) {
    return call1("conv2d_weight_grad", {x, dy},
                 {{"kernel", kernel}, {"stride", stride}, {"padding", padding},
                  {"dilation", dilation}, {"groups", groups}});
  }

  // ---- Composites (frontend/composite/): each a decomposition rule into primitives; the
  // registry's description of each op gives its formula. Defaults mirror the registry's.
  using Ints = std::vector<int64_t>;
  using Values = std::vector<Value*>;
  static constexpr double kInf = std::numeric_limits<double>::infinity();

  // Activations (composite/activation.cc).
  CINN_UNARY(relu) CINN_UNARY(sigmoid) CINN_UNARY(relu6) CINN_UNARY(selu) CINN_UNARY(silu)
  CINN_UNARY(hard_sigmoid) CINN_UNARY(hard_swish) CINN_UNARY(mish) CINN_UNARY(softsign)
  CINN_UNARY(log_sigmoid) CINN_UNARY(sign) CINN_UNARY(square) CINN_UNARY(reciprocal)
  Value* softmax(Value* x, const Ints& axis = {-1}) {
    return call1("softmax", {x}, {{"axis", axis}});
  }
  Value* log_softmax(Value* x, const Ints& axis = {-1}) {
    return call1("log_softmax", {x}, {{"axis", axis}});
  }
  Value* leaky_relu(Value* x, double alpha = 0.01) {
    return call1("leaky_relu", {x}, {{"alpha", alpha}});
  }
  Value* elu(Value* x, double alpha = 1.0) { return call1("elu", {x}, {{"alpha", alpha}}); }
  Value* gelu(Value* x, const std::string& approximate = "none") {
    return call1("gelu", {x}, {{"approximate", approximate}});
  }
  Value* hard_tanh(Value* x, double min_val = -1.0, double max_val = 1.0) {
    return call1("hard_tanh", {x}, {{"min_val", min_val}, {"max_val", max_val}});
  }
  Value* softplus(Value* x, double beta = 1.0, double threshold = 20.0) {
    return call1("softplus", {x}, {{"beta", beta}, {"threshold", threshold}});
  }
  Value* prelu(Value* x, Value* alpha) { return call1("prelu", {x, alpha}); }
  Value* logsumexp(Value* x, const Ints& axis = {}, bool keepdim = false) {
    return call1("logsumexp", {x}, {{"axis", axis}, {"keepdim", keepdim}});
  }
  Value* clip(Value* x, double min = -kInf, double max = kInf) {
    return call1("clip", {x}, {{"min", min}, {"max", max}});
  }

  // Math and reductions (composite/math.cc).
  Value* scale(Value* x, double scale = 1.0, double bias = 0.0) {
    return call1("scale", {x}, {{"scale", scale}, {"bias", bias}});
  }
#define CINN_REDUCTION(name) \
  Value* name(Value* x, const Ints& axis = {}, bool keepdim = false) { \
    return call1(#name, {x}, {{"axis", axis}, {"keepdim", keepdim}}); \
  }
  CINN_REDUCTION(sum) CINN_REDUCTION(mean) CINN_REDUCTION(amax) CINN_REDUCTION(amin)
  CINN_REDUCTION(prod)
#undef CINN_REDUCTION
  Value* var(Value* x, const Ints& axis = {}, bool keepdim = false, bool unbiased = true) {
    return call1("var", {x}, {{"axis", axis}, {"keepdim", keepdim}, {"unbiased", unbiased}});
  }
  Value* std(Value* x, const Ints& axis = {}, bool keepdim = false, bool unbiased = true) {
    return call1("std", {x}, {{"axis", axis}, {"keepdim", keepdim}, {"unbiased", unbiased}});
  }
  Value* argmax(Value* x, const Ints& axis = {}, bool keepdim = false) {
    return call1("argmax", {x}, {{"axis", axis}, {"keepdim", keepdim}});
  }
  Value* argmin(Value* x, const Ints& axis = {}, bool keepdim = false) {
    return call1("argmin", {x}, {{"axis", axis}, {"keepdim", keepdim}});
  }
  Value* where(Value* cond, Value* x, Value* y) { return call1("where", {cond, x, y}); }
  CINN_BINARY(equal) CINN_BINARY(not_equal) CINN_BINARY(greater) CINN_BINARY(greater_equal)
  CINN_BINARY(less) CINN_BINARY(less_equal) CINN_BINARY(logical_xor) CINN_BINARY(floor_divide)
  CINN_BINARY(remainder)
  Value* lerp(Value* x, Value* y, Value* weight) { return call1("lerp", {x, y, weight}); }
  Value* norm(Value* x, double p = 2.0, const Ints& axis = {}, bool keepdim = false) {
    return call1("norm", {x}, {{"p", p}, {"axis", axis}, {"keepdim", keepdim}});
  }
  Value* normalize(Value* x, double p = 2.0, int64_t axis = 1, double eps = 1e-12) {
    return call1("normalize", {x}, {{"p", p}, {"axis", axis}, {"eps", eps}});
  }
  Value* cosine_similarity(Value* x, Value* y, int64_t axis = 1, double eps = 1e-8) {
    return call1("cosine_similarity", {x, y}, {{"axis", axis}, {"eps", eps}});
  }
  Value* triu(Value* x, int64_t diagonal = 0) {
    return call1("triu", {x}, {{"diagonal", diagonal}});
  }
  Value* tril(Value* x, int64_t diagonal = 0) {
    return call1("tril", {x}, {{"diagonal", diagonal}});
  }
  Value* masked_fill(Value* x, Value* mask, double value) {
    return call1("masked_fill", {x, mask}, {{"value", value}});
  }
  Value* arange(double start, double end, double step = 1.0,
                common::Type dtype = common::Float(32)) {
    return call1("arange", {}, {{"start", start}, {"end", end}, {"step", step}, {"dtype", dtype}});
  }
  Value* full_like(Value* x, double value) { return call1("full_like", {x}, {{"value", value}}); }
  CINN_UNARY(zeros_like) CINN_UNARY(ones_like)

  // Shapes (composite/shape.cc).
  Value* flatten(Value* x, int64_t start_axis = 0, int64_t end_axis = -1) {
    return call1("flatten", {x}, {{"start_axis", start_axis}, {"end_axis", end_axis}});
  }
  Value* squeeze(Value* x, const Ints& axis = {}) {
    return call1("squeeze", {x}, {{"axis", axis}});
  }
  Value* unsqueeze(Value* x, const Ints& axis) { return call1("unsqueeze", {x}, {{"axis", axis}}); }
  Value* expand(Value* x, const Ints& shape) { return call1("expand", {x}, {{"shape", shape}}); }
  Value* tile(Value* x, const Ints& repeats) { return call1("tile", {x}, {{"repeats", repeats}}); }
  Values split(Value* x, const Ints& num_or_sections, int64_t axis = 0) {
    return call("split", {x}, {{"num_or_sections", num_or_sections}, {"axis", axis}});
  }
  Values chunk(Value* x, int64_t chunks, int64_t axis = 0) {
    return call("chunk", {x}, {{"chunks", chunks}, {"axis", axis}});
  }
  Value* stack(const Values& xs, int64_t axis = 0) { return call1("stack", xs, {{"axis", axis}}); }
  Value* flip(Value* x, const Ints& axis) { return call1("flip", {x}, {{"axis", axis}}); }
  Value* pixel_shuffle(Value* x, int64_t upscale_factor) {
    return call1("pixel_shuffle", {x}, {{"upscale_factor", upscale_factor}});
  }
  Value* pixel_unshuffle(Value* x, int64_t downscale_factor) {
    return call1("pixel_unshuffle", {x}, {{"downscale_factor", downscale_factor}});
  }
  Value* upsample_nearest2d(Value* x, const Ints& scale_factor) {
    return call1("upsample_nearest2d", {x}, {{"scale_factor", scale_factor}});
  }

  // Neural-network layers (composite/nn.cc). A null optional input is left out.
  Value* linear(Value* x, Value* w, Value* bias = nullptr) {
    return call1("linear", present({x, w, bias}));
  }
  CINN_BINARY(bmm)
  Value* conv2d_bias(Value* x, Value* w, Value* bias, const Ints& stride = {1, 1},
                     const Ints& padding = {0, 0}, const Ints& dilation = {1, 1},
                     int64_t groups = 1) {
    return call1("conv2d_bias", {x, w, bias},
                 {{"stride", stride}, {"padding", padding}, {"dilation", dilation},
                  {"groups", groups}});
  }
  Value* depthwise_conv2d(Value* x, Value* w, Value* bias = nullptr, const Ints& stride = {1, 1},
                          const Ints& padding = {0, 0}, const Ints& dilation = {1, 1}) {
    return call1("depthwise_conv2d", present({x, w, bias}),
                 {{"stride", stride}, {"padding", padding}, {"dilation", dilation}});
  }
  Value* max_pool2d(Value* x, const Ints& kernel_size, const Ints& stride = {},
                    const Ints& padding = {0}) {
    return call1("max_pool2d", {x},
                 {{"kernel_size", kernel_size}, {"stride", stride}, {"padding", padding}});
  }
  Value* avg_pool2d(Value* x, const Ints& kernel_size, const Ints& stride = {},
                    const Ints& padding = {0}, bool count_include_pad = true) {
    return call1("avg_pool2d", {x},
                 {{"kernel_size", kernel_size}, {"stride", stride}, {"padding", padding},
                  {"count_include_pad", count_include_pad}});
  }
  Value* adaptive_avg_pool2d(Value* x, const Ints& output_size) {
    return call1("adaptive_avg_pool2d", {x}, {{"output_size", output_size}});
  }
  Value* dropout(Value* x, Value* key, double p = 0.5, int64_t rng_stream = -1) {
    return call1("dropout", {x, key}, {{"p", p}, {"rng_stream", rng_stream}});
  }
  Value* embedding(Value* ids, Value* table) { return call1("embedding", {ids, table}); }
  Value* one_hot(Value* ids, int64_t depth, common::Type dtype = common::Float(32)) {
    return call1("one_hot", {ids}, {{"depth", depth}, {"dtype", dtype}});
  }
  Value* scaled_dot_product_attention(Value* q, Value* k, Value* v, Value* mask = nullptr,
                                      bool is_causal = false, double scale = 0.0) {
    return call1("scaled_dot_product_attention", present({q, k, v, mask}),
                 {{"is_causal", is_causal}, {"scale", scale}});
  }

  // Normalization (composite/norm.cc).
  Value* layer_norm(Value* x, Value* scale, Value* bias, double epsilon = 1e-5,
                    int64_t begin_norm_axis = -1) {
    return call1("layer_norm", {x, scale, bias},
                 {{"epsilon", epsilon}, {"begin_norm_axis", begin_norm_axis}});
  }
  Value* rms_norm(Value* x, Value* scale, double epsilon = 1e-6, int64_t begin_norm_axis = -1) {
    return call1("rms_norm", {x, scale},
                 {{"epsilon", epsilon}, {"begin_norm_axis", begin_norm_axis}});
  }
  // Inference: {y}; training: {y, new_mean, new_var}.
  Values batch_norm(Value* x, Value* scale, Value* bias, Value* mean, Value* var,
                    double epsilon = 1e-5, double momentum = 0.1, bool training = false) {
    return call("batch_norm", {x, scale, bias, mean, var},
                {{"epsilon", epsilon}, {"momentum", momentum}, {"training", training}});
  }
  Value* group_norm(Value* x, Value* scale, Value* bias, int64_t num_groups,
                    double epsilon = 1e-5) {
    return call1("group_norm", {x, scale, bias},
                 {{"num_groups", num_groups}, {"epsilon", epsilon}});
  }
  Value* instance_norm(Value* x, Value* scale, Value* bias, double epsilon = 1e-5) {
    return call1("instance_norm", {x, scale, bias}, {{"epsilon", epsilon}});
  }

  // Losses (composite/loss.cc); reduction is "mean", "sum" or "none".
  Value* cross_entropy(Value* logits, Value* labels, const std::string& reduction = "mean",
                       int64_t ignore_index = -100) {
    return call1("cross_entropy", {logits, labels},
                 {{"reduction", reduction}, {"ignore_index", ignore_index}});
  }
  Value* nll_loss(Value* log_probs, Value* labels, const std::string& reduction = "mean",
                  int64_t ignore_index = -100) {
    return call1("nll_loss", {log_probs, labels},
                 {{"reduction", reduction}, {"ignore_index", ignore_index}});
  }
#define CINN_LOSS(name) \
  Value* name(Value* x, Value* y, const std::string& reduction = "mean") { \
    return call1(#name, {x, y}, {{"reduction", reduction}}); \
  }
  CINN_LOSS(mse_loss) CINN_LOSS(l1_loss) CINN_LOSS(binary_cross_entropy)
  CINN_LOSS(binary_cross_entropy_with_logits)
#undef CINN_LOSS
  Value* smooth_l1_loss(Value* x, Value* y, const std::string& reduction = "mean",
                        double beta = 1.0) {
    return call1("smooth_l1_loss", {x, y}, {{"reduction", reduction}, {"beta", beta}});
  }
  Value* huber_loss(Value* x, Value* y, const std::string& reduction = "mean", double delta = 1.0) {
    return call1("huber_loss", {x, y}, {{"reduction", reduction}, {"delta", delta}});
  }

  // Optimizer steps (composite/optim.cc): {new param, new state...}. `lr` is a float
  // scalar value (shape []), so that a compiled step can change its rate.
  Values sgd_update(Value* param, Value* grad, Value* velocity, Value* lr, Value* step = nullptr,
                    double momentum = 0.0, double dampening = 0.0, double weight_decay = 0.0,
                    bool nesterov = false) {
    return call("sgd_update", present({param, grad, velocity, lr, step}),
                {{"momentum", momentum}, {"dampening", dampening},
                 {"weight_decay", weight_decay}, {"nesterov", nesterov}});
  }
#define CINN_ADAM(name, default_decay) \
  Values name(Value* param, Value* grad, Value* m, Value* v, Value* step, Value* lr, \
              double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, \
              double weight_decay = default_decay) { \
    return call(#name, {param, grad, m, v, step, lr}, {{"beta1", beta1}, {"beta2", beta2}, \
                                                       {"eps", eps}, {"weight_decay", weight_decay}}); \
  }
  CINN_ADAM(adam_update, 0.0) CINN_ADAM(adamw_update, 0.01)
#undef CINN_ADAM
#undef CINN_UNARY
#undef CINN_BINARY

 private:
  // The inputs that are given: optional trailing inputs passed as null are dropped.
  static Values present(Values in) {
    while (!in.empty() && !in.back()) in.pop_back();
    return in;
  }
  explicit NetBuilder(std::shared_ptr<hlir::Graph> g) : hlir::Builder(g.get()), owned_(std::move(g)) {}
  std::shared_ptr<hlir::Graph> owned_;
};

// A decomposition rule written against NetBuilder, for OpInfo::decompose:
//   CINN_REGISTER_OP(relu).inputs({"x"}).decompose(net_rule([](NetBuilder& b, const auto& in,
//       const hlir::AttrMap&) { return std::vector<Value*>{b.max(in[0], b.full(in[0]->type, 0.0))}; }));
using NetRule = std::function<std::vector<Value*>(NetBuilder&, const std::vector<Value*>&,
                                                  const hlir::AttrMap&)>;
hlir::DecomposeFn net_rule(NetRule rule);
// The same for a composite that computes in float32 when its inputs are float16 / bfloat16,
// rounding only its results to the 16-bit type, as PyTorch computes one op (softmax, gelu,
// layer_norm, ...): 16-bit float inputs are cast to float32 before the rule and float32
// results back to the first such input's type after it.
hlir::DecomposeFn net_rule_in_float(NetRule rule);

// A gradient rule written against NetBuilder, for OpInfo::vjp (autodiff.h): the node and
// its results' gradients in, its inputs' gradients (null for none) out.
using NetVJP = std::function<std::vector<Value*>(NetBuilder&, const hlir::Node&,
                                                 const std::vector<Value*>&)>;
hlir::VJPFn net_vjp(NetVJP rule);

}  // namespace cinn::frontend
