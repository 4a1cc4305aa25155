#include "cinn/auto_schedule/search.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <map>
#include <numeric>
#include <random>
#include <set>

#include "cinn/auto_schedule/cost_model.h"
#include "cinn/auto_schedule/features.h"
#include "cinn/backends/build.h"
#include "cinn/common/error.h"
#include "cinn/common/log.h"

namespace cinn::auto_schedule {
namespace {

struct Candidate {
  backends::ScheduleParams params;
  std::string label;       // what the record's `params` column says: knob values or decisions
  std::string trace_json;  // canonical names
  std::vector<float> features;
  bool measured = false;
  double seconds = 0;  // 0: not measured, or failed
};

struct TaskState {
  const Task* task = nullptr;
  std::vector<backends::TuningKnob> knobs;
  // cands[0]: the baseline (the default schedule; for a design space, its first draw).
  std::vector<Candidate> cands;
  TaskReport report;
  const DesignSpace* space = nullptr;   // null: the backend's knob space
  std::map<std::string, double> known;  // trace -> fastest time, from earlier runs
  bool built = false;                   // a knob space: enumerated
  bool exhausted = false;               // nothing new to measure
  int rounds = 0;                       // batches measured in this run
};

// A design space's decisions as people read them: "16x4 8x8 choose 32" (tile factors, the
// chosen candidate values).
std::string decisions_string(const ir::Trace& trace) {
  std::string out;
  for (const ir::TraceStep& st : trace.steps) {
    std::string item;
    if (st.kind == "sample_perfect_tile" && st.ints.size() > 2) {
      for (size_t i = 2; i < st.ints.size(); ++i)
        item += (i > 2 ? "x" : "") + std::to_string(st.ints[i]);
    } else if (st.kind == "sample_categorical" && st.ints.size() >= 2) {
      int64_t index = st.ints.back();
      if (index >= 0 && index + 1 < static_cast<int64_t>(st.ints.size()))
        item = "choose " + std::to_string(st.ints[index]);
    }
    if (!item.empty()) out += (out.empty() ? "" : " ") + item;
  }
  return out;
}

std::string params_string(const backends::ScheduleParams& p) {
  std::string s;
  for (const auto& [k, v] : p) s += (s.empty() ? "" : ",") + k + "=" + std::to_string(v);
  return s;
}

// The knob value sets of a task: all of them, or `max_space` drawn at random; the default
// (no values) first.
std::vector<backends::ScheduleParams> knob_sets(const std::vector<backends::TuningKnob>& knobs,
                                                int max_space, std::mt19937_64& rng) {
  std::vector<backends::ScheduleParams> sets = {{}};
  double product = 1;
  for (const auto& k : knobs)
    product *= static_cast<double>(std::max<size_t>(k.candidates.size(), 1));
  if (knobs.empty()) return sets;
  if (product <= max_space) {
    std::vector<size_t> at(knobs.size(), 0);
    while (true) {
      backends::ScheduleParams p;
      for (size_t i = 0; i < knobs.size(); ++i) {
        if (!knobs[i].candidates.empty()) p[knobs[i].name] = knobs[i].candidates[at[i]];
      }
      sets.push_back(p);
      size_t i = 0;
      while (i < knobs.size() && ++at[i] >= knobs[i].candidates.size()) at[i++] = 0;
      if (i == knobs.size()) break;
    }
    return sets;
  }
  for (int n = 0; n < max_space; ++n) {
    backends::ScheduleParams p;
    for (const auto& k : knobs) {
      if (!k.candidates.empty()) p[k.name] = k.candidates[rng() % k.candidates.size()];
    }
    sets.push_back(p);
  }
  return sets;
}

// The canonical trace of the backend's schedule of `t` under `p`.
std::string schedule_json(const Task& t, const backends::Backend& backend,
                          const backends::ScheduleParams& p) {
  ir::IRSchedule sch(t.func);
  backend.schedule(sch, t.kind, t.target, p);
  return canonical_trace(sch.trace(), t).to_json();
}

// The knobs that change the task's schedule when set alone (a matmul's schedule does not
// read the conv2d knobs); the others would only multiply the space with duplicates.
std::vector<backends::TuningKnob> relevant_knobs(const Task& t, const backends::Backend& backend,
                                                 const std::vector<backends::TuningKnob>& knobs) {
  std::string base = schedule_json(t, backend, {});
  std::vector<backends::TuningKnob> out;
  for (const backends::TuningKnob& k : knobs) {
    bool changes = false;
    for (int64_t v : k.candidates) {
      try {
        changes = schedule_json(t, backend, {{k.name, v}}) != base;
      } catch (const Error&) {
        changes = true;  // a value the template rejects is still a different schedule
      }
      if (changes) break;
    }
    if (changes) out.push_back(k);
  }
  return out;
}

struct Searcher {
  const TuneOptions& options;
  Database& db;
  std::mt19937_64 rng;
  std::vector<TaskState> states;
  CostModel model;
  TuneReport report;

