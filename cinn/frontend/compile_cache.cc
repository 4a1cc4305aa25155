#include "cinn/frontend/compile_cache.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <mutex>
#include <random>
#include <sstream>

#include "cinn/auto_schedule/database.h"
#include "cinn/backends/llvm/jit_module.h"
#include "cinn/runtime/serialize.h"

namespace cinn::frontend {
namespace {

namespace fs = std::filesystem;

constexpr char kMagic[8] = {'C', 'I', 'N', 'N', 'C', 'A', 'C', 'H'};
constexpr uint32_t kFormatVersion = 6;  // 3: input/output aliases; 4: kernels' schedule origin;
                                         // 5: kernels sharing a function; 6: object files per part

// Two independent 64-bit FNV-1a streams: a 128-bit digest.
class Hasher {
 public:
  void bytes(const void* p, size_t n) {
    const auto* c = static_cast<const uint8_t*>(p);
    for (size_t i = 0; i < n; ++i) {
      a_ = (a_ ^ c[i]) * 0x100000001b3ULL;
      b_ = (b_ ^ c[i]) * 0x00000100000001b3ULL + 0x9e3779b97f4a7c15ULL;
    }
  }
  template <typename T>
  void pod(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    bytes(&v, sizeof(v));
  }
  void str(const std::string& s) {
    pod(static_cast<uint64_t>(s.size()));
    bytes(s.data(), s.size());
  }
  void type(const common::Type& t) {
    pod(static_cast<uint8_t>(t.code()));
    pod(t.bits());
    pod(t.lanes());
  }
  std::string hex() const {
    std::ostringstream os;
    os << std::hex << std::setfill('0') << std::setw(16) << a_ << std::setw(16) << b_;
    return os.str();
  }
  uint64_t first() const { return a_; }

 private:
  uint64_t a_ = 0xcbf29ce484222325ULL, b_ = 0x84222325cbf29ce4ULL;
};

void hash_attr(Hasher& h, const hlir::Attr& a) {
  h.pod(static_cast<uint8_t>(a.index()));
  std::visit(
      [&h](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          h.str(v);
        } else if constexpr (std::is_same_v<T, std::vector<int64_t>> ||
                             std::is_same_v<T, std::vector<double>>) {
          h.pod(static_cast<uint64_t>(v.size()));
          h.bytes(v.data(), v.size() * sizeof(v[0]));
        } else if constexpr (std::is_same_v<T, common::Type>) {
          h.type(v);
        } else if constexpr (std::is_same_v<T, hlir::ConstDataPtr>) {
          h.type(v->dtype);
          h.pod(static_cast<uint64_t>(v->shape.size()));
          h.bytes(v->shape.data(), v->shape.size() * sizeof(int64_t));
          h.pod(static_cast<uint64_t>(v->bytes.size()));
          h.bytes(v->bytes.data(), v->bytes.size());
        } else {
          h.pod(v);
        }
      },
      a);
}

void hash_tensor_type(Hasher& h, const hlir::TensorType& t) {
  h.type(t.dtype);
  h.pod(static_cast<uint64_t>(t.shape.size()));
  h.bytes(t.shape.data(), t.shape.size() * sizeof(int64_t));
}

// A digest of the library (or executable) holding this code: a rebuilt compiler has new keys.
const std::string& compiler_id() {
  static std::once_flag once;
  static std::string id;
  std::call_once(once, [] {
    Hasher h;
    h.str("cinn compile cache v" + std::to_string(kFormatVersion));
    Dl_info info{};
    if (dladdr(reinterpret_cast<void*>(&compile_cache_key), &info) && info.dli_fname) {
      std::ifstream is(info.dli_fname, std::ios::binary);
      std::vector<char> buf(1 << 20);
      while (is) {
        is.read(buf.data(), static_cast<std::streamsize>(buf.size()));
        h.bytes(buf.data(), static_cast<size_t>(is.gcount()));
      }
    }
    id = h.hex();
  });
  return id;
}

}  // namespace

std::string compile_cache_dir(const CompileOptions& options) {
  if (options.cache_dir) return *options.cache_dir;
  auto env = [](const char* name) -> std::string {
    const char* v = std::getenv(name);
    return v ? std::string(v) : std::string();
  };
  if (std::string d = env("CINN_CACHE_DIR"); !d.empty()) return d;
  if (std::string d = env("XDG_CACHE_HOME"); !d.empty()) return (fs::path(d) / "cinn").string();
  if (std::string d = env("HOME"); !d.empty()) return (fs::path(d) / ".cache" / "cinn").string();
  return "";
}

