#include "cinn/runtime/executable.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "cinn/common/error.h"

namespace cinn::runtime {

namespace {
constexpr int64_t kAlign = 64;
// Graph kernels have static shapes: no size arguments.
constexpr int64_t kNoSizes[1] = {0};
int64_t align_up(int64_t x) { return (x + kAlign - 1) / kAlign * kAlign; }
}  // namespace

int64_t BufferSpec::bytes() const {
  int64_t n = dtype.bytes();
  for (auto d : shape) n *= d;
  return n;
}

int64_t plan_memory(ExecutablePlan* plan) {
  struct Live {
    int buffer;
    int first, last;
    int64_t size;
  };
  std::vector<Live> lives;
  for (size_t b = 0; b < plan->buffers.size(); ++b) {
    if (plan->buffers[b].kind != BufferSpec::Kind::kTemp) continue;
    Live l{static_cast<int>(b), -1, -1, align_up(std::max<int64_t>(plan->buffers[b].bytes(), 1))};
    for (size_t k = 0; k < plan->launches.size(); ++k) {
      for (int a : plan->launches[k].args) {
        if (a != l.buffer) continue;
        if (l.first < 0) l.first = static_cast<int>(k);
        l.last = static_cast<int>(k);
      }
    }
    lives.push_back(l);
  }
  // Largest first; each takes the lowest offset clear of every placed buffer it overlaps
  // in time.
  std::sort(lives.begin(), lives.end(), [](const Live& a, const Live& b) {
    return a.size != b.size ? a.size > b.size : a.buffer < b.buffer;
  });
  std::vector<Live> placed;
  int64_t arena = 0;
  for (const Live& l : lives) {
    std::vector<std::pair<int64_t, int64_t>> busy;
    for (const Live& p : placed) {
      if (p.first <= l.last && l.first <= p.last) {
        int64_t off = plan->buffers[p.buffer].offset;
        busy.push_back({off, off + p.size});
      }
    }
    std::sort(busy.begin(), busy.end());
    int64_t off = 0;
    for (auto [b, e] : busy) {
      if (off + l.size <= b) break;
      off = std::max(off, e);
    }
    plan->buffers[l.buffer].offset = off;
    arena = std::max(arena, off + l.size);
    placed.push_back(l);
  }
  plan->arena_bytes = arena;
  return arena;
}

Executable::Executable(ExecutablePlan plan, std::shared_ptr<void> code)
    : plan_(std::move(plan)), code_(std::move(code)) {}

int Executable::find_input(const std::string& name) const {
  for (size_t i = 0; i < plan_.inputs.size(); ++i) {
    if (plan_.buffers[plan_.inputs[i]].name == name) return static_cast<int>(i);
  }
  return -1;
}

int64_t Executable::unplanned_temp_bytes() const {
  int64_t n = 0;
  for (const auto& b : plan_.buffers) {
    if (b.kind == BufferSpec::Kind::kTemp) n += b.bytes();
  }
  return n;
}

void Executable::run(const std::vector<const void*>& inputs,
                     const std::vector<void*>& outputs) const {
  if (inputs.size() != plan_.inputs.size() || outputs.size() != plan_.outputs.size()) {
    CINN_THROW(ExecutionError) << "run: expected " << plan_.inputs.size() << " inputs and "
                               << plan_.outputs.size() << " outputs, got " << inputs.size()
                               << " and " << outputs.size();
  }
  std::vector<void*> ptr(plan_.buffers.size(), nullptr);
  for (size_t i = 0; i < inputs.size(); ++i) ptr[plan_.inputs[i]] = const_cast<void*>(inputs[i]);
  // Outputs that are written by kernels; a buffer listed as several outputs is written once
  // (into the first) and copied to the others.
  for (size_t i = 0; i < outputs.size(); ++i) {
    int b = plan_.outputs[i];
    if (plan_.buffers[b].kind == BufferSpec::Kind::kOutput && !ptr[b]) ptr[b] = outputs[i];
  }
  std::unique_ptr<void, void (*)(void*)> arena(nullptr, std::free);
  if (plan_.arena_bytes > 0) {
    arena.reset(std::aligned_alloc(kAlign, static_cast<size_t>(align_up(plan_.arena_bytes))));
    if (!arena) CINN_THROW(ExecutionError) << "run: out of memory for " << plan_.arena_bytes << " bytes";
  }
  for (size_t b = 0; b < plan_.buffers.size(); ++b) {
    if (plan_.buffers[b].kind == BufferSpec::Kind::kTemp) {
      ptr[b] = static_cast<char*>(arena.get()) + plan_.buffers[b].offset;
    }
  }
  std::vector<void*> args;
  for (const Launch& l : plan_.launches) {
    args.clear();
    for (int a : l.args) args.push_back(ptr[a]);
    l.fn(args.data(), kNoSizes);
  }
  for (size_t i = 0; i < outputs.size(); ++i) {
    int b = plan_.outputs[i];
    if (ptr[b] != outputs[i]) std::memcpy(outputs[i], ptr[b], static_cast<size_t>(plan_.buffers[b].bytes()));
  }
}

}  // namespace cinn::runtime
