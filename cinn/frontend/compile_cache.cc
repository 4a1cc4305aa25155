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

#include "cinn/backends/llvm/jit_module.h"

namespace cinn::frontend {
namespace {

namespace fs = std::filesystem;

constexpr char kMagic[8] = {'C', 'I', 'N', 'N', 'C', 'A', 'C', 'H'};
constexpr uint32_t kFormatVersion = 1;

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

// ---------------------------------------------------------------- serialization
class Writer {
 public:
  template <typename T>
  void pod(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    out_.append(reinterpret_cast<const char*>(&v), sizeof(v));
  }
  void str(const std::string& s) {
    pod(static_cast<uint64_t>(s.size()));
    out_ += s;
  }
  void raw(const void* p, size_t n) {
    pod(static_cast<uint64_t>(n));
    out_.append(static_cast<const char*>(p), n);
  }
  void ints(const std::vector<int64_t>& v) { raw(v.data(), v.size() * sizeof(int64_t)); }
  void strs(const std::vector<std::string>& v) {
    pod(static_cast<uint64_t>(v.size()));
    for (const auto& s : v) str(s);
  }
  void type(const common::Type& t) {
    pod(static_cast<uint8_t>(t.code()));
    pod(t.bits());
    pod(t.lanes());
  }
  std::string& data() { return out_; }

 private:
  std::string out_;
};

struct Corrupt {
  std::string why;
};

class Reader {
 public:
  Reader(const char* p, size_t n) : p_(p), end_(p + n) {}
  template <typename T>
  T pod() {
    T v;
    need(sizeof(T));
    std::memcpy(&v, p_, sizeof(T));
    p_ += sizeof(T);
    return v;
  }
  std::string str() {
    auto n = pod<uint64_t>();
    need(n);
    std::string s(p_, n);
    p_ += n;
    return s;
  }
  std::vector<int64_t> ints() {
    std::string s = str();
    if (s.size() % sizeof(int64_t)) throw Corrupt{"bad integer list"};
    std::vector<int64_t> v(s.size() / sizeof(int64_t));
    std::memcpy(v.data(), s.data(), s.size());
    return v;
  }
  std::vector<std::string> strs() {
    auto n = pod<uint64_t>();
    if (n > static_cast<uint64_t>(end_ - p_)) throw Corrupt{"bad list length"};
    std::vector<std::string> v;
    for (uint64_t i = 0; i < n; ++i) v.push_back(str());
    return v;
  }
  common::Type type() {
    auto code = pod<uint8_t>();
    auto bits = pod<int>();
    auto lanes = pod<int>();
    if (code > static_cast<uint8_t>(common::Type::Code::kVoid)) throw Corrupt{"bad dtype"};
    return common::Type(static_cast<common::Type::Code>(code), bits, lanes);
  }
  bool done() const { return p_ == end_; }

