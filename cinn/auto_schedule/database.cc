#include "cinn/auto_schedule/database.h"

#include <sqlite3.h>

#include <filesystem>

#include "cinn/auto_schedule/task.h"
#include "cinn/common/error.h"

namespace cinn::auto_schedule {
namespace {

constexpr const char* kFormat = "cinn-tuning-1";

// A prepared statement, finalized on scope exit.
class Statement {
 public:
  Statement(sqlite3* db, const std::string& path, const char* sql) : db_(db), path_(path) {
    if (sqlite3_prepare_v2(db, sql, -1, &st_, nullptr) != SQLITE_OK) fail("prepare");
  }
  ~Statement() { sqlite3_finalize(st_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int i, const std::string& s) {
    sqlite3_bind_text(st_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& bind(int i, double v) {
    sqlite3_bind_double(st_, i, v);
    return *this;
  }
  // True while there is a row; throws on an error.
  bool step() {
    int rc = sqlite3_step(st_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail("step");
    return false;
  }
  std::string text(int col) const {
    const unsigned char* t = sqlite3_column_text(st_, col);
    return t ? std::string(reinterpret_cast<const char*>(t), sqlite3_column_bytes(st_, col)) : "";
  }
  double real(int col) const { return sqlite3_column_double(st_, col); }
  int64_t integer(int col) const { return sqlite3_column_int64(st_, col); }

 private:
  [[noreturn]] void fail(const char* what) const {
    CINN_THROW(CompileError) << "tuning database " << path_ << ": " << what
                             << " failed: " << sqlite3_errmsg(db_);
  }
  sqlite3* db_;
  std::string path_;
  sqlite3_stmt* st_ = nullptr;
};

TuningRecord read_record(const Statement& s) {
  TuningRecord r;
  r.task_key = s.text(0);
  r.target = s.text(1);
  r.kernel = s.text(2);
  r.kind = s.text(3);
  r.trace_json = s.text(4);
  r.params = s.text(5);
  r.seconds = s.real(6);
  return r;
}

constexpr const char* kColumns = "task_key, target, kernel, kind, trace, params, seconds";

}  // namespace

struct Database::Impl {
  sqlite3* db = nullptr;
  ~Impl() { sqlite3_close(db); }
};

Database::Database(const std::string& path, bool create)
    : path_(path), impl_(std::make_unique<Impl>()) {
  if (path.empty()) CINN_THROW(CompileError) << "tuning database: the path is empty";
  if (!create && !std::filesystem::exists(path)) {
    CINN_THROW(CompileError) << "tuning database " << path
                             << " does not exist (cinn.tune writes one)";
  }
  int flags = create ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY;
  if (sqlite3_open_v2(path.c_str(), &impl_->db, flags, nullptr) != SQLITE_OK) {
    std::string why = impl_->db ? sqlite3_errmsg(impl_->db) : "out of memory";
    CINN_THROW(CompileError) << "tuning database " << path << ": cannot open it: " << why;
  }
  sqlite3_busy_timeout(impl_->db, 10000);
  auto not_ours = [&](const std::string& why) {
    CINN_THROW(CompileError) << "tuning database " << path << ": not a CINN tuning database ("
                             << why << ")";
  };
  auto exec = [&](const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(impl_->db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string why = err ? err : "unknown error";
      sqlite3_free(err);
      not_ours(why);
    }
  };
  // Which tables are there (a file that is not SQLite fails here).
  int64_t tables = 0;
  bool has_meta = false, has_records = false;
  {
    char* err = nullptr;
    struct Seen {
      int64_t* tables;
      bool *meta, *records;
    } seen{&tables, &has_meta, &has_records};
    int rc = sqlite3_exec(
        impl_->db, "SELECT name FROM sqlite_master WHERE type = 'table'",
        [](void* p, int, char** cols, char**) {
          auto* s = static_cast<Seen*>(p);
          ++*s->tables;
          std::string name = cols[0] ? cols[0] : "";
          *s->meta = *s->meta || name == "meta";
          *s->records = *s->records || name == "records";
          return 0;
        },
        &seen, &err);
    if (rc != SQLITE_OK) {
      std::string why = err ? err : "unknown error";
      sqlite3_free(err);
      not_ours(why);
    }
  }
  if (!has_meta) {
    // Only an empty database becomes a tuning database; another program's file stays as it is.
    if (!create || tables > 0) not_ours("it has no format table");
    exec("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    Statement w(impl_->db, path_, "INSERT INTO meta (key, value) VALUES ('format', ?)");
    w.bind(1, std::string(kFormat)).step();
    exec(
        "CREATE TABLE records (id INTEGER PRIMARY KEY, task_key TEXT NOT NULL, "
        "target TEXT NOT NULL, kernel TEXT NOT NULL, kind TEXT NOT NULL, trace TEXT NOT NULL, "
        "params TEXT NOT NULL, seconds REAL NOT NULL, created TEXT DEFAULT CURRENT_TIMESTAMP)");
    exec("CREATE INDEX records_task ON records (task_key, target, seconds)");
    return;
  }
  Statement s(impl_->db, path_, "SELECT value FROM meta WHERE key = 'format'");
  if (!s.step()) not_ours("its format table has no format");
  if (s.text(0) != kFormat) {
    CINN_THROW(CompileError) << "tuning database " << path << ": format '" << s.text(0)
                             << "', this build reads '" << kFormat << "'";
  }
  if (!has_records) not_ours("it has no records table");
}

Database::~Database() = default;

void Database::add(const TuningRecord& r) {
  Statement s(impl_->db, path_,
              "INSERT INTO records (task_key, target, kernel, kind, trace, params, seconds) "
              "VALUES (?, ?, ?, ?, ?, ?, ?)");
  s.bind(1, r.task_key).bind(2, r.target).bind(3, r.kernel).bind(4, r.kind).bind(5, r.trace_json);
  s.bind(6, r.params).bind(7, r.seconds).step();
}

// A task's records, fastest first (ties: the oldest); at most `limit` of them (0: all).
std::vector<TuningRecord> Database::query(const std::string& task_key, const std::string& target,
                                          int64_t limit) const {
  std::string sql = std::string("SELECT ") + kColumns +
                    " FROM records WHERE task_key = ? AND target = ? ORDER BY seconds, id" +
                    (limit > 0 ? " LIMIT " + std::to_string(limit) : "");
  Statement s(impl_->db, path_, sql.c_str());
  s.bind(1, task_key).bind(2, target);
  std::vector<TuningRecord> out;
  while (s.step()) out.push_back(read_record(s));
  return out;
}

std::vector<TuningRecord> Database::records(const std::string& task_key,
                                            const std::string& target) const {
  return query(task_key, target, 0);
}

std::optional<TuningRecord> Database::best(const std::string& task_key,
                                           const std::string& target) const {
  std::vector<TuningRecord> first = query(task_key, target, 1);
  if (first.empty()) return std::nullopt;
  return first[0];
}

int64_t Database::size() const {
  Statement s(impl_->db, path_, "SELECT COUNT(*) FROM records");
  s.step();
  return s.integer(0);
}

std::string Database::digest() const {
  // Per task and target, the trace of the fastest row (ties: the oldest).
  Statement s(impl_->db, path_,
              "SELECT r.task_key, r.target, r.trace FROM records r WHERE r.id = "
              "(SELECT q.id FROM records q WHERE q.task_key = r.task_key AND q.target = r.target "
              "ORDER BY q.seconds, q.id LIMIT 1) ORDER BY r.task_key, r.target");
  std::string all;
  while (s.step()) all += s.text(0) + '\n' + s.text(1) + '\n' + s.text(2) + '\n';
  return stable_hash(all);
}

}  // namespace cinn::auto_schedule
