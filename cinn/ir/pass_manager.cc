#include "cinn/ir/pass_manager.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <system_error>

#include "cinn/ir/verifier.h"

namespace cinn::ir {
namespace {

namespace fs = std::filesystem;

// Function and pass names become file names: keep [A-Za-z0-9_.-], map the rest to '_'.
std::string file_safe(const std::string& name) {
  std::string out = name.empty() ? std::string("_") : name;
  for (char& c : out) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-';
    if (!ok) c = '_';
  }
  if (out == "." || out == "..") out = "_";
  return out;
}

class Dumper {
 public:
  Dumper(const std::string& root, const std::string& func_name) {
    if (root.empty()) return;
    dir_ = fs::path(root) / file_safe(func_name);
    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (ec || !fs::is_directory(dir_)) {
      CINN_THROW(CompileError) << "IR dump (CINN_DUMP_DIR): cannot create directory '"
                               << dir_.string() << "'" << (ec ? ": " + ec.message() : "");
    }
  }

  void dump(int index, const std::string& pass_name, const LoweredFunc& f) const {
    if (dir_.empty()) return;
    std::ostringstream file;
    file << std::setw(2) << std::setfill('0') << index << "_" << file_safe(pass_name) << ".txt";
    fs::path path = dir_ / file.str();
    std::ofstream os(path, std::ios::trunc);
    if (os) os << f.to_string();
    os.close();
    if (!os) {
      CINN_THROW(CompileError) << "IR dump (CINN_DUMP_DIR): cannot write '" << path.string() << "'";
    }
  }

 private:
  fs::path dir_;
};

}  // namespace

PassManager::PassManager(std::optional<std::string> dump_dir) : dump_dir_(std::move(dump_dir)) {}

PassManager& PassManager::add(const std::string& name, std::function<Stmt(const Stmt&)> pass) {
  CINN_CHECK(pass) << "pass '" << name << "' has no function";
  return add_func(
      name, [pass = std::move(pass)](const LoweredFunc& f) { return f.with_body(pass(f.body())); });
}

PassManager& PassManager::add_func(const std::string& name,
                                   std::function<LoweredFunc(const LoweredFunc&)> pass) {
  CINN_CHECK(!name.empty()) << "a pass needs a name";
  CINN_CHECK(pass) << "pass '" << name << "' has no function";
  passes_.push_back({name, std::move(pass)});
  return *this;
}

std::vector<std::string> PassManager::pass_names() const {
  std::vector<std::string> out;
  for (const Pass& p : passes_) out.push_back(p.name);
  return out;
}

LoweredFunc PassManager::run(const LoweredFunc& f) const {
  std::string root;
  if (dump_dir_) {
    root = *dump_dir_;
  } else if (const char* env = std::getenv("CINN_DUMP_DIR")) {
    root = env;
  }
  Dumper dumper(root, f.name());
  dumper.dump(0, "input", f);
  try {
    verify(f);
  } catch (const InternalError& e) {
    CINN_THROW(InternalError) << "the input of the loop passes does not verify: " << e.what();
  }
  LoweredFunc cur = f;
  for (size_t i = 0; i < passes_.size(); ++i) {
    const Pass& p = passes_[i];
    try {
      cur = p.run(cur);
    } catch (const InternalError& e) {
      CINN_THROW(InternalError) << "pass '" << p.name << "' failed: " << e.what();
    }
    dumper.dump(static_cast<int>(i + 1), p.name, cur);
    try {
      verify(cur);
    } catch (const InternalError& e) {
      CINN_THROW(InternalError) << "pass '" << p.name
                                << "' produced IR that does not verify: " << e.what();
    }
  }
  return cur;
}

}  // namespace cinn::ir
