#include "cinn/runtime/serialize.h"

#include <memory>

namespace cinn::runtime {

void Writer::strs(const std::vector<std::string>& v) {
  pod(static_cast<uint64_t>(v.size()));
  for (const auto& s : v) str(s);
}

void Writer::type(const common::Type& t) {
  pod(static_cast<uint8_t>(t.code()));
  pod(t.bits());
  pod(t.lanes());
}

void Reader::need(uint64_t n) const {
  if (n > static_cast<uint64_t>(end_ - p_)) throw CorruptData{"truncated data"};
}

std::string Reader::str() {
  auto n = pod<uint64_t>();
  need(n);
  std::string s(p_, n);
  p_ += n;
  return s;
}

std::vector<int64_t> Reader::ints() {
  std::string s = str();
  if (s.size() % sizeof(int64_t)) throw CorruptData{"bad integer list"};
  std::vector<int64_t> v(s.size() / sizeof(int64_t));
  std::memcpy(v.data(), s.data(), s.size());
  return v;
}

std::vector<std::string> Reader::strs() {
  auto n = pod<uint64_t>();
  if (n > static_cast<uint64_t>(end_ - p_)) throw CorruptData{"bad list length"};
  std::vector<std::string> v;
  for (uint64_t i = 0; i < n; ++i) v.push_back(str());
  return v;
}

common::Type Reader::type() {
  auto code = pod<uint8_t>();
  auto bits = pod<int>();
  auto lanes = pod<int>();
  if (code > static_cast<uint8_t>(common::Type::Code::kVoid)) throw CorruptData{"bad dtype"};
  return common::Type(static_cast<common::Type::Code>(code), bits, lanes);
}

uint64_t checksum(const std::string& bytes) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : bytes) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

namespace {
// A list of index pairs, flattened.
void write_pairs(Writer& w, const std::vector<std::pair<int, int>>& pairs) {
  std::vector<int64_t> flat;
  for (auto [a, b] : pairs) flat.insert(flat.end(), {a, b});
  w.ints(flat);
}

// Pairs whose first index is below `first_end` and second below `second_end`.
std::vector<std::pair<int, int>> read_pairs(Reader& r, int64_t first_end, int64_t second_end, const char* what) {
  auto flat = r.ints();
  if (flat.size() % 2) throw CorruptData{std::string("bad ") + what + " list"};
  std::vector<std::pair<int, int>> pairs;
  for (size_t k = 0; k < flat.size(); k += 2) {
    if (flat[k] < 0 || flat[k] >= first_end || flat[k + 1] < 0 || flat[k + 1] >= second_end) {
      throw CorruptData{std::string("bad ") + what + " pair"};
    }
    pairs.push_back({static_cast<int>(flat[k]), static_cast<int>(flat[k + 1])});
  }
  return pairs;
}
}  // namespace

void write_plan(Writer& w, const ExecutablePlan& plan) {
  w.pod(static_cast<uint64_t>(plan.buffers.size()));
  for (const BufferSpec& b : plan.buffers) {
    w.str(b.name);
    w.type(b.dtype);
    w.ints(b.shape);
    w.pod(static_cast<uint8_t>(b.kind));
    w.pod(b.offset);
    if (b.kind == BufferSpec::Kind::kConstant) w.raw(b.data.get(), static_cast<size_t>(b.bytes()));
  }
  w.pod(static_cast<uint64_t>(plan.launches.size()));
  for (const Launch& l : plan.launches) {
    w.str(l.kernel);
    w.str(l.name);
    w.ints(std::vector<int64_t>(l.args.begin(), l.args.end()));
    write_pairs(w, l.inplace);
  }
  w.ints(std::vector<int64_t>(plan.inputs.begin(), plan.inputs.end()));
  w.ints(std::vector<int64_t>(plan.outputs.begin(), plan.outputs.end()));
  write_pairs(w, plan.aliases);
  w.pod(plan.arena_bytes);
}

