#include "cinn/runtime/executable.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>

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
  std::vector<int> live_of(plan->buffers.size(), -1);
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
    live_of[b] = static_cast<int>(lives.size());
    lives.push_back(l);
  }
  // A temp returned as an output is copied out after the last launch.
  for (int b : plan->outputs) {
    if (live_of[b] >= 0) lives[live_of[b]].last = static_cast<int>(plan->launches.size());
  }
  // In-place partners: an output first written by launch k and an input of k that dies
  // there, of the same size. A buffer can have two: the input it overwrites and the output
  // that overwrites it.
  std::vector<std::vector<int>> partners(plan->buffers.size());
  std::vector<bool> overwrites(plan->buffers.size(), false), overwritten(plan->buffers.size(), false);
  for (size_t k = 0; k < plan->launches.size(); ++k) {
    const Launch& launch = plan->launches[k];
    for (auto [o, i] : launch.inplace) {
      int ob = launch.args.at(static_cast<size_t>(o)), ib = launch.args.at(static_cast<size_t>(i));
      if (ob == ib || live_of[ob] < 0 || live_of[ib] < 0 || overwrites[ob] || overwritten[ib]) continue;
      const Live &lo = lives[live_of[ob]], &li = lives[live_of[ib]];
      if (lo.first != static_cast<int>(k) || li.last != static_cast<int>(k) || lo.size != li.size) continue;
      overwrites[ob] = overwritten[ib] = true;
      partners[ob].push_back(ib);
      partners[ib].push_back(ob);
    }
  }
  // Largest first; each takes an in-place partner's offset if that is free of the other
  // placed buffers it overlaps in time, else the lowest offset clear of all of them.
  std::vector<int> order(lives.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  std::sort(order.begin(), order.end(), [&](int a, int b) {
    return lives[a].size != lives[b].size ? lives[a].size > lives[b].size
                                          : lives[a].buffer < lives[b].buffer;
  });
  std::vector<bool> placed(lives.size(), false);
  int64_t arena = 0;
  for (int li : order) {
    const Live& l = lives[li];
    auto busy = [&](int except) {
      std::vector<std::pair<int64_t, int64_t>> out;
      for (size_t pi = 0; pi < lives.size(); ++pi) {
        const Live& p = lives[pi];
        if (!placed[pi] || p.buffer == except || !(p.first <= l.last && l.first <= p.last)) continue;
        int64_t off = plan->buffers[p.buffer].offset;
        out.push_back({off, off + p.size});
      }
      return out;
    };
    int64_t off = -1;
    for (int mate : partners[l.buffer]) {
      if (off >= 0 || !placed[live_of[mate]]) continue;
      int64_t m = plan->buffers[mate].offset;
      bool clear = true;
      for (auto [b, e] : busy(mate)) clear = clear && (m + l.size <= b || e <= m);
      if (clear) off = m;
    }
    if (off < 0) {
      auto all = busy(-1);
      std::sort(all.begin(), all.end());
      off = 0;
      for (auto [b, e] : all) {
        if (off + l.size <= b) break;
        off = std::max(off, e);
      }
    }
    plan->buffers[l.buffer].offset = off;
    arena = std::max(arena, off + l.size);
    placed[li] = true;
  }
  plan->arena_bytes = arena;
  return arena;
}