  explicit Searcher(Database& d, const TuneOptions& o) : options(o), db(d), rng(o.seed) {}

  // The knobs whose values are feature columns: every knob of the backend for the task's
  // target, in one order, so that a column means one knob in every task's rows.
  std::vector<backends::TuningKnob> feature_knobs(const TaskState& s) const {
    if (s.space) return {};
    std::vector<backends::TuningKnob> all;
    for (auto kind : {backends::KernelKind::kElementWise, backends::KernelKind::kReduction,
                      backends::KernelKind::kOutFusible, backends::KernelKind::kOpaque}) {
      for (const backends::TuningKnob& k : backend(s).tuning_knobs(kind, s.task->target)) {
        bool seen = false;
        for (const backends::TuningKnob& a : all) seen = seen || a.name == k.name;
        if (!seen) all.push_back(k);
      }
    }
    return all;
  }

  const backends::Backend& backend(const TaskState& s) const {
    return backends::backend_for(s.task->target);
  }

  void init_report(TaskState& s, const Task& t) {
    s.task = &t;
    s.report.kernel = t.name;
    s.report.key = t.key;
    s.report.kind = backends::kernel_kind_name(t.kind);
    s.report.weight = t.weight;
    for (const TuningRecord& r : db.records(t.key, t.target.to_string())) {  // fastest first
      if (s.known.empty()) {
        s.report.best_seconds = r.seconds;
        s.report.best_params = r.params;
      }
      s.known.emplace(r.trace_json, r.seconds);
    }
  }

  // Adds the schedule `sch` made unless it is one already there; true when added.
  bool add_candidate(TaskState& s, const ir::IRSchedule& sch, const backends::ScheduleParams& p) {
    ir::Trace trace = canonical_trace(sch.trace(), *s.task);
    std::string json = trace.to_json();
    for (const Candidate& c : s.cands) {
      if (c.trace_json == json) return false;
    }
    Candidate c;
    c.params = p;
    c.label = s.space ? decisions_string(trace) : params_string(p);
    c.trace_json = json;
    c.features = extract_features(
        backends::lower_to_loops(sch.func(), backend(s).loop_options(options.codegen)), p,
        feature_knobs(s));
    for (const auto& d : ir::IRSchedule::decisions_of(trace)) {
      for (int64_t v : d)
        c.features.push_back(
            static_cast<float>(std::log2(1.0 + static_cast<double>(std::max<int64_t>(v, 0)))));
    }
    // Measured in an earlier run: its time is known.
    if (auto it = s.known.find(json); it != s.known.end()) {
      c.measured = true;
      c.seconds = it->second;
    }
    s.cands.push_back(std::move(c));
    return true;
  }

  // A task of the backend's knob space: the default schedule now, the rest of the space
  // when the task is first picked.
  void add_knob_task(const Task& t) {
    TaskState& s = states.emplace_back();
    init_report(s, t);
    s.knobs = backend(s).tuning_knobs(t.kind, t.target);
    if (s.knobs.empty()) return;
    try {
      ir::IRSchedule sch(t.func);
      backend(s).schedule(sch, t.kind, t.target, {});
      add_candidate(s, sch, {});
    } catch (const Error& e) {  // the default schedule itself fails: nothing to compare with
      s.report.error = e.what();
    }
  }

  // A task of a design space.
  void add_space_task(const Task& t, const DesignSpace& space) {
    TaskState& s = states.emplace_back();
    init_report(s, t);
    s.space = &space;
    // The baseline: the space's first schedule that it makes (an unscheduled nest could
    // take seconds to measure).
    std::string why = "it raised ScheduleError on every draw";
    for (uint64_t k = 0; k < 16 && s.cands.empty(); ++k) {
      try {
        ir::IRSchedule sch(t.func, options.seed + k);
        space(sch);
        add_candidate(s, sch, {});
      } catch (const ScheduleError& e) {
        why = e.what();
      }
    }
    if (s.cands.empty()) {
      s.report.error = "the design space made no schedule in 16 draws: " + why;
      return;
    }
    // The schedules measured by earlier runs: parents for mutations from the start.
    std::map<std::string, double> known = s.known;
    for (const auto& [json, seconds] : known) {
      try {
        add_candidate(s, replay_record(t, json), {});
      } catch (const ScheduleError&) {
        // A record of another design space that does not replay here: not a parent.
      }
    }
  }

