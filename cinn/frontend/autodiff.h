// Reverse-mode automatic differentiation of graphs (DESIGN.md section 3, step 3).
//
//   NetBuilder b("mlp");
//   Value* x = b.input({32, 784}, Float(32), "x");
//   Value* w = b.input({784, 10}, Float(32), "w");
//   Value* loss = b.mean(b.square(b.matmul(x, w)));
//   Program p = b.build({loss});
//   Program g = grad(p, p.from_built(loss), {p.from_built(w)});   // outputs: loss, dloss/dw
//
// The gradient is built in the graph of the forward computation, from the loss back to the
// inputs, by each op's VJP rule (OpInfo::vjp, registered with the op): forward and backward
// are one graph, so fusion and memory planning see the whole step.
//
// Which ops differentiate how:
//  - A primitive uses its own rule. Rules return no gradient for integer operands (an
//    index) and for ops whose derivative is zero wherever it exists (floor, ceil, round);
//    ops with only boolean or integer results (comparisons, argmax, iota) carry none.
//  - A composite with a rule of its own uses it: those whose decomposition differentiates
//    poorly (log_softmax, logsumexp, softmax; cross_entropy through log_softmax) register a
//    stable one. Any other composite is differentiated through its decomposition, expanded
//    in the backward pass; the expansion repeats the forward's own (compile() decomposes
//    both the same way), and common-subexpression elimination merges the two.
//  - Only floating-point values carry gradients. An input the loss does not depend on (or
//    depends on only through integer or boolean values) gets a gradient of zeros.
//
// Saving versus recomputing: backward nodes read the forward values they need directly.
// Whether such a value is kept in memory from the forward kernel to the backward one or
// recomputed inside the backward kernel is fusion's decision (hlir/fusion.h).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cinn/frontend/net_builder.h"

namespace cinn::frontend {

// Appends to the graph of `b` the gradient of `loss` with respect to each of `wrt` and
// returns them: one value per entry of `wrt`, of its type. `loss` must be a floating-point
// value of one element (DTypeError, ShapeError); each of `wrt` a floating-point input of
// the graph (Error, DTypeError). UnsupportedOpError for an op on the path without a rule.
std::vector<Value*> append_gradients(hlir::Builder& b, Value* loss, const std::vector<Value*>& wrt);

// The vector-Jacobian product of one op application, appended to the graph of `b`: the op
// `op` applied to `inputs` with `attrs` (a new node; dead code if only its gradients are
// used), then its rule (or its decomposition's rules) applied to `cotangents`, one per
// result of the op (null: zero). Returns one gradient per input: null for an integer or
// boolean input, zeros for a floating-point input the results do not depend on. This is
// how a framework's backward ops (a captured `convolution_backward`) reuse CINN's rules.
// ShapeError / DTypeError when a cotangent's type differs from its result's.
std::vector<Value*> append_vjp(hlir::Builder& b, const std::string& op,
                               const std::vector<Value*>& inputs, const hlir::AttrMap& attrs,
                               const std::vector<Value*>& cotangents);

// A copy of p's graph to extend (grad, train_step), and the map from p's values to the
// copy's: copy(v, what) is v's counterpart, Error "<fn>: the <what> 'v' is not a value of
// the program" for a value of another graph.
class GraphCopy {
 public:
  GraphCopy(const Program& p, std::string fn);
  Value* operator()(const Value* v, const char* what) const;
  std::shared_ptr<hlir::Graph> graph;

 private:
  std::string fn_;
  std::map<const Value*, Value*> map_;
};

// The program computing [loss, d loss / d wrt[0], ..., then p's other outputs]: `loss` is a
// value of p's graph, `wrt` inputs of it.
Program grad(const Program& p, const Value* loss, const std::vector<const Value*>& wrt);

}  // namespace cinn::frontend
