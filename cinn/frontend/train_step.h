// One training step as one program: forward, gradients (autodiff.h), optimizer updates.
//
//   Program step = train_step(p, loss, {w1, b1, w2}, Optimizer::adam(1e-3));
//   auto exe = compile(step, target);   // parameters and Adam's moments updated in place
//
// The step program's signature, in order:
//   inputs:  p's inputs; then each parameter's optimizer state, parameter by parameter,
//            named "<param>.<slot>" with PyTorch's slot names (SGD with momentum:
//            momentum_buffer; Adam, AdamW: exp_avg, exp_avg_sq); then the learning rate
//            "optimizer.lr" (float32 [], read each run: a schedule changes it between
//            steps without recompiling); then, for Adam, AdamW and SGD with momentum and
//            dampening (counts_steps), the step count "optimizer.step" (float32 [], the
//            steps taken so far).
//   outputs: the loss; p's other outputs (except the loss and the `updates` values); the
//            new parameters; the new optimizer states; the new step count; the `updates`;
//            the advanced random keys.
// Every output after p's is aliased (Program::aliases) to the input it replaces, so the
// compiled step writes it into that input's memory: one buffer per parameter and state,
// updated in place, and one memory plan over forward, backward and update.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "cinn/frontend/net_builder.h"

namespace cinn::frontend {

// The name of the step program's learning-rate input.
inline constexpr const char* kLearningRateInput = "optimizer.lr";

struct Optimizer {
  enum class Kind { kSGD, kAdam, kAdamW };
  Kind kind = Kind::kSGD;
  // The initial learning rate: the step reads the rate from its "optimizer.lr" input
  // (cinn.train_step feeds this value until the caller changes it).
  double lr = 0.01;
  // SGD
  double momentum = 0.0, dampening = 0.0;
  bool nesterov = false;
  // Adam, AdamW
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  double weight_decay = 0.0;  // L2 (SGD, Adam) or decoupled (AdamW)

  static Optimizer sgd(double lr, double momentum = 0.0, double weight_decay = 0.0);
  static Optimizer adam(double lr, double weight_decay = 0.0);
  static Optimizer adamw(double lr, double weight_decay = 0.01);
  // The state each parameter carries, by slot name (empty for plain SGD).
  std::vector<std::string> slots() const;
  // Whether the update depends on the step count: Adam's bias corrections; SGD's dampening,
  // which PyTorch leaves out of the first step.
  bool counts_steps() const;
  const char* name() const;
};

// `loss`: a scalar float value of p; `params`: float inputs of p, each trained with `opt`;
// `updates`: (input of p, value of p) pairs for state that is not trained but replaced by a
// new value each step (batch_norm's running statistics). `rng_keys`: int64 [2] inputs of p
// holding (seed, step) for its random ops (dropout, random_uniform); each step advances
// the step word, so every step draws new numbers. Keys are updated like `updates` (after
// them in the outputs). Errors (cinn::Error and subclasses) for a parameter, updated value
// or key that is not an input, an input listed twice, an update of another type, a key
// that is not int64 [2], or a state input name already taken.
Program train_step(const Program& p, const Value* loss, const std::vector<const Value*>& params,
                   const Optimizer& opt,
                   const std::vector<std::pair<const Value*, const Value*>>& updates = {},
                   const std::vector<const Value*>& rng_keys = {});

}  // namespace cinn::frontend
