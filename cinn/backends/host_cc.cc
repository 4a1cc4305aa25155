#include "cinn/backends/host_cc.h"

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cinn/common/error.h"

namespace cinn::backends {
namespace {

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

}  // namespace

std::string host_cc() {
  const char* cc = std::getenv("CC");
  return cc && *cc ? cc : "cc";
}

std::string link_host_library(const std::vector<std::pair<std::string, std::string>>& inputs,
                              const std::vector<std::string>& flags) {
  namespace fs = std::filesystem;
  std::string tmpl = (fs::temp_directory_path() / "cinn-cc-XXXXXX").string();
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data())) CINN_THROW(CompileError) << "host compiler: cannot create a directory in " << tmpl;
  fs::path dir(buf.data());
  struct Cleanup {
    fs::path d;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(d, ec);
    }
  } cleanup{dir};
  std::string cmd = host_cc();
  for (const std::string& f : flags) cmd += " " + quote(f);
  for (const auto& [name, bytes] : inputs) {
    std::ofstream out(dir / name, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) CINN_THROW(CompileError) << "host compiler: cannot write " << (dir / name).string();
    cmd += " " + quote((dir / name).string());
  }
  cmd += " -shared -o " + quote((dir / "lib.so").string()) +
         " -lm > " + quote((dir / "log.txt").string()) + " 2>&1";
  int rc = std::system(cmd.c_str());
  if (rc != 0 || !fs::exists(dir / "lib.so")) {
    int status = rc != -1 && WIFEXITED(rc) ? WEXITSTATUS(rc) : rc;
    CINN_THROW(CompileError) << "host compiler failed (exit status " << status << "): " << cmd << "\n"
                             << read_file(dir / "log.txt");
  }
  return read_file(dir / "lib.so");
}

}  // namespace cinn::backends
