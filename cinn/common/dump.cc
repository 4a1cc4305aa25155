#include "cinn/common/dump.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <system_error>

#include "cinn/common/error.h"

namespace cinn::common {

namespace fs = std::filesystem;

std::string dump_root(const std::optional<std::string>& explicit_dir) {
  if (explicit_dir) return *explicit_dir;
  const char* env = std::getenv("CINN_DUMP_DIR");
  return env ? std::string(env) : std::string();
}

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

Dumper::Dumper(const std::string& root, const std::string& unit) {
  if (root.empty()) return;
  fs::path dir = fs::path(root) / file_safe(unit);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir)) {
    CINN_THROW(CompileError) << "IR dump (CINN_DUMP_DIR): cannot create directory '"
                             << dir.string() << "'" << (ec ? ": " + ec.message() : "");
  }
  dir_ = dir.string();
}

void Dumper::dump(int index, const std::string& pass_name, const std::string& text) const {
  if (dir_.empty()) return;
  std::ostringstream file;
  file << std::setw(2) << std::setfill('0') << index << "_" << file_safe(pass_name) << ".txt";
  fs::path path = fs::path(dir_) / file.str();
  std::ofstream os(path, std::ios::trunc);
  if (os) os << text;
  os.close();
  if (!os) CINN_THROW(CompileError) << "IR dump (CINN_DUMP_DIR): cannot write '" << path.string() << "'";
}

}  // namespace cinn::common