int plan_aliases(ExecutablePlan* plan) {
  using Kind = BufferSpec::Kind;
  const size_t nl = plan->launches.size(), nb = plan->buffers.size();
  // The launch writing each buffer (the first that uses it: values are written once).
  std::vector<int> writer(nb, -1);
  std::vector<std::vector<int>> users(nb);
  for (size_t k = 0; k < nl; ++k) {
    for (int a : plan->launches[k].args) {
      Kind kind = plan->buffers[a].kind;
      if (writer[a] < 0 && kind != Kind::kInput && kind != Kind::kConstant) writer[a] = static_cast<int>(k);
      if (users[a].empty() || users[a].back() != static_cast<int>(k)) users[a].push_back(static_cast<int>(k));
    }
  }
  std::vector<std::set<int>> succ(nl);
  for (size_t b = 0; b < nb; ++b) {
    for (int k : users[b]) {
      if (writer[b] >= 0 && writer[b] != k) succ[writer[b]].insert(k);
    }
  }
  auto reaches = [&](int from, int to) {
    std::vector<char> seen(nl, 0);
    std::vector<int> stack{from};
    while (!stack.empty()) {
      int k = stack.back();
      stack.pop_back();
      if (k == to) return true;
      if (seen[k]) continue;
      seen[k] = 1;
      stack.insert(stack.end(), succ[k].begin(), succ[k].end());
    }
    return false;
  };
  std::set<int> updated;  // input buffers written in place
  for (auto [o, i] : plan->aliases) {
    if (o < 0 || o >= static_cast<int>(plan->outputs.size()) || i < 0 || i >= static_cast<int>(plan->inputs.size())) {
      CINN_THROW(InternalError) << "alias (output " << o << ", input " << i << ") out of range";
    }
    const BufferSpec &out = plan->buffers[plan->outputs[o]], &in = plan->buffers[plan->inputs[i]];
    if (out.bytes() != in.bytes()) {
      CINN_THROW(InternalError) << "output '" << out.name << "' (" << out.bytes() << " bytes) cannot be returned in input '"
                                << in.name << "' (" << in.bytes() << " bytes)";
    }
    updated.insert(plan->inputs[i]);
  }
  for (size_t o = 0; o < plan->outputs.size(); ++o) {
    int b = plan->outputs[o];
    bool own = false;
    for (auto [ao, ai] : plan->aliases) own = own || (ao == static_cast<int>(o) && plan->inputs[ai] == b);
    if (updated.count(b) && !own) {
      CINN_THROW(InternalError) << "input '" << plan->buffers[b].name << "' is updated in place, so it cannot "
                                << "also be returned as output " << o;
    }
  }
  int direct = 0;
  for (auto [o, i] : plan->aliases) {
    int ob = plan->outputs[o], ib = plan->inputs[i];
    if (ob == ib) {  // returned unchanged
      ++direct;
      continue;
    }
    if (plan->buffers[ob].kind == Kind::kInput) continue;  // copied in after the launches
    int w = writer[ob];
    bool ok = w >= 0 && plan->buffers[ob].kind == Kind::kOutput;
    const Launch& lw = plan->launches[w];
    for (size_t p = 0; ok && p < lw.args.size(); ++p) {
      if (lw.args[p] != ib) continue;
      bool pair = false;
      for (auto [po, pi] : lw.inplace) pair = pair || (lw.args[po] == ob && static_cast<size_t>(pi) == p);
      ok = pair;
    }
    for (int r : users[ib]) ok = ok && (r == w || !reaches(w, r));
    if (!ok) {
      plan->buffers[ob].kind = Kind::kTemp;
      continue;
    }
    for (int r : users[ib]) {
      if (r != w) succ[r].insert(w);
    }
    ++direct;
  }
  // Topological order, the earliest original launch first.
  std::vector<int> indeg(nl, 0), order;
  for (size_t k = 0; k < nl; ++k) {
    for (int s : succ[k]) ++indeg[s];
  }
  std::set<int> ready;
  for (size_t k = 0; k < nl; ++k) {
    if (!indeg[k]) ready.insert(static_cast<int>(k));
  }
  while (!ready.empty()) {
    int k = *ready.begin();
    ready.erase(ready.begin());
    order.push_back(k);
    for (int s : succ[k]) {
      if (!--indeg[s]) ready.insert(s);
    }
  }
  if (order.size() != nl) CINN_THROW(InternalError) << "plan_aliases: launch dependencies form a cycle";
  std::vector<Launch> launches;
  for (int k : order) launches.push_back(std::move(plan->launches[k]));
  plan->launches = std::move(launches);
  return direct;
}