  // The knob values' schedules, enumerated once.
  bool grow_knobs(TaskState& s) {
    if (s.built) return false;
    s.built = true;
    size_t before = s.cands.size();
    try {
      s.knobs = relevant_knobs(*s.task, backend(s), s.knobs);
    } catch (const Error& e) {
      s.report.error = e.what();
      return false;
    }
    for (const backends::ScheduleParams& p : knob_sets(s.knobs, options.max_space, rng)) {
      try {
        ir::IRSchedule sch(s.task->func);
        backend(s).schedule(sch, s.task->kind, s.task->target, p);
        add_candidate(s, sch, p);
      } catch (const Error&) {
        // Knob values a template cannot take: not a candidate.
      }
    }
    return s.cands.size() > before;
  }

  // New schedules of a design space: mostly mutations of the fastest measured ones (their
  // decisions with one drawn again), some fresh draws.
  bool grow_space(TaskState& s, size_t want) {
    std::vector<size_t> best;
    for (size_t i = 0; i < s.cands.size(); ++i) {
      if (s.cands[i].seconds > 0) best.push_back(i);
    }
    std::sort(best.begin(), best.end(),
              [&](size_t a, size_t b) { return s.cands[a].seconds < s.cands[b].seconds; });
    best.resize(std::min<size_t>(best.size(), 4));
    size_t added = 0;
    for (size_t attempt = 0; attempt < 16 * want && added < want; ++attempt) {
      ir::IRSchedule sch(s.task->func, rng());
      if (!best.empty() && attempt % 4 != 3) {
        const Candidate& parent = s.cands[best[rng() % best.size()]];
        auto d = ir::IRSchedule::decisions_of(ir::Trace::from_json(parent.trace_json));
        if (!d.empty()) d[rng() % d.size()].clear();
        sch.set_decisions(std::move(d));
      }
      try {
        (*s.space)(sch);
        // Lowering for the features checks more (GPU barriers, scopes): inside the try.
        if (add_candidate(s, sch, {}) && !s.cands.back().measured) ++added;
      } catch (const ScheduleError&) {
        // Decisions this space cannot take.
      }
    }
    return added > 0;
  }

  bool grow(TaskState& s, size_t want) { return s.space ? grow_space(s, want) : grow_knobs(s); }

  size_t unmeasured(const TaskState& s) const {
    return static_cast<size_t>(std::count_if(s.cands.begin(), s.cands.end(),
                                             [](const Candidate& c) { return !c.measured; }));
  }

  // Measures candidate i of s and records it; `counted`: part of the trial budget.
  void measure_one(TaskState& s, size_t i, bool counted = true) {
    Candidate& c = s.cands[i];
    const Task& t = *s.task;
    c.measured = true;
    Measurement m;
    try {
      m = measure(replay_record(t, c.trace_json).func(), t.target, options.codegen,
                  options.measure);
    } catch (const Error& e) {
      m.error = e.what();
    }
    if (counted) ++report.trials;
    if (m.error.empty()) {
      c.seconds = c.seconds == 0 ? m.seconds : std::min(c.seconds, m.seconds);
      db.add(
          {t.key, t.target.to_string(), t.name, s.report.kind, c.trace_json, c.label, m.seconds});
      if (s.report.best_seconds == 0 || m.seconds < s.report.best_seconds) {
        s.report.best_seconds = m.seconds;
        s.report.best_params = c.label;
      }
    } else if (i == 0) {
      s.report.error = m.error;
    }
    if (counted && options.progress)
      options.progress({report.trials, options.trials, t.name, m.seconds});
  }

  void train() {
    std::vector<std::vector<float>> x;
    std::vector<float> y;
    for (const TaskState& s : states) {
      double base = s.cands.empty() ? 0 : s.cands[0].seconds;
      if (base <= 0) continue;
      for (const Candidate& c : s.cands) {
        if (c.measured && c.seconds > 0) {
          x.push_back(c.features);
          y.push_back(static_cast<float>(base / c.seconds));
        }
      }
    }
    if (x.size() >= 4) model.train(x, y);
  }

  // The unmeasured candidates of s in the order to measure them: the model's best n -
  // explore predictions, then the others at random (all at random without a model).
  std::vector<size_t> ranked(const TaskState& s, size_t n) {
    std::vector<size_t> open;
    for (size_t i = 0; i < s.cands.size(); ++i) {
      if (!s.cands[i].measured) open.push_back(i);
    }
    std::shuffle(open.begin(), open.end(), rng);
    if (!model.trained() || open.empty()) return open;
    size_t explore = std::max<size_t>(1, n / 4);
    std::vector<std::vector<float>> x;
    for (size_t i : open) x.push_back(s.cands[i].features);
    std::vector<float> score = model.predict(x);
    std::vector<size_t> order(open.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return score[a] > score[b]; });
    size_t keep = std::min(order.size(), n - std::min(n, explore));
    std::shuffle(order.begin() + static_cast<std::ptrdiff_t>(keep), order.end(), rng);
    std::vector<size_t> out;
    for (size_t k : order) out.push_back(open[k]);
    return out;
  }

