// auto_schedule/database: records persist across opens, the best is the fastest, the
// digest follows the best records, and a file of another kind is an error, not a reset.
#include "cinn/auto_schedule/database.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>

#include "cinn/common/error.h"

namespace cinn::auto_schedule {
namespace {

namespace fs = std::filesystem;

std::string temp_path(const std::string& name) {
  fs::path p =
      fs::temp_directory_path() / ("cinn_db_test_" + std::to_string(::getpid()) + "_" + name);
  fs::remove(p);
  return p.string();
}

TEST(Database, RecordsPersistAndTheFastestIsBest) {
  std::string path = temp_path("a.db");
  std::string d0;
  {
    Database db(path);
    EXPECT_EQ(db.size(), 0);
    EXPECT_FALSE(db.best("k1", "x86").has_value());
    d0 = db.digest();
    db.add({"k1", "x86", "fn0", "out_fusible", "{\"steps\":[1]}", "", 2.0e-3});
    db.add({"k1", "x86", "fn0", "out_fusible", "{\"steps\":[2]}", "matmul_mr=4", 1.0e-3});
    db.add({"k1", "cuda", "fn0", "out_fusible", "{\"steps\":[3]}", "", 0.5e-3});
    db.add({"k2", "x86", "fn1", "reduction", "{\"steps\":[4]}", "", 3.0e-3});
  }
  Database db(path);
  EXPECT_EQ(db.size(), 4);
  auto best = db.best("k1", "x86");
  ASSERT_TRUE(best.has_value());
  EXPECT_EQ(best->params, "matmul_mr=4");
  EXPECT_EQ(best->trace_json, "{\"steps\":[2]}");
  EXPECT_DOUBLE_EQ(best->seconds, 1.0e-3);
  auto all = db.records("k1", "x86");
  ASSERT_EQ(all.size(), 2u);
  EXPECT_LE(all[0].seconds, all[1].seconds);
  EXPECT_EQ(db.best("k1", "cuda")->trace_json, "{\"steps\":[3]}");

  // The digest changes when a best record changes, not when a slower one is added.
  std::string d1 = db.digest();
  EXPECT_NE(d0, d1);
  db.add({"k1", "x86", "fn0", "out_fusible", "{\"steps\":[5]}", "", 9.0e-3});
  EXPECT_EQ(db.digest(), d1);
  db.add({"k1", "x86", "fn0", "out_fusible", "{\"steps\":[6]}", "", 0.1e-3});
  EXPECT_NE(db.digest(), d1);
  fs::remove(path);
}

TEST(Database, OtherFilesAreErrors) {
  std::string text = temp_path("text.db");
  std::ofstream(text)
      << "this is not a database, but it is long enough to have a header of sorts.....\n";
  EXPECT_THROW(Database{text}, CompileError);
  fs::remove(text);

  // An SQLite file of another format version.
  std::string other = temp_path("other.db");
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(other.c_str(), &raw), SQLITE_OK);
  sqlite3_exec(raw,
               "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT); INSERT INTO meta VALUES "
               "('format', 'cinn-tuning-0')",
               nullptr, nullptr, nullptr);
  sqlite3_close(raw);
  try {
    Database db(other);
    FAIL() << "opened a database of another format";
  } catch (const CompileError& e) {
    EXPECT_NE(std::string(e.what()).find("cinn-tuning-0"), std::string::npos) << e.what();
  }
  fs::remove(other);

  // Another program's SQLite file is neither adopted nor modified.
  std::string foreign = temp_path("foreign.db");
  ASSERT_EQ(sqlite3_open(foreign.c_str(), &raw), SQLITE_OK);
  sqlite3_exec(raw, "CREATE TABLE foo (a INTEGER)", nullptr, nullptr, nullptr);
  sqlite3_close(raw);
  EXPECT_THROW(Database(foreign, /*create=*/true), CompileError);
  EXPECT_THROW(Database(foreign, /*create=*/false), CompileError);
  ASSERT_EQ(sqlite3_open(foreign.c_str(), &raw), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(raw, "SELECT COUNT(*) FROM sqlite_master", -1, &st, nullptr);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(st, 0), 1);  // only foo
  sqlite3_finalize(st);
  sqlite3_close(raw);
  fs::remove(foreign);

  // Reading never creates: a missing file or an empty one is an error.
  std::string missing = temp_path("missing.db");
  EXPECT_THROW(Database(missing, /*create=*/false), CompileError);
  EXPECT_FALSE(fs::exists(missing));
  std::ofstream(missing).close();
  EXPECT_THROW(Database(missing, /*create=*/false), CompileError);
  { Database created(missing, /*create=*/true); }  // an empty file becomes a database
  EXPECT_EQ(Database(missing, /*create=*/false).size(), 0);
  fs::remove(missing);

  EXPECT_THROW(Database{"/nonexistent-dir/x/y.db"}, CompileError);
  EXPECT_THROW(Database{""}, CompileError);
}

}  // namespace
}  // namespace cinn::auto_schedule
