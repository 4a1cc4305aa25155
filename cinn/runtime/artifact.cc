#include "cinn/runtime/artifact.h"

#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>

#include "cinn/common/error.h"
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

}  // namespace

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
  auto signature = [&](const char* kind, const BufferSpec& b) {
    manifest << kind << " " << b.name << " " << b.dtype.to_string() << " " << shape_string(b.shape) << "\n";
  };
  for (size_t i = 0; i < exe.num_inputs(); ++i) signature("input", exe.input(i));
  for (size_t i = 0; i < exe.num_outputs(); ++i) signature("output", exe.output(i));
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
  bool have_plan = false;
  while (std::getline(manifest, line)) {
    std::istringstream ls(line);
    ls >> word;
    if (word == "target") {
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
    }
  }
  if (!have_plan) fail(dir, "the manifest lists no plan.bin");
  if (image.format.empty()) fail(dir, "the manifest names no kernel module format");
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
  try {
    return std::make_shared<Executable>(std::move(plan), module);
  } catch (const Error& e) {
    fail(dir, e.what());
  }
}

}  // namespace cinn::runtime
