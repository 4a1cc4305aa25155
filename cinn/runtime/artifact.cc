#include "cinn/runtime/artifact.h"

#include <filesystem>
#include <fstream>
#include <iomanip>
#include <set>
#include <sstream>
#include <vector>

#include "cinn/common/error.h"
#include "cinn/common/target.h"
#include "cinn/runtime/serialize.h"

namespace cinn::runtime {
namespace {

namespace fs = std::filesystem;
constexpr char kPlanMagic[8] = {'C', 'I', 'N', 'N', 'P', 'L', 'A', 'N'};

std::string hex(uint64_t v) {
  std::ostringstream os;
  os << std::hex << std::setfill('0') << std::setw(16) << v;
  return os.str();
}

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s;
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "x" : "") + std::to_string(shape[i]);
  return s.empty() ? "scalar" : s;
}

bool plain_name(const std::string& n) {
  return !n.empty() && n.find('/') == std::string::npos && n != "." && n != ".." &&
         n != "manifest.txt" && n.find_first_of(" \n") == std::string::npos;
}

[[noreturn]] void fail(const std::string& dir, const std::string& why) {
  CINN_THROW(ExecutionError) << "artifact '" << dir << "': " << why;
}

// The manifest lines of the executable's signature: "input x float32 8x20", ..., then the
// outputs'.
std::vector<std::string> signature_lines(const Executable& exe) {
  std::vector<std::string> lines;
  auto add = [&](const char* kind, const BufferSpec& b) {
    lines.push_back(std::string(kind) + " " + b.name + " " + b.dtype.to_string() + " " + shape_string(b.shape));
  };
  for (size_t i = 0; i < exe.num_inputs(); ++i) add("input", exe.input(i));
  for (size_t i = 0; i < exe.num_outputs(); ++i) add("output", exe.output(i));
  return lines;
}

}  // namespace

std::string missing_cpu_features(const std::string& target, const common::Target& host) {
  size_t x86 = target.find("x86(");
  size_t at = x86 == std::string::npos ? x86 : target.find("features=", x86);
  if (at == std::string::npos) return "";
  at += 9;
  std::string list = target.substr(at, target.find(')', at) - at);
  std::set<std::string> detectable = common::Target::detectable_x86_features();
  std::string missing;
  std::istringstream is(list);
  for (std::string f; std::getline(is, f, '+');) {
    if (detectable.count(f) && !host.has_feature(f)) missing += (missing.empty() ? "" : ", ") + f;
  }
  return missing;
}

void save_executable(const Executable& exe, const std::string& dir, const std::string& target) {
  ModuleImage image = exe.module().portable_image();
  Writer w;
  write_plan(w, exe.plan());
  std::map<std::string, std::string> files = image.files;
  for (const auto& [name, _] : files) {
    if (!plain_name(name) || name == "plan.bin") {
      CINN_THROW(InternalError) << "kernel module file name '" << name << "' cannot be saved";
    }
  }
  files["plan.bin"] = seal(kPlanMagic, kArtifactVersion, w.data());

  std::ostringstream manifest;
  manifest << "cinn-artifact " << kArtifactVersion << "\n";
  std::string t = target;
  for (char& c : t) c = c == '\n' ? ' ' : c;
  manifest << "target " << t << "\n";
  manifest << "module " << image.format << "\n";
  for (const auto& [name, bytes] : files) {
    manifest << "file " << name << " " << bytes.size() << " " << hex(checksum(bytes)) << "\n";
  }
  for (const std::string& line : signature_lines(exe)) manifest << line << "\n";
  files["manifest.txt"] = manifest.str();

  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) CINN_THROW(ExecutionError) << "save: cannot create directory '" << dir << "': " << ec.message();
  for (const auto& [name, bytes] : files) {
    std::ofstream os(fs::path(dir) / name, std::ios::binary | std::ios::trunc);
    os.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!os) CINN_THROW(ExecutionError) << "save: cannot write '" << (fs::path(dir) / name).string() << "'";
  }
}