Executable::Executable(ExecutablePlan plan, std::shared_ptr<KernelModule> module)
    : plan_(std::move(plan)), module_(std::move(module)) {
  if (!module_) CINN_THROW(InternalError) << "Executable: no kernel module";
  for (const Launch& l : plan_.launches) kernel_of_launch_.push_back(module_->find(l.kernel));
}

Executable::~Executable() {
  for (void* p : free_arenas_) module_->device().free(p);
  if (module_->device().is_host()) return;
  for (void* p : constants_) {
    if (p) module_->device().free(p);
  }
}

// An arena of the executable's pool for the duration of one run.
class ArenaLease {
 public:
  explicit ArenaLease(const Executable& exe) : exe_(exe) {
    if (exe.plan_.arena_bytes <= 0) return;
    {
      std::lock_guard<std::mutex> lock(exe.arenas_mu_);
      if (!exe.free_arenas_.empty()) {
        ptr_ = exe.free_arenas_.back();
        exe.free_arenas_.pop_back();
      }
    }
    if (!ptr_) ptr_ = exe.module_->device().alloc(align_up(exe.plan_.arena_bytes));
  }
  ~ArenaLease() {
    if (!ptr_) return;
    std::lock_guard<std::mutex> lock(exe_.arenas_mu_);
    exe_.free_arenas_.push_back(ptr_);
  }
  char* get() const { return static_cast<char*>(ptr_); }

 private:
  const Executable& exe_;
  void* ptr_ = nullptr;
};

const std::vector<void*>& Executable::device_constants() const {
  std::call_once(constants_once_, [this] {
    constants_.assign(plan_.buffers.size(), nullptr);
    Device* dev = &module_->device();
    for (size_t b = 0; b < plan_.buffers.size(); ++b) {
      const BufferSpec& spec = plan_.buffers[b];
      if (spec.kind != BufferSpec::Kind::kConstant) continue;
      if (dev->is_host()) {
        constants_[b] = const_cast<void*>(spec.data.get());
        continue;
      }
      constants_[b] = dev->alloc(spec.bytes());
      dev->copy(constants_[b], spec.data.get(), spec.bytes(), Device::Copy::kHostToDevice);
    }
  });
  return constants_;
}

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

int Executable::aliases_in_place() const {
  int n = 0;
  for (auto [o, i] : plan_.aliases) {
    int ob = plan_.outputs[o];
    n += ob == plan_.inputs[i] || plan_.buffers[ob].kind == BufferSpec::Kind::kOutput;
  }
  return n;
}

void Executable::check_arity(size_t inputs, size_t outputs) const {
  if (inputs != plan_.inputs.size() || outputs != plan_.outputs.size()) {
    CINN_THROW(ExecutionError) << "run: expected " << plan_.inputs.size() << " inputs and "
                               << plan_.outputs.size() << " outputs, got " << inputs << " and "
                               << outputs;
  }
}

namespace {
// Device memory freed at scope exit.
class DeviceMemory {
 public:
  explicit DeviceMemory(Device& dev) : dev_(dev) {}
  ~DeviceMemory() {
    for (void* p : ptrs_) dev_.free(p);
  }
  void* alloc(int64_t bytes) {
    ptrs_.push_back(dev_.alloc(bytes));
    return ptrs_.back();
  }

 private:
  Device& dev_;
  std::vector<void*> ptrs_;
};
}  // namespace

void Executable::run(const std::vector<const void*>& inputs,
                     const std::vector<void*>& outputs) const {
  run_impl(inputs, outputs, nullptr);
}

std::vector<double> Executable::run_profiled(const std::vector<const void*>& inputs,
                                             const std::vector<void*>& outputs) const {
  std::vector<double> seconds;
  run_impl(inputs, outputs, &seconds);
  return seconds;
}