 private:
  void need(uint64_t n) const {
    if (n > static_cast<uint64_t>(end_ - p_)) throw Corrupt{"truncated payload"};
  }
  const char* p_;
  const char* end_;
};

uint64_t checksum(const std::string& payload) {
  Hasher h;
  h.bytes(payload.data(), payload.size());
  return h.first();
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
  const hlir::Graph& g = program.graph();
  h.str(g.name());
  h.pod(static_cast<uint64_t>(g.inputs().size()));
  for (const hlir::Value* v : g.inputs()) {
    h.pod(v->id);
    h.str(v->name);
    hash_tensor_type(h, v->type);
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

bool store_compile_cache(const std::string& path, const std::string& key,
                         const CompiledProgram& program, const std::string& object) {
  Writer w;
  w.str(key);
  const runtime::ExecutablePlan& plan = program.executable->plan();
  w.pod(static_cast<uint64_t>(plan.buffers.size()));
  for (const runtime::BufferSpec& b : plan.buffers) {
    w.str(b.name);
    w.type(b.dtype);
    w.ints(b.shape);
    w.pod(static_cast<uint8_t>(b.kind));
    w.pod(b.offset);
    if (b.kind == runtime::BufferSpec::Kind::kConstant) {
      w.raw(b.data.get(), static_cast<size_t>(b.bytes()));
    }
  }
  w.pod(static_cast<uint64_t>(plan.launches.size()));
  for (const runtime::Launch& l : plan.launches) {
    w.str(l.kernel);
    w.ints(std::vector<int64_t>(l.args.begin(), l.args.end()));
    std::vector<int64_t> inplace;
    for (auto [o, i] : l.inplace) inplace.insert(inplace.end(), {o, i});
    w.ints(inplace);
  }
  w.ints(std::vector<int64_t>(plan.inputs.begin(), plan.inputs.end()));
  w.ints(std::vector<int64_t>(plan.outputs.begin(), plan.outputs.end()));
  w.pod(plan.arena_bytes);
  w.pod(static_cast<uint64_t>(program.kernels.size()));
  for (const CompiledKernelInfo& k : program.kernels) {
    w.str(k.name);
    w.str(k.pattern);
    w.strs(k.ops);
    w.strs(k.inputs);
    w.strs(k.outputs);
  }
  w.str(program.primitive_graph);
  w.str(program.source);
  w.str(program.loop_ir);
  w.str(object);

  std::string header(kMagic, sizeof(kMagic));
  auto put = [&header](auto v) { header.append(reinterpret_cast<const char*>(&v), sizeof(v)); };
  put(kFormatVersion);
  put(static_cast<uint64_t>(w.data().size()));
  put(checksum(w.data()));

  std::error_code ec;
  fs::path target(path);
  fs::create_directories(target.parent_path(), ec);
  std::random_device rd;
  fs::path tmp = target;
  tmp += ".tmp" + std::to_string(getpid()) + "_" + std::to_string(rd());
  {
    std::ofstream os(tmp, std::ios::binary | std::ios::trunc);
    os.write(header.data(), static_cast<std::streamsize>(header.size()));
    os.write(w.data().data(), static_cast<std::streamsize>(w.data().size()));
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
    Reader header(file.data(), file.size());
    std::string magic(sizeof(kMagic), '\0');
    for (char& c : magic) c = header.pod<char>();
    if (magic != std::string(kMagic, sizeof(kMagic))) throw Corrupt{"not a cache entry"};
    if (header.pod<uint32_t>() != kFormatVersion) throw Corrupt{"other format version"};
    auto size = header.pod<uint64_t>();
    auto sum = header.pod<uint64_t>();
    size_t offset = sizeof(kMagic) + sizeof(uint32_t) + 2 * sizeof(uint64_t);
    if (file.size() - offset != size) throw Corrupt{"truncated or overlong payload"};
    std::string payload = file.substr(offset);
    if (checksum(payload) != sum) throw Corrupt{"checksum mismatch"};

    Reader r(payload.data(), payload.size());
    if (r.str() != key) throw Corrupt{"entry of another key"};
    runtime::ExecutablePlan plan;
    auto nbuf = r.pod<uint64_t>();
    for (uint64_t i = 0; i < nbuf; ++i) {
      runtime::BufferSpec b;
      b.name = r.str();
      b.dtype = r.type();
      b.shape = r.ints();
      auto kind = r.pod<uint8_t>();
      if (kind > static_cast<uint8_t>(runtime::BufferSpec::Kind::kConstant)) throw Corrupt{"bad buffer kind"};
      b.kind = static_cast<runtime::BufferSpec::Kind>(kind);
      b.offset = r.pod<int64_t>();
      if (b.kind == runtime::BufferSpec::Kind::kConstant) {
        auto data = std::make_shared<std::string>(r.str());
        if (static_cast<int64_t>(data->size()) != b.bytes()) throw Corrupt{"bad constant size"};
        b.data = std::shared_ptr<const void>(data, data->data());
      }
      plan.buffers.push_back(std::move(b));
    }
    auto check_index = [&](int64_t i) {
      if (i < 0 || i >= static_cast<int64_t>(plan.buffers.size())) throw Corrupt{"bad buffer index"};
      return static_cast<int>(i);
    };
    auto nlaunch = r.pod<uint64_t>();
    for (uint64_t i = 0; i < nlaunch; ++i) {
      runtime::Launch l;
      l.kernel = r.str();
      for (int64_t a : r.ints()) l.args.push_back(check_index(a));
      auto inplace = r.ints();
      if (inplace.size() % 2) throw Corrupt{"bad in-place list"};
      for (size_t k = 0; k < inplace.size(); k += 2) {
        for (int k2 : {0, 1}) {
          if (inplace[k + k2] < 0 || inplace[k + k2] >= static_cast<int64_t>(l.args.size())) {
            throw Corrupt{"bad in-place pair"};
          }
        }
        l.inplace.push_back({static_cast<int>(inplace[k]), static_cast<int>(inplace[k + 1])});
      }
      plan.launches.push_back(std::move(l));
    }
    for (int64_t i : r.ints()) plan.inputs.push_back(check_index(i));
    for (int64_t i : r.ints()) plan.outputs.push_back(check_index(i));
    plan.arena_bytes = r.pod<int64_t>();
    auto result = std::make_shared<CompiledProgram>();
    auto nk = r.pod<uint64_t>();
    for (uint64_t i = 0; i < nk; ++i) {
      CompiledKernelInfo k;
      k.name = r.str();
      k.pattern = r.str();
      k.ops = r.strs();
      k.inputs = r.strs();
      k.outputs = r.strs();
      result->kernels.push_back(std::move(k));
    }
    result->primitive_graph = r.str();
    result->source = r.str();
    result->loop_ir = r.str();
    std::string object = r.str();
    if (!r.done()) throw Corrupt{"trailing bytes"};

    std::shared_ptr<backends::JitModule> jit;
    if (!plan.launches.empty()) {
      jit = backends::load_object(std::move(object), result->source);
      for (runtime::Launch& l : plan.launches) l.fn = jit->lookup(l.kernel);
    }
    result->executable = std::make_shared<runtime::Executable>(std::move(plan), std::shared_ptr<void>(jit));
    return result;
  } catch (const Corrupt& c) {
    *corrupt = c.why;
  } catch (const Error& e) {
    *corrupt = std::string("cannot load its code: ") + e.what();
  }
  return nullptr;
}

}  // namespace cinn::frontend