std::shared_ptr<Executable> load_executable(const std::string& dir, std::string* target) {
  auto read = [&](const std::string& name) {
    std::ifstream is(fs::path(dir) / name, std::ios::binary);
    if (!is) fail(dir, "cannot read " + name);
    return std::string((std::istreambuf_iterator<char>(is)), std::istreambuf_iterator<char>());
  };
  if (!fs::is_directory(dir)) fail(dir, "not a directory");
  std::istringstream manifest(read("manifest.txt"));
  std::string line, word;
  std::getline(manifest, line);
  std::istringstream head(line);
  int version = -1;
  head >> word >> version;
  if (word != "cinn-artifact") fail(dir, "manifest.txt is not a cinn artifact manifest");
  if (version != kArtifactVersion) {
    fail(dir, "format version " + std::to_string(version) + ", this build reads version " +
                  std::to_string(kArtifactVersion));
  }
  ModuleImage image;
  std::string recorded_target, plan_bytes;
  std::vector<std::string> signature;
  bool have_plan = false;
  while (std::getline(manifest, line)) {
    std::istringstream ls(line);
    word.clear();
    ls >> word;
    if (word == "input" || word == "output") {
      signature.push_back(line);
    } else if (word == "target") {
      std::getline(ls >> std::ws, recorded_target);
    } else if (word == "module") {
      ls >> image.format;
    } else if (word == "file") {
      std::string name, sum;
      uint64_t size = 0;
      ls >> name >> size >> sum;
      if (!ls || !plain_name(name)) fail(dir, "bad manifest line '" + line + "'");
      std::string bytes = read(name);
      if (bytes.size() != size) {
        fail(dir, name + " has " + std::to_string(bytes.size()) + " bytes, the manifest says " + std::to_string(size));
      }
      if (hex(checksum(bytes)) != sum) fail(dir, name + " does not match its checksum (corrupted or replaced)");
      if (name == "plan.bin") {
        plan_bytes = std::move(bytes);
        have_plan = true;
      } else {
        image.files[name] = std::move(bytes);
      }
    } else if (!word.empty()) {
      fail(dir, "bad manifest line '" + line + "'");
    }
  }
  if (!have_plan) fail(dir, "the manifest lists no plan.bin");
  if (image.format.empty()) fail(dir, "the manifest names no kernel module format");
  if (recorded_target.empty()) fail(dir, "the manifest names no target");
  if (std::string missing = missing_cpu_features(recorded_target, common::Target::host_x86());
      !missing.empty()) {
    fail(dir, "compiled for CPU features this machine lacks (" + missing + "): target " + recorded_target);
  }
  ExecutablePlan plan;
  try {
    std::string payload = unseal(plan_bytes, kPlanMagic, kArtifactVersion);
    Reader r(payload);
    plan = read_plan(r);
    if (!r.done()) throw CorruptData{"trailing bytes"};
  } catch (const CorruptData& c) {
    fail(dir, "plan.bin: " + c.why);
  }
  std::shared_ptr<KernelModule> module;
  try {
    module = load_module(image);
  } catch (const Error& e) {
    fail(dir, e.what());
  }
  if (target) *target = recorded_target;
  std::shared_ptr<Executable> exe;
  try {
    exe = std::make_shared<Executable>(std::move(plan), module);
  } catch (const Error& e) {
    fail(dir, e.what());
  }
  std::vector<std::string> planned = signature_lines(*exe);
  if (signature != planned) {
    std::string says, has;
    for (const auto& l : signature) says += (says.empty() ? "" : "; ") + l;
    for (const auto& l : planned) has += (has.empty() ? "" : "; ") + l;
    fail(dir, "manifest.txt lists the signature '" + says + "' but plan.bin has '" + has + "'");
  }
  return exe;
}

}  // namespace cinn::runtime