void Executable::run_impl(const std::vector<const void*>& inputs, const std::vector<void*>& outputs,
                          std::vector<double>* launch_seconds) const {
  check_arity(inputs.size(), outputs.size());
  Device& dev = module_->device();
  if (dev.is_host()) {
    execute(inputs, outputs, launch_seconds);
    return;
  }
  DeviceMemory mem(dev);
  std::vector<const void*> d_in;
  std::vector<void*> d_out;
  for (size_t i = 0; i < inputs.size(); ++i) {
    int64_t n = plan_.buffers[plan_.inputs[i]].bytes();
    void* p = mem.alloc(n);
    dev.copy(p, inputs[i], n, Device::Copy::kHostToDevice);
    d_in.push_back(p);
  }
  for (size_t i = 0; i < outputs.size(); ++i) d_out.push_back(mem.alloc(plan_.buffers[plan_.outputs[i]].bytes()));
  execute(d_in, d_out, launch_seconds);
  for (size_t i = 0; i < outputs.size(); ++i) {
    dev.copy(outputs[i], d_out[i], plan_.buffers[plan_.outputs[i]].bytes(), Device::Copy::kDeviceToHost);
  }
  dev.synchronize();
}

void Executable::run_on_device(const std::vector<const void*>& inputs,
                               const std::vector<void*>& outputs) const {
  check_arity(inputs.size(), outputs.size());
  execute(inputs, outputs);
  module_->device().synchronize();
}

void Executable::execute(const std::vector<const void*>& inputs,
                         const std::vector<void*>& outputs,
                         std::vector<double>* launch_seconds) const {
  Device& dev = module_->device();
  Device::Copy d2d = dev.is_host() ? Device::Copy::kHostToDevice : Device::Copy::kDeviceToDevice;
  std::vector<void*> ptr(plan_.buffers.size(), nullptr);
  for (size_t i = 0; i < inputs.size(); ++i) ptr[plan_.inputs[i]] = const_cast<void*>(inputs[i]);
  const std::vector<void*>& constants = device_constants();
  for (size_t b = 0; b < plan_.buffers.size(); ++b) {
    if (plan_.buffers[b].kind == BufferSpec::Kind::kConstant) ptr[b] = constants[b];
  }
  // Outputs that are written by kernels; a buffer listed as several outputs is written once
  // (into the first) and copied to the others.
  for (size_t i = 0; i < outputs.size(); ++i) {
    int b = plan_.outputs[i];
    if (plan_.buffers[b].kind == BufferSpec::Kind::kOutput && !ptr[b]) ptr[b] = outputs[i];
  }
  ArenaLease lease(*this);
  char* arena = lease.get();
  for (size_t b = 0; b < plan_.buffers.size(); ++b) {
    if (plan_.buffers[b].kind == BufferSpec::Kind::kTemp) ptr[b] = arena + plan_.buffers[b].offset;
  }
  std::vector<void*> args;
  if (launch_seconds) launch_seconds->assign(plan_.launches.size(), 0.0);
  for (size_t k = 0; k < plan_.launches.size(); ++k) {
    args.clear();
    for (int a : plan_.launches[k].args) args.push_back(ptr[a]);
    auto start = std::chrono::steady_clock::now();
    module_->launch(kernel_of_launch_[k], args.data(), kNoSizes);
    if (launch_seconds) {
      dev.synchronize();
      (*launch_seconds)[k] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
  }
  for (size_t i = 0; i < outputs.size(); ++i) {
    int b = plan_.outputs[i];
    if (ptr[b] != outputs[i]) dev.copy(outputs[i], ptr[b], plan_.buffers[b].bytes(), d2d);
  }
  // The arena goes back to the pool at scope exit: wait for the kernels that use it.
  if (arena) dev.synchronize();
}

}  // namespace cinn::runtime
