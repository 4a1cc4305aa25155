// Helpers of the C backend tests: compiling generated C with the system compiler, loading it
// with dlopen, and building IR by hand.
#pragma once

#include <dlfcn.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "cinn/backends/c/codegen_c.h"
#include "cinn/ir/ir_operators.h"

namespace cinn::backends::c::test_util {

using common::Bool;
using common::Float;
using common::Int;
using common::UInt;
using ir::Argument;
using ir::Buffer;
using ir::Expr;
using ir::ForKind;
using ir::LoweredFunc;
using ir::Stmt;
using ir::Var;

using Kernel = void (*)(void**, const int64_t*);

inline const Argument::Kind kIn = Argument::Kind::kInput;
inline const Argument::Kind kOut = Argument::Kind::kOutput;

// A fresh directory under the system's temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "cinn_c_test_XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}
inline std::string read_file(const std::string& path) {
  std::ostringstream os;
  os << std::ifstream(path).rdbuf();
  return os.str();
}

// Runs `cc <flags>` on `source`; returns "" on success, else the compiler's messages.
inline std::string run_cc(const TempDir& dir, const std::string& source, const std::string& flags,
                          const std::string& output) {
  write_file(dir.file("kernel.c"), source);
  std::string cmd = "cc " + flags + " -o " + output + " " + dir.file("kernel.c") + " -lm > " +
                    dir.file("cc.log") + " 2>&1";
  if (std::system(cmd.c_str()) == 0) return "";
  return "$ " + cmd + "\n" + read_file(dir.file("cc.log")) + "\n--- source ---\n" + source;
}

// Generated C compiled into a shared object and loaded.
class CompiledC {
 public:
  explicit CompiledC(const std::string& source) {
    std::string log = run_cc(dir_, source, "-std=c99 -O2 -Wall -Wextra -Werror -shared -fPIC",
                             dir_.file("kernel.so"));
    if (!log.empty()) throw std::runtime_error("C compilation failed:\n" + log);
    handle_ = dlopen(dir_.file("kernel.so").c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle_) throw std::runtime_error(std::string("dlopen: ") + dlerror());
  }
  CompiledC(const CompiledC&) = delete;
  CompiledC& operator=(const CompiledC&) = delete;
  ~CompiledC() {
    if (handle_) dlclose(handle_);
  }
  void* symbol(const std::string& name) const {
    void* sym = dlsym(handle_, name.c_str());
    if (!sym) throw std::runtime_error("no symbol " + name);
    return sym;
  }
  Kernel get(const std::string& name) const { return reinterpret_cast<Kernel>(symbol(name)); }

 private:
  TempDir dir_;
  void* handle_ = nullptr;
};

inline Kernel compile(const LoweredFunc& f, std::unique_ptr<CompiledC>* keep) {
  *keep = std::make_unique<CompiledC>(codegen_c(f));
  return (*keep)->get(f.name());
}

inline Stmt loop(Expr var, Expr min, Expr extent, Stmt body, ForKind kind = ForKind::kSerial) {
  return ir::For::make(std::move(var), std::move(min), std::move(extent), kind, std::move(body));
}
inline Expr load(const Buffer& b, std::vector<Expr> idx) {
  return ir::Load::make(b, std::move(idx));
}
inline Stmt store(const Buffer& b, Expr v, std::vector<Expr> idx) {
  return ir::Store::make(b, std::move(v), std::move(idx));
}
inline Expr call(Type t, const std::string& name, std::vector<Expr> args) {
  return ir::Call::make(t, name, std::move(args), ir::Call::Kind::kIntrinsic);
}

inline std::vector<float> random_floats(size_t n, float lo, float hi, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

// Python's // and %, the IR's integer Div and Mod.
inline int64_t floordiv(int64_t a, int64_t b) {
  if (b == -1) return static_cast<int64_t>(0 - static_cast<uint64_t>(a));
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}
inline int64_t floormod(int64_t a, int64_t b) {
  if (b == -1) return 0;
  int64_t r = a % b;
  return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}

}  // namespace cinn::backends::c::test_util