ExecutablePlan read_plan(Reader& r) {
  ExecutablePlan plan;
  auto nbuf = r.pod<uint64_t>();
  for (uint64_t i = 0; i < nbuf; ++i) {
    BufferSpec b;
    b.name = r.str();
    b.dtype = r.type();
    b.shape = r.ints();
    for (int64_t d : b.shape) {
      if (d < 0) throw CorruptData{"negative dimension"};
    }
    auto kind = r.pod<uint8_t>();
    if (kind > static_cast<uint8_t>(BufferSpec::Kind::kConstant)) throw CorruptData{"bad buffer kind"};
    b.kind = static_cast<BufferSpec::Kind>(kind);
    b.offset = r.pod<int64_t>();
    if (b.kind == BufferSpec::Kind::kConstant) {
      auto data = std::make_shared<std::string>(r.str());
      if (static_cast<int64_t>(data->size()) != b.bytes()) throw CorruptData{"bad constant size"};
      b.data = std::shared_ptr<const void>(data, data->data());
    }
    plan.buffers.push_back(std::move(b));
  }
  auto check_index = [&](int64_t i) {
    if (i < 0 || i >= static_cast<int64_t>(plan.buffers.size())) throw CorruptData{"bad buffer index"};
    return static_cast<int>(i);
  };
  auto nlaunch = r.pod<uint64_t>();
  for (uint64_t i = 0; i < nlaunch; ++i) {
    Launch l;
    l.kernel = r.str();
    l.name = r.str();
    for (int64_t a : r.ints()) l.args.push_back(check_index(a));
    auto nargs = static_cast<int64_t>(l.args.size());
    l.inplace = read_pairs(r, nargs, nargs, "in-place");
    plan.launches.push_back(std::move(l));
  }
  for (int64_t i : r.ints()) plan.inputs.push_back(check_index(i));
  for (int64_t i : r.ints()) plan.outputs.push_back(check_index(i));
  plan.aliases = read_pairs(r, static_cast<int64_t>(plan.outputs.size()),
                            static_cast<int64_t>(plan.inputs.size()), "alias");
  plan.arena_bytes = r.pod<int64_t>();
  for (const BufferSpec& b : plan.buffers) {
    if (b.kind == BufferSpec::Kind::kTemp && (b.offset < 0 || b.offset + b.bytes() > plan.arena_bytes)) {
      throw CorruptData{"buffer outside the arena"};
    }
  }
  return plan;
}

void write_image(Writer& w, const ModuleImage& image) {
  w.str(image.format);
  w.pod(static_cast<uint64_t>(image.files.size()));
  for (const auto& [name, bytes] : image.files) {
    w.str(name);
    w.str(bytes);
  }
}

ModuleImage read_image(Reader& r) {
  ModuleImage im;
  im.format = r.str();
  auto n = r.pod<uint64_t>();
  for (uint64_t i = 0; i < n; ++i) {
    std::string name = r.str();
    im.files[name] = r.str();
  }
  return im;
}

std::string seal(const char (&magic)[8], uint32_t version, const std::string& payload) {
  std::string out(magic, 8);
  auto put = [&out](auto v) { out.append(reinterpret_cast<const char*>(&v), sizeof(v)); };
  put(version);
  put(static_cast<uint64_t>(payload.size()));
  put(checksum(payload));
  return out + payload;
}

std::string unseal(const std::string& blob, const char (&magic)[8], uint32_t version) {
  Reader header(blob);
  std::string m(8, '\0');
  for (char& c : m) c = header.pod<char>();
  if (m != std::string(magic, 8)) throw CorruptData{"not a " + std::string(magic, 8) + " file"};
  auto v = header.pod<uint32_t>();
  if (v != version) {
    throw CorruptData{"format version " + std::to_string(v) + ", this build reads version " + std::to_string(version)};
  }
  auto size = header.pod<uint64_t>();
  auto sum = header.pod<uint64_t>();
  size_t offset = 8 + sizeof(uint32_t) + 2 * sizeof(uint64_t);
  if (blob.size() - offset != size) throw CorruptData{"truncated or overlong payload"};
  std::string payload = blob.substr(offset);
  if (checksum(payload) != sum) throw CorruptData{"checksum mismatch"};
  return payload;
}

}  // namespace cinn::runtime
