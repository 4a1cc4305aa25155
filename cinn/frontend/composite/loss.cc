// Composite losses (PyTorch's definitions). `reduction` is "mean" (a scalar, shape []),
// "sum" (a scalar) or "none" (the elementwise loss). Each rule's formula is in its comment
// and its description.
#include "cinn/frontend/composite/rule_util.h"

namespace cinn::frontend::composite {
namespace {

// The losses of two operands that broadcast: loss(x, y), then the reduction.
using PairLoss = std::function<Value*(NetBuilder&, Value*, Value*, const AttrMap&)>;
hlir::OpInfo& pair_loss(const char* name, const char* doc, PairLoss f) {
  std::string op = name;
  return hlir::OpRegistry::global()
      .add(name)
      .describe(doc)
      .inputs({"x", "y"})
      .broadcasting()
      .attr("reduction", std::string("mean"), "mean, sum or none")
      .decompose(net_rule_in_float([op, f](NetBuilder& b, const Values& in, const AttrMap& a) {
        const auto& reduction = attr<std::string>(a, "reduction");
        check_reduction(op, reduction);
        require_float(op, in[0], "x");
        return Values{reduce_loss(b, f(b, in[0], in[1], a), reduction)};
      }));
}

// mse_loss = (x - y)^2
[[maybe_unused]] auto& mse = pair_loss("mse_loss", "(x - y)^2, reduced",
                                       [](NetBuilder& b, Value* x, Value* y, const AttrMap&) {
                                         Value* d = b.sub(x, y);
                                         return b.mul(d, d);
                                       });

// l1_loss = |x - y|
[[maybe_unused]] auto& l1 =
    pair_loss("l1_loss", "|x - y|, reduced",
              [](NetBuilder& b, Value* x, Value* y, const AttrMap&) { return b.abs(b.sub(x, y)); });

// smooth_l1_loss = |d| < beta ? 0.5 d^2 / beta : |d| - 0.5 beta, d = x - y (beta = 0: |d|)
[[maybe_unused]] auto& smooth_l1 =
    pair_loss("smooth_l1_loss",
              "|d| < beta ? 0.5 * d^2 / beta : |d| - 0.5 * beta with d = x - y, "
              "reduced",
              [](NetBuilder& b, Value* x, Value* y, const AttrMap& a) {
                double beta = attr<double>(a, "beta");
                Value* d = b.abs(b.sub(x, y));
                if (beta <= 0.0) return d;
                Value* quad = b.mul(b.mul(d, d), scalar(b, 0.5 / beta, x));
                Value* lin = b.sub(d, scalar(b, 0.5 * beta, x));
                return b.select(b.compare(d, scalar(b, beta, x), "lt"), quad, lin);
              })
        .attr("beta", 1.0, "where the loss turns from quadratic to linear");

// huber_loss = |d| < delta ? 0.5 d^2 : delta (|d| - 0.5 delta), d = x - y
[[maybe_unused]] auto& huber =
    pair_loss("huber_loss",
              "|d| < delta ? 0.5 * d^2 : delta * (|d| - 0.5 * delta) with "
              "d = x - y, reduced",
              [](NetBuilder& b, Value* x, Value* y, const AttrMap& a) {
                double delta = attr<double>(a, "delta");
                Value* d = b.abs(b.sub(x, y));
                Value* quad = b.mul(b.mul(d, d), scalar(b, 0.5, x));
                Value* lin = b.mul(b.sub(d, scalar(b, 0.5 * delta, x)), scalar(b, delta, x));
                return b.select(b.compare(d, scalar(b, delta, x), "lt"), quad, lin);
              })
        .attr("delta", 1.0, "where the loss turns from quadratic to linear");

// binary_cross_entropy(p, t) = -(t max(log p, -100) + (1 - t) max(log(1 - p), -100))
[[maybe_unused]] auto& bce = pair_loss(
    "binary_cross_entropy",
    "-(y * max(log(x), -100) + (1 - y) * max(log(1 - x), -100)) for probabilities x, reduced",
    [](NetBuilder& b, Value* p, Value* t, const AttrMap&) {
      Value* floor = scalar(b, -100.0, p);
      Value* one = scalar(b, 1.0, p);
      Value* lp = b.max(b.log(p), floor);
      Value* lq = b.max(b.log(b.sub(one, p)), floor);
      return b.neg(b.add(b.mul(t, lp), b.mul(b.sub(one, t), lq)));
    });

// binary_cross_entropy_with_logits(x, t) = max(x, 0) - x t + log1p(exp(-|x|)), the
// stable form of -(t log sigmoid(x) + (1 - t) log(1 - sigmoid(x)))
[[maybe_unused]] auto& bce_logits =
    pair_loss("binary_cross_entropy_with_logits",
              "max(x, 0) - x * y + log1p(exp(-|x|)) for logits x and targets y, reduced",
              [](NetBuilder& b, Value* x, Value* t, const AttrMap&) {
                Value* soft = log1p(b, b.exp(b.neg(b.abs(x))));
                return b.add(b.sub(b.max(x, scalar(b, 0.0, x)), b.mul(x, t)), soft);
              });

// The class-axis checks of nll_loss and cross_entropy: scores [N, C, ...] and integer
// labels [N, ...].
void check_class_inputs(const char* op, const char* what, Value* scores, Value* labels) {
  require_float(op, scores, what);
  require_int(op, labels, "labels");
  Shape want = scores->shape();
  if (want.size() < 2) {
    RULE_THROW(op, ShapeError) << what << " must be [N, C, ...], got " << scores->type.to_string();
  }
  want.erase(want.begin() + 1);
  if (labels->shape() != want) {
    RULE_THROW(op, ShapeError) << "labels must have shape " << hlir::shape_to_string(want) << " ("
                               << what << " " << scores->type.to_string()
                               << " without the class axis 1), got " << labels->type.to_string();
  }
}

// scores[n, labels[n], ...] as sum_c(c == labels[n] ? scores[n, c] : 0) over the class
// axis 1: a reduction over the scores' shape, which fuses with other row reductions.
Value* pick(NetBuilder& b, Value* scores, Value* labels) {
  Shape col = labels->shape();
  col.insert(col.begin() + 1, 1);
  Value* hit = b.compare(b.reshape(labels, col), b.iota(scores->shape(), 1, labels->dtype()), "eq");
  Value* zero = b.full(scores->type, 0.0);
  return b.reduce(b.select(hit, scores, zero), "sum", {1});
}

// The per-element loss with labels equal to ignore_index set to 0, then reduced; the mean
// divides by the number of labels not ignored (PyTorch's rule).
Value* reduce_class_loss(NetBuilder& b, const char* op, Value* loss, Value* labels,
                         const AttrMap& a) {
  const auto& reduction = attr<std::string>(a, "reduction");
  check_reduction(op, reduction);
  Value* ignored =
      b.fill_constant({}, static_cast<double>(attr<int64_t>(a, "ignore_index")), labels->dtype());
  Value* valid = b.compare(labels, ignored, "ne");
  loss = b.select(valid, loss, b.full(loss->type, 0.0));
  if (reduction == "none") return loss;
  Value* total = b.reduce(loss, "sum");
  if (reduction == "sum") return total;
  return b.div(total, b.reduce(b.cast(valid, loss->dtype()), "sum"));
}

// nll_loss(lp, labels) = -lp[n, labels[n], ...] (class axis 1), labels equal to
// ignore_index giving 0 and left out of the mean
CINN_REGISTER_OP(nll_loss)
    .describe(
        "-log_probs[n, labels[n], ...] (class axis 1; integer labels), reduced; labels "
        "equal to ignore_index give 0 and are left out of the mean")
    .inputs({"log_probs", "labels"})
    .attr("reduction", std::string("mean"), "mean, sum or none")
    .attr("ignore_index", int64_t{-100}, "a label value that contributes nothing")
    .decompose(net_rule_in_float([](NetBuilder& b, const Values& in, const AttrMap& a) {
      check_class_inputs("nll_loss", "log_probs", in[0], in[1]);
      Value* loss = b.neg(pick(b, in[0], in[1]));
      return Values{reduce_class_loss(b, "nll_loss", loss, in[1], a)};
    }));

// cross_entropy(x, labels) = nll_loss(log_softmax(x, 1), labels)
//                          = logsumexp(x, 1) - x[n, labels[n], ...]
// (the second form: three reductions over x's rows in one kernel, no log_softmax array)
CINN_REGISTER_OP(cross_entropy)
    .describe(
        "nll_loss(log_softmax(logits, axis=1), labels) = logsumexp(logits, 1) - "
        "logits[n, labels[n]]: logits [N, C, ...], integer class labels [N, ...], reduced")
    .inputs({"logits", "labels"})
    .attr("reduction", std::string("mean"), "mean, sum or none")
    .attr("ignore_index", int64_t{-100}, "a label value that contributes nothing")
    .decompose(net_rule_in_float([](NetBuilder& b, const Values& in, const AttrMap& a) {
      check_class_inputs("cross_entropy", "logits", in[0], in[1]);
      Value* loss = b.sub(b.logsumexp(in[0], {1}), pick(b, in[0], in[1]));
      return Values{reduce_class_loss(b, "cross_entropy", loss, in[1], a)};
    }));

}  // namespace
}  // namespace cinn::frontend::composite
