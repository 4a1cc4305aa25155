// The tuning database: measured schedules of tuning tasks, in an SQLite file.
//
// One row per measurement: the task's key and target, the trace of the schedule in the
// task's canonical naming (task.h) as JSON, the knob values that produced it, and the
// measured time. The best record of a task is its fastest row. The file carries a format
// version; opening a file that is not a tuning database (or of another version) is an
// error, never a silent reset. Several processes may read it; writes are transactions.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace cinn::auto_schedule {

struct TuningRecord {
  std::string task_key;
  std::string target;
  std::string kernel;  // the kernel it was measured on (for people reading the file)
  std::string kind;
  std::string trace_json;  // canonical names
  // The knob values, "name=value,..." ("" for the default schedule); for a design space,
  // its decisions ("16x4 8x8 choose 32": tile factors, chosen values).
  std::string params;
  double seconds = 0;
};

class Database {
 public:
  // Opens the database at `path`, creating it when missing if `create` (tuning does;
  // compiling with a database does not: a mistyped path is an error, not an empty
  // database). CompileError when the file is missing (and not created), cannot be opened or
  // created, or is not a CINN tuning database of this format.
  explicit Database(const std::string& path, bool create = true);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  const std::string& path() const { return path_; }
  void add(const TuningRecord& record);
  // The fastest record of a task, if any.
  std::optional<TuningRecord> best(const std::string& task_key, const std::string& target) const;
  // Every record of a task, fastest first.
  std::vector<TuningRecord> records(const std::string& task_key, const std::string& target) const;
  int64_t size() const;
  // A digest of every task's best record: what a compile that reads this database depends
  // on (part of the compile cache key).
  std::string digest() const;

 private:
  std::vector<TuningRecord> query(const std::string& task_key, const std::string& target,
                                  int64_t limit) const;
  struct Impl;
  std::string path_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cinn::auto_schedule