std::string compile_cache_key(const Program& program, const common::Target& target,
                              const CompileOptions& options) {
  Hasher h;
  h.str(compiler_id());
  h.str(backends::host_code_id());
  h.str(target.to_string());
  h.pod(options.fusion);
  h.pod(options.opt_level);
  h.pod(options.precise_math);
  h.pod(options.fold_constants);
  for (const auto& [name, value] : options.schedule_params) {
    h.str(name);
    h.pod(value);
  }
  if (!options.database.empty()) {
    // What a compile takes from the database: every task's best record.
    h.str(auto_schedule::Database(options.database, /*create=*/false).digest());
  }
  const hlir::Graph& g = program.graph();
  h.str(g.name());
  h.pod(static_cast<uint64_t>(g.inputs().size()));
  for (const hlir::Value* v : g.inputs()) {
    h.pod(v->id);
    h.str(v->name);
    hash_tensor_type(h, v->type);
  }
  h.pod(static_cast<uint64_t>(program.aliases().size()));
  for (auto [o, i] : program.aliases()) {
    h.pod(static_cast<int64_t>(o));
    h.pod(static_cast<int64_t>(i));
  }
  h.pod(static_cast<uint64_t>(g.nodes().size()));
  for (const auto& n : g.nodes()) {
    h.str(n->op_name());
    h.pod(static_cast<uint64_t>(n->inputs.size()));
    for (const hlir::Value* v : n->inputs) h.pod(v->id);
    h.pod(static_cast<uint64_t>(n->attrs.size()));
    for (const auto& [name, a] : n->attrs) {
      h.str(name);
      hash_attr(h, a);
    }
    h.pod(static_cast<uint64_t>(n->outputs.size()));
    for (const hlir::Value* v : n->outputs) {
      h.pod(v->id);
      h.str(v->name);
      hash_tensor_type(h, v->type);
    }
  }
  h.pod(static_cast<uint64_t>(g.outputs().size()));
  for (const hlir::Value* v : g.outputs()) h.pod(v->id);
  return h.hex();
}

bool store_compile_cache(const std::string& path, const std::string& key, const CompiledProgram& program) {
  runtime::Writer w;
  w.str(key);
  runtime::write_plan(w, program.executable->plan());
  runtime::write_image(w, program.executable->module().image());
  w.pod(static_cast<uint64_t>(program.kernels.size()));
  for (const CompiledKernelInfo& k : program.kernels) {
    w.str(k.name);
    w.str(k.pattern);
    w.strs(k.ops);
    w.strs(k.inputs);
    w.strs(k.outputs);
    w.str(k.schedule);
    w.str(k.function);
  }
  w.str(program.primitive_graph);
  w.str(program.source);
  w.str(program.loop_ir);
  std::string blob = runtime::seal(kMagic, kFormatVersion, w.data());

  std::error_code ec;
  fs::path target(path);
  fs::create_directories(target.parent_path(), ec);
  std::random_device rd;
  fs::path tmp = target;
  tmp += ".tmp" + std::to_string(getpid()) + "_" + std::to_string(rd());
  {
    std::ofstream os(tmp, std::ios::binary | std::ios::trunc);
    os.write(blob.data(), static_cast<std::streamsize>(blob.size()));
    if (!os) {
      fs::remove(tmp, ec);
      return false;
    }
  }
  fs::rename(tmp, target, ec);
  if (ec) fs::remove(tmp, ec);
  return !ec;
}

std::shared_ptr<CompiledProgram> load_compile_cache(const std::string& path, const std::string& key,
                                                    std::string* corrupt) {
  std::ifstream is(path, std::ios::binary);
  if (!is) return nullptr;
  std::string file((std::istreambuf_iterator<char>(is)), std::istreambuf_iterator<char>());
  try {
    std::string payload = runtime::unseal(file, kMagic, kFormatVersion);
    runtime::Reader r(payload);
    if (r.str() != key) throw runtime::CorruptData{"entry of another key"};
    runtime::ExecutablePlan plan = runtime::read_plan(r);
    runtime::ModuleImage image = runtime::read_image(r);
    auto result = std::make_shared<CompiledProgram>();
    auto nk = r.pod<uint64_t>();
    for (uint64_t i = 0; i < nk; ++i) {
      CompiledKernelInfo k;
      k.name = r.str();
      k.pattern = r.str();
      k.ops = r.strs();
      k.inputs = r.strs();
      k.outputs = r.strs();
      k.schedule = r.str();
      k.function = r.str();
      result->kernels.push_back(std::move(k));
    }
    result->primitive_graph = r.str();
    result->source = r.str();
    result->loop_ir = r.str();
    if (!r.done()) throw runtime::CorruptData{"trailing bytes"};
    result->executable = std::make_shared<runtime::Executable>(std::move(plan), runtime::load_module(image));
    return result;
  } catch (const runtime::CorruptData& c) {
    *corrupt = c.why;
  } catch (const Error& e) {
    *corrupt = std::string("cannot load its code: ") + e.what();
  }
  return nullptr;
}

}  // namespace cinn::frontend
