// cinn_run: loads a saved artifact (Executable.save / cinn.load) and runs it on .npy inputs.
// Part of the runtime-only build (tools/runtime_only): no LLVM, MLIR or isl.
//
//   cinn_run DIR [--input NAME=FILE.npy]... [--out-dir OUT] [--repeat N] [--check]
//
// Inputs not given with --input are read from DIR/inputs/NAME.npy. Outputs are written to
// OUT/<i>.npy (output i in order) when --out-dir is given. --repeat N runs N more times
// after the first and prints the mean time per run (on a GPU, also the mean time of runs
// whose inputs and outputs stay in device memory). --check compares output i with
// DIR/expected/<i>.npy (tolerances from DIR/expected/tolerance.txt, "rtol atol", default
// 1e-5 1e-5) and exits 1 on a mismatch. Errors print a message and exit 2.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "cinn/common/error.h"
#include "cinn/runtime/artifact.h"

namespace {

using cinn::common::Type;
namespace fs = std::filesystem;

struct Array {
  std::string descr;
  std::vector<int64_t> shape;
  std::string data;
};

std::string npy_descr(const Type& t) {
  if (t.is_bool()) return "|b1";
  char kind = t.is_float() && !t.is_bfloat() ? 'f' : t.is_int() ? 'i' : t.is_uint() ? 'u' : '?';
  if (kind == '?') CINN_THROW(ExecutionError) << "dtype " << t.to_string() << " has no .npy equivalent";
  return std::string(t.bytes() == 1 ? "|" : "<") + kind + std::to_string(t.bytes());
}

Array read_npy(const std::string& path) {
  std::ifstream is(path, std::ios::binary);
  if (!is) CINN_THROW(ExecutionError) << "cannot read '" << path << "'";
  std::string file((std::istreambuf_iterator<char>(is)), std::istreambuf_iterator<char>());
  if (file.size() < 10 || file.compare(0, 6, "\x93NUMPY") != 0) {
    CINN_THROW(ExecutionError) << "'" << path << "' is not a .npy file";
  }
  int major = static_cast<unsigned char>(file[6]);
  size_t hlen = 0, off = 0;
  if (major == 1) {
    hlen = static_cast<unsigned char>(file[8]) | static_cast<unsigned char>(file[9]) << 8;
    off = 10;
  } else {
    if (file.size() < 12) CINN_THROW(ExecutionError) << "'" << path << "': truncated header";
    for (int i = 0; i < 4; ++i) hlen |= static_cast<size_t>(static_cast<unsigned char>(file[8 + i])) << (8 * i);
    off = 12;
  }
  if (off + hlen > file.size()) CINN_THROW(ExecutionError) << "'" << path << "': truncated header";
  std::string header = file.substr(off, hlen);
  auto value = [&](const std::string& key) {
    size_t k = header.find("'" + key + "'");
    if (k == std::string::npos) CINN_THROW(ExecutionError) << "'" << path << "': no " << key << " in the header";
    return header.substr(header.find(':', k) + 1);
  };
  Array a;
  std::string d = value("descr");
  size_t q1 = d.find('\''), q2 = d.find('\'', q1 + 1);
  a.descr = d.substr(q1 + 1, q2 - q1 - 1);
  if (value("fortran_order").find("True") < value("fortran_order").find(',')) {
    CINN_THROW(ExecutionError) << "'" << path << "': Fortran-ordered arrays are not supported";
  }
  std::string s = value("shape");
  s = s.substr(s.find('(') + 1, s.find(')') - s.find('(') - 1);
  std::istringstream ss(s);
  for (std::string tok; std::getline(ss, tok, ',');) {
    if (tok.find_first_not_of(" ") != std::string::npos) a.shape.push_back(std::stoll(tok));
  }
  a.data = file.substr(off + hlen);
  return a;
}

void write_npy(const std::string& path, const std::string& descr, const std::vector<int64_t>& shape,
               const void* data, size_t bytes) {
  std::string shape_s = "(";
  for (int64_t d : shape) shape_s += std::to_string(d) + ",";
  if (shape.size() > 1) shape_s.pop_back();
  shape_s += ")";
  std::string header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape_s + ", }";
  while ((10 + header.size() + 1) % 64) header += ' ';
  header += '\n';
  std::ofstream os(path, std::ios::binary);
  os.write("\x93NUMPY\x01\x00", 8);
  char len[2] = {static_cast<char>(header.size() & 0xff), static_cast<char>(header.size() >> 8)};
  os.write(len, 2);
  os << header;
  os.write(static_cast<const char*>(data), static_cast<std::streamsize>(bytes));
  if (!os) CINN_THROW(ExecutionError) << "cannot write '" << path << "'";
}

double element(const std::string& descr, const char* p, size_t i) {
  if (descr == "<f4") return reinterpret_cast<const float*>(p)[i];
  if (descr == "<f8") return reinterpret_cast<const double*>(p)[i];
  if (descr == "<i4") return reinterpret_cast<const int32_t*>(p)[i];
  if (descr == "<i8") return static_cast<double>(reinterpret_cast<const int64_t*>(p)[i]);
  if (descr == "<i2") return reinterpret_cast<const int16_t*>(p)[i];
  if (descr == "<f2") {  // IEEE binary16
    uint16_t h = reinterpret_cast<const uint16_t*>(p)[i];
    int e = (h >> 10) & 31, m = h & 1023;
    double v = e == 0 ? std::ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : std::ldexp(m + 1024, e - 25);
    return (h & 0x8000) ? -v : v;
  }
  if (descr == "|i1") return reinterpret_cast<const int8_t*>(p)[i];
  if (descr == "|u1" || descr == "|b1") return reinterpret_cast<const uint8_t*>(p)[i];
  CINN_THROW(ExecutionError) << "cannot compare arrays of dtype " << descr;
}

int run(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: cinn_run DIR [--input NAME=FILE.npy]... [--out-dir OUT] [--repeat N] [--check]\n";
    return 2;
  }
  std::string dir = argv[1], out_dir;
  std::map<std::string, std::string> input_files;
  int repeat = 0;
  bool check = false;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) CINN_THROW(ExecutionError) << a << " needs a value";
      return argv[++i];
    };
    if (a == "--input") {
      std::string v = next();
      size_t eq = v.find('=');
      if (eq == std::string::npos) CINN_THROW(ExecutionError) << "--input expects NAME=FILE.npy, got '" << v << "'";
      input_files[v.substr(0, eq)] = v.substr(eq + 1);
    } else if (a == "--out-dir") {
      out_dir = next();
    } else if (a == "--repeat") {
      repeat = std::stoi(next());
    } else if (a == "--check") {
      check = true;
    } else {
      CINN_THROW(ExecutionError) << "unknown option '" << a << "'";
    }
  }
  std::string target;
  auto exe = cinn::runtime::load_executable(dir, &target);
  std::vector<Array> inputs;
  std::vector<const void*> in_ptrs;
  for (size_t i = 0; i < exe->num_inputs(); ++i) {
    const auto& spec = exe->input(i);
    auto it = input_files.find(spec.name);
    std::string path = it != input_files.end() ? it->second : (fs::path(dir) / "inputs" / (spec.name + ".npy")).string();
    Array a = read_npy(path);
    if (a.descr != npy_descr(spec.dtype) || a.shape != spec.shape ||
        static_cast<int64_t>(a.data.size()) != spec.bytes()) {
      CINN_THROW(ExecutionError) << "input '" << spec.name << "' from '" << path << "' must be "
                                 << npy_descr(spec.dtype) << " of " << spec.shape.size()
                                 << " dimension(s) matching the artifact, got " << a.descr;
    }
    inputs.push_back(std::move(a));
  }
  for (const Array& a : inputs) in_ptrs.push_back(a.data.data());
  std::vector<std::string> outputs(exe->num_outputs());
  std::vector<void*> out_ptrs;
  for (size_t i = 0; i < outputs.size(); ++i) {
    outputs[i].resize(static_cast<size_t>(exe->output(i).bytes()));
    out_ptrs.push_back(outputs[i].data());
  }
  exe->run(in_ptrs, out_ptrs);
  if (repeat > 0) {
    auto t0 = std::chrono::steady_clock::now();
    for (int r = 0; r < repeat; ++r) exe->run(in_ptrs, out_ptrs);
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    std::printf("%s: %d runs, %.4f ms per run (%s)\n", dir.c_str(), repeat, ms / repeat, target.c_str());
    cinn::runtime::Device& dev = exe->module().device();
    if (!dev.is_host()) {
      // The same runs with inputs and outputs already in device memory: the kernels alone
      // (each run still waits for its last kernel).
      std::vector<void*> d_in, d_out;
      for (const Array& a : inputs) {
        d_in.push_back(dev.alloc(static_cast<int64_t>(a.data.size())));
        dev.copy(d_in.back(), a.data.data(), static_cast<int64_t>(a.data.size()), cinn::runtime::Device::Copy::kHostToDevice);
      }
      for (const std::string& o : outputs) d_out.push_back(dev.alloc(static_cast<int64_t>(o.size())));
      std::vector<const void*> d_in_c(d_in.begin(), d_in.end());
      exe->run_on_device(d_in_c, d_out);
      auto t1 = std::chrono::steady_clock::now();
      for (int r = 0; r < repeat; ++r) exe->run_on_device(d_in_c, d_out);
      double dms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t1).count();
      std::printf("%s: %d runs on device memory, %.4f ms per run (%s)\n", dir.c_str(), repeat, dms / repeat,
                  target.c_str());
      for (void* p : d_in) dev.free(p);
      for (void* p : d_out) dev.free(p);
    }
  }
  if (!out_dir.empty()) {
    fs::create_directories(out_dir);
    for (size_t i = 0; i < outputs.size(); ++i) {
      const auto& spec = exe->output(i);
      write_npy((fs::path(out_dir) / (std::to_string(i) + ".npy")).string(), npy_descr(spec.dtype), spec.shape,
                outputs[i].data(), outputs[i].size());
    }
  }
  if (!check) return 0;
  double rtol = 1e-5, atol = 1e-5;
  std::ifstream tol(fs::path(dir) / "expected" / "tolerance.txt");
  if (tol) tol >> rtol >> atol;
  bool ok = true;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const auto& spec = exe->output(i);
    Array e = read_npy((fs::path(dir) / "expected" / (std::to_string(i) + ".npy")).string());
    if (e.descr != npy_descr(spec.dtype) || e.data.size() != outputs[i].size()) {
      std::printf("FAIL %s output %zu: expected array of another dtype or size\n", dir.c_str(), i);
      ok = false;
      continue;
    }
    size_t n = static_cast<size_t>(spec.bytes() / std::max(1, spec.dtype.bytes())), bad = 0, worst = 0;
    double worst_err = 0;
    for (size_t k = 0; k < n; ++k) {
      double got = element(e.descr, outputs[i].data(), k), want = element(e.descr, e.data.data(), k);
      bool same = (std::isnan(got) && std::isnan(want)) || got == want;
      double err = std::fabs(got - want);
      if (!same && !(err <= atol + rtol * std::fabs(want))) {
        if (bad++ == 0 || err > worst_err) {
          worst = k;
          worst_err = err;
        }
      }
    }
    if (bad) {
      std::printf("FAIL %s output %zu (%s): %zu of %zu elements differ; worst at %zu: got %g, expected %g\n",
                  dir.c_str(), i, spec.name.c_str(), bad, n, worst, element(e.descr, outputs[i].data(), worst),
                  element(e.descr, e.data.data(), worst));
      ok = false;
    }
  }
  if (ok) std::printf("PASS %s (%zu outputs, %s)\n", dir.c_str(), outputs.size(), target.c_str());
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cinn_run: %s\n", e.what());
    return 2;
  }
}
