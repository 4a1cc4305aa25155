// The graph passes of the frontend pipeline. Each maps a graph to a new graph; compile()
// runs them under a hlir::GraphPassManager (pass.h: dumps, verifier between passes) in the
// order of `default_graph_passes`.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "cinn/hlir/pass.h"

namespace cinn::frontend {

// Expands every composite op by its decomposition rule until only primitives remain.
std::unique_ptr<hlir::Graph> decompose(const hlir::Graph& g);

// Drops nodes whose results do not reach an output.
std::unique_ptr<hlir::Graph> eliminate_dead_code(const hlir::Graph& g);

// Common subexpression elimination: a node applying the same op with equal attributes
// (hlir::attr_equal, literals by content) to the same inputs as an earlier node is replaced
// by the earlier node's results. Every primitive is pure, so this is always valid.
std::unique_ptr<hlir::Graph> eliminate_common_subexpressions(const hlir::Graph& g);

// Algebraic simplification, to a fixpoint within one walk (rules see simplified inputs):
//   x * 1, 1 * x, x / 1, x + 0, 0 + x, x - 0     -> x        (1, 0: a fill_constant)
//   neg(neg(x))                                  -> x
//   transpose(transpose(x, p), q)                -> transpose(x, p∘q), or x if identity
//   transpose(x, identity)                       -> x
//   reshape(reshape(x)), reshape(x) to x's shape -> one reshape, or x
//   cast(x) to x's dtype                         -> x
//   cast(cast(x, t1), t2) when t1 holds every value of x's dtype -> cast(x, t2)
//   broadcast_to(x) to x's shape                 -> x
//   broadcast_to(broadcast_to(x))                -> broadcast_to(x)
//   broadcast_to / reshape / transpose of fill_constant -> fill_constant of the new shape
// A rule only fires when the result keeps the node's exact type.
std::unique_ptr<hlir::Graph> simplify(const hlir::Graph& g);

// Folds per-output-channel scales computed from constants into the weights of the
// convolution they scale (inference batch norm after a convolution, with frozen weights):
//   conv2d(x, w) * s              -> conv2d(x, w * s[k])
//   (conv2d(x, w) + c) * s        -> conv2d(x, w * s[k]) + c * s     (also with -)
// when w and s are compile-time constants (computed from constant ops only), s varies
// along the output channels only, and the convolution's (and the add's) result has no other
// reader. fold_constants then computes w * s once; the kernel loses its epilogue multiply.
std::unique_ptr<hlir::Graph> fold_conv_scales(const hlir::Graph& g);

// Evaluates a graph without inputs, returning its outputs' values (compile() passes one that
// compiles and runs the graph with this compiler).
using ConstantEvaluator =
    std::function<std::vector<hlir::ConstDataPtr>(const hlir::Graph&)>;

// Constant folding: every value computed only from constants (fill_constant, iota,
// constant) by a node that has inputs, and used by a non-constant node or returned, is
// evaluated at compile time by `evaluate` and replaced by a literal: a fill_constant if all
// its elements are equal, else a `constant`. Values of more than `max_bytes` are left alone.
std::unique_ptr<hlir::Graph> fold_constants(const hlir::Graph& g, const ConstantEvaluator& evaluate,
                                            int64_t max_bytes = int64_t{1} << 26);

}  // namespace cinn::frontend
