// Binary serialization shared by saved artifacts (artifact.h) and the compile cache: a
// Writer/Reader pair for plain values, the ExecutablePlan and ModuleImage encodings, and
// "sealed" blobs (magic, format version, payload size and checksum, then the payload).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "cinn/common/type.h"
#include "cinn/runtime/executable.h"
#include "cinn/runtime/module.h"

namespace cinn::runtime {

// Thrown by Reader and the decoders for data that is not what was written.
struct CorruptData {
  std::string why;
};

class Writer {
 public:
  template <typename T>
  void pod(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    out_.append(reinterpret_cast<const char*>(&v), sizeof(v));
  }
  void str(const std::string& s) { raw(s.data(), s.size()); }
  void raw(const void* p, size_t n) {
    pod(static_cast<uint64_t>(n));
    out_.append(static_cast<const char*>(p), n);
  }
  void ints(const std::vector<int64_t>& v) { raw(v.data(), v.size() * sizeof(int64_t)); }
  void strs(const std::vector<std::string>& v);
  void type(const common::Type& t);
  std::string& data() { return out_; }

 private:
  std::string out_;
};

class Reader {
 public:
  Reader(const char* p, size_t n) : p_(p), end_(p + n) {}
  explicit Reader(const std::string& s) : Reader(s.data(), s.size()) {}
  template <typename T>
  T pod() {
    T v;
    need(sizeof(T));
    std::memcpy(&v, p_, sizeof(T));
    p_ += sizeof(T);
    return v;
  }
  std::string str();
  std::vector<int64_t> ints();
  std::vector<std::string> strs();
  common::Type type();
  bool done() const { return p_ == end_; }

 private:
  void need(uint64_t n) const;
  const char* p_;
  const char* end_;
};

// A 64-bit FNV-1a digest.
uint64_t checksum(const std::string& bytes);

// The plan, with constants inline; read_plan checks every index.
void write_plan(Writer& w, const ExecutablePlan& plan);
ExecutablePlan read_plan(Reader& r);
void write_image(Writer& w, const ModuleImage& image);
ModuleImage read_image(Reader& r);

// `magic` (8 characters), version, payload size and checksum, then the payload.
std::string seal(const char (&magic)[8], uint32_t version, const std::string& payload);
// The payload of a sealed blob; CorruptData when the magic, version, size or checksum do
// not match.
std::string unseal(const std::string& blob, const char (&magic)[8], uint32_t version);

}  // namespace cinn::runtime