  TuneReport run() {
    if (states.empty()) return report;
    // The baselines.
    std::string first_error;
    bool any_ran = false, any_tunable = false;
    for (TaskState& s : states) {
      if (s.cands.empty()) continue;
      any_tunable = true;
      if (!s.cands[0].measured && report.trials < options.trials) measure_one(s, 0);
      if (s.cands[0].seconds > 0) any_ran = true;
      if (first_error.empty() && !s.report.error.empty()) first_error = s.report.error;
    }
    if (any_tunable && !any_ran && !first_error.empty()) {
      CINN_THROW(CompileError) << "tune: no kernel could be measured on target "
                               << states[0].task->target.to_string() << ": " << first_error;
    }
    train();

    size_t batch = static_cast<size_t>(std::max(options.batch, 1));
    while (report.trials < options.trials) {
      TaskState* pick = nullptr;
      double cost = -1;
      for (TaskState& s : states) {
        if (s.cands.empty() || s.cands[0].seconds <= 0 || !s.report.error.empty() || s.exhausted)
          continue;
        // A task's share of the program's time, decaying with the rounds it already had:
        // rounds go to tasks in proportion to what they cost, and none exhausts its space
        // while a costlier one has not been searched.
        double c = s.task->weight * s.report.best_seconds / (1.0 + s.rounds);
        if (c > cost) cost = c, pick = &s;
      }
      if (!pick) break;
      size_t n = std::min(batch, static_cast<size_t>(options.trials - report.trials));
      if (unmeasured(*pick) < n) grow(*pick, 2 * batch);
      if (unmeasured(*pick) == 0) {
        pick->exhausted = true;
        continue;
      }
      std::vector<size_t> order = ranked(*pick, n);
      for (size_t k = 0; k < std::min(n, order.size()); ++k) measure_one(*pick, order[k]);
      ++pick->rounds;
      train();
    }

    // Confirm: a task's best schedule and its baseline are measured once more, one after
    // the other, so that a baseline measured while the machine was busy does not make a
    // slower schedule look better. Not counted in the trials.
    for (TaskState& s : states) {
      if (s.cands.size() < 2 || s.cands[0].seconds <= 0) continue;
      size_t best = 0;
      for (size_t i = 1; i < s.cands.size(); ++i) {
        if (s.cands[i].seconds > 0 && s.cands[i].seconds < s.cands[best].seconds) best = i;
      }
      if (best == 0) continue;
      measure_one(s, 0, false);
      measure_one(s, best, false);
    }

    for (TaskState& s : states) {
      if (!s.report.error.empty() && s.cands.empty()) {
        s.report.candidates = 0;  // the baseline itself failed
      } else if (s.space || s.built) {
        s.report.candidates = static_cast<int>(s.cands.size());
      } else {
        s.report.candidates = s.cands.empty() ? 1 : -1;  // 1: no knobs; -1: never picked
      }
      std::set<std::string> traces;
      for (const TuningRecord& r : db.records(s.task->key, s.task->target.to_string()))
        traces.insert(r.trace_json);
      s.report.measured = static_cast<int>(traces.size());
      s.report.default_seconds = s.cands.empty() ? 0 : s.cands[0].seconds;
      const TaskReport& r = s.report;
      if (!r.error.empty()) {
        CINN_LOG(kInfo) << "tune: " << r.kernel << " (x" << r.weight << "): not tuned: " << r.error;
      } else {
        CINN_LOG(kInfo) << "tune: " << r.kernel << " (x" << r.weight << "): default " << std::fixed
                        << std::setprecision(4) << r.default_seconds * 1e3 << " ms, best " << r.best_seconds * 1e3
                        << " ms (" << (r.best_params.empty() ? "default" : r.best_params) << "), " << r.measured
                        << " schedules measured";
      }
      report.tasks.push_back(s.report);
    }
    return report;
  }
};

}  // namespace

TuneReport tune(const std::vector<Task>& tasks, Database& db, const TuneOptions& options) {
  Searcher searcher(db, options);
  searcher.states.reserve(tasks.size());
  for (const Task& t : tasks) searcher.add_knob_task(t);
  return searcher.run();
}

TuneReport tune_space(const Task& task, const DesignSpace& space, Database& db,
                      const TuneOptions& options) {
  Searcher searcher(db, options);
  searcher.add_space_task(task, space);
  return searcher.run();
}

}  // namespace cinn::auto_schedule
