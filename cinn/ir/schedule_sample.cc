// Sampling primitives: random decisions of the auto-scheduler's search space, recorded in
// the trace so that a replay makes the same choices.
#include <numeric>

#include "cinn/ir/ir_operators.h"
#include "cinn/ir/schedule.h"
#include "cinn/ir/schedule_internal.h"

namespace cinn::ir {
namespace {

std::vector<int64_t> prime_factors(int64_t n) {
  std::vector<int64_t> out;
  for (int64_t p = 2; p * p <= n; ++p) {
    while (n % p == 0) out.push_back(p), n /= p;
  }
  if (n > 1) out.push_back(n);
  return out;
}

}  // namespace

std::vector<int64_t> IRSchedule::sample_perfect_tile(LoopRV loop, int n,
                                                     int64_t max_innermost_factor,
                                                     const std::vector<int64_t>& decision) {
  const char* kP = "sample_perfect_tile";
  const For* f = lookup(loop, kP);
  const int64_t* ext = as_const_int(f->extent);
  if (!ext || *ext <= 0) {
    CINN_THROW(ScheduleError) << kP << ": " << sched::loop_desc(f)
                              << " needs a constant positive extent";
  }
  if (n < 1 || max_innermost_factor < 1) {
    CINN_THROW(ScheduleError) << kP << ": n (" << n << ") and max_innermost_factor ("
                              << max_innermost_factor << ") must be positive";
  }
  std::vector<int64_t> tile;
  // Every sampling call takes its entry of set_decisions (decisions_of lists them all).
  std::vector<int64_t> forced = next_forced_decision();
  if (decision.empty() && !forced.empty() && static_cast<int>(forced.size()) == n && forced.back() <= max_innermost_factor &&
      std::accumulate(forced.begin(), forced.end(), int64_t{1}, std::multiplies<int64_t>()) == *ext) {
    tile = forced;
  } else if (!decision.empty()) {
    int64_t prod = std::accumulate(decision.begin(), decision.end(), int64_t{1},
                                   std::multiplies<int64_t>());
    if (static_cast<int>(decision.size()) != n || prod != *ext ||
        decision.back() > max_innermost_factor) {
      CINN_THROW(ScheduleError) << kP << ": decision is not " << n << " factors of "
                                << *ext << " with the innermost at most "
                                << max_innermost_factor;
    }
    tile = decision;
  } else {
    // The innermost factor: a uniformly drawn divisor within the limit; the rest of the
    // extent's prime factors go to uniformly drawn outer positions.
    std::vector<int64_t> divisors;
    for (int64_t d = 1; d <= std::min(*ext, max_innermost_factor); ++d) {
      if (*ext % d == 0) divisors.push_back(d);
    }
    tile.assign(n, 1);
    tile[n - 1] = divisors[std::uniform_int_distribution<size_t>(0, divisors.size() - 1)(rng_)];
    int64_t rest = *ext / tile[n - 1];
    if (n == 1) {
      tile[0] = *ext;
    } else {
      std::uniform_int_distribution<int> slot(0, n - 2);
      for (int64_t p : prime_factors(rest)) tile[slot(rng_)] *= p;
    }
  }
  TraceStep step{kP, {loop.id}, {}, {n, max_innermost_factor}, {}, {}};
  step.ints.insert(step.ints.end(), tile.begin(), tile.end());
  record(step);
  return tile;
}

int64_t IRSchedule::sample_categorical(const std::vector<int64_t>& candidates,
                                       const std::vector<double>& probs,
                                       std::optional<int64_t> decision) {
  const char* kP = "sample_categorical";
  if (candidates.empty() || candidates.size() != probs.size()) {
    CINN_THROW(ScheduleError) << kP << ": needs as many probabilities (" << probs.size()
                              << ") as candidates (" << candidates.size() << "), at least one";
  }
  double total = 0;
  for (double p : probs) {
    if (!(p >= 0)) CINN_THROW(ScheduleError) << kP << ": probability " << p << " is negative";
    total += p;
  }
  if (!(total > 0)) CINN_THROW(ScheduleError) << kP << ": the probabilities sum to zero";
  int64_t index;
  std::vector<int64_t> forced = next_forced_decision();
  if (!decision && forced.size() == 1 && forced[0] >= 0 && forced[0] < static_cast<int64_t>(candidates.size())) {
    index = forced[0];
  } else if (decision) {
    if (*decision < 0 || *decision >= static_cast<int64_t>(candidates.size())) {
      CINN_THROW(ScheduleError) << kP << ": decision " << *decision << " is not an index into "
                                << candidates.size() << " candidates";
    }
    index = *decision;
  } else {
    index = std::discrete_distribution<int64_t>(probs.begin(), probs.end())(rng_);
  }
  TraceStep step{kP, {}, {}, candidates, probs, {}};
  step.ints.push_back(index);
  record(step);
  return candidates[index];
}

std::vector<std::vector<int64_t>> IRSchedule::decisions_of(const Trace& trace) {
  std::vector<std::vector<int64_t>> out;
  for (const TraceStep& st : trace.steps) {
    if (st.kind == "sample_perfect_tile" && st.ints.size() >= 2) {
      out.emplace_back(st.ints.begin() + 2, st.ints.end());
    } else if (st.kind == "sample_categorical" && !st.ints.empty()) {
      out.push_back({st.ints.back()});
    }
  }
  return out;
}

}  // namespace cinn::ir
