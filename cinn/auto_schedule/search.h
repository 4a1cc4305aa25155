// The search: tunes the knobs of a backend's schedule templates (Backend::tuning_knobs) for
// each task of a program (tune), or the sampled decisions of a kernel author's design space
// (tune_space), measuring candidates on the machine and recording every measurement in the
// database.
//
// A task's search space is the set of distinct schedules (distinct canonical traces) that
// the backend's default rules make from the knob values: the product of the knobs'
// candidates, or a random sample of it when larger than `max_space`, over the knobs that
// change the task's schedule when set alone (a matmul's templates do not read the conv2d
// knobs). Tasks without such knobs have one schedule and are not tuned.
//
// Rounds: the default schedule of every task is measured first (the baseline). Each later
// round takes the task with the largest weight x best time / (1 + its rounds so far), so
// that rounds go to tasks in proportion to their cost, and measures a batch of
// its unmeasured candidates: the cost model's best predictions and a quarter at random
// (all at random until the model has data). A task's space is built the first time it is
// picked. The model is retrained after each round on every measurement. Candidates already
// in the database count as measured and are not run again, so a second tune continues
// where the first stopped. At the end, each task whose best schedule is not its default
// measures both once more (outside the trial budget), so that a baseline taken while the
// machine was busy does not make a slower schedule look better.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "cinn/auto_schedule/database.h"
#include "cinn/auto_schedule/measure.h"
#include "cinn/auto_schedule/task.h"

namespace cinn::auto_schedule {

struct TuneProgress {
  int done = 0;   // measurements so far (this run)
  int total = 0;  // the budget
  std::string kernel;
  double seconds = 0;  // this measurement; 0 when it failed
};

struct TuneOptions {
  int trials = 64;  // measurements, over all tasks, the default schedules included
  int batch = 8;    // measured per round
  int max_space = 256;
  uint64_t seed = 0;
  MeasureOptions measure;
  backends::CodegenOptions codegen;
  std::function<void(const TuneProgress&)> progress;
};

struct TaskReport {
  std::string kernel;
  std::string key;
  std::string kind;
  int weight = 1;
  int candidates = 0;          // distinct schedules in its space; -1: not built (never picked)
  int measured = 0;            // of them, measured (in this run or earlier ones)
  double default_seconds = 0;  // 0 when not measured
  double best_seconds = 0;
  std::string best_params;  // knob values ("" for the default) or a design space's decisions
  std::string error;        // why the task could not be tuned
};

struct TuneReport {
  std::vector<TaskReport> tasks;
  int trials = 0;  // measurements made by this run
};

// Tunes the tasks over their backend's knobs. CompileError when the tasks' target cannot
// run kernels here (no CUDA device).
TuneReport tune(const std::vector<Task>& tasks, Database& db, const TuneOptions& options);

// A design space: schedules a fresh IRSchedule of a function with sampling primitives
// (sample_perfect_tile, sample_categorical) deciding what varies. ScheduleError from it
// means "these decisions do not make a schedule" and drops the candidate.
using DesignSpace = std::function<void(ir::IRSchedule& sch)>;

// Tunes one function over a design space (a kernel author's schedule with sampled
// decisions). Candidates are the space's schedules under random draws and, once some are
// measured, mutations of the fastest: their decisions with one drawn again
// (IRSchedule::set_decisions). The baseline is the space's first schedule (seeded by
// options.seed). Otherwise as tune(): the same cost model, measurement, database and
// report; a space that makes no schedule is the task's error.
TuneReport tune_space(const Task& task, const DesignSpace& space, Database& db,
                      const TuneOptions& options);

}  // namespace cinn::auto_schedule
