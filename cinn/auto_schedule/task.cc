#include "cinn/auto_schedule/task.h"

#include <cctype>
#include <cstring>
#include <map>
#include <set>
#include <unordered_map>

#include "cinn/common/error.h"
#include "cinn/ir/ir_operators.h"
#include "cinn/ir/visitor.h"

namespace cinn::auto_schedule {
namespace {

constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ULL;
constexpr uint64_t kFnvPrime = 0x100000001b3ULL;

// Digests a function the way ir::structural_hash does (kinds, types, values, positions of
// variables), except that block and buffer names count by their order of first appearance
// and every byte goes through FNV-1a, so the digest is the same in every process.
// With `text`, the bytes are also kept (canonical_form).
class CanonicalDigest : public ir::IRVisitor {
 public:
  explicit CanonicalDigest(std::string* text = nullptr) : text_(text) {}
  uint64_t h = kFnvOffset;
  std::vector<std::string> names;

  void bytes(const void* p, size_t n) {
    const auto* c = static_cast<const unsigned char*>(p);
    for (size_t i = 0; i < n; ++i) h = (h ^ c[i]) * kFnvPrime;
    if (text_) text_->append(static_cast<const char*>(p), n);
  }
  // The function: its arguments in order, then its body.
  void function(const ir::LoweredFunc& func) {
    for (const ir::Argument& a : func.args()) {
      buffer(a.buffer);
      pod(static_cast<int>(a.kind));
    }
    pod(static_cast<uint64_t>(func.size_vars().size()));
    visit(func.body());
  }
  template <typename T>
  void pod(T v) {
    bytes(&v, sizeof(v));
  }
  void str(const std::string& s) {
    pod(static_cast<uint64_t>(s.size()));
    bytes(s.data(), s.size());
  }
  void type(common::Type t) {
    pod(static_cast<int>(t.code()));
    pod(t.bits());
    pod(t.lanes());
  }
  void name(const std::string& n) {
    auto it = index_.find(n);
    if (it == index_.end()) {
      it = index_.emplace(n, names.size()).first;
      names.push_back(n);
    }
    pod(static_cast<uint64_t>(it->second));
  }
  void buffer(const ir::Buffer& b) {
    name(b.name());
    type(b.dtype());
    pod(static_cast<int>(b.get()->scope));
    pod(static_cast<uint64_t>(b.shape().size()));
    for (const ir::Expr& d : b.shape()) {
      const int64_t* c = ir::as_const_int(d);
      pod(c ? *c : int64_t{-1});
    }
  }

#define CINN_EXPR_NODE(Name)                       \
  void visit_##Name(const ir::Name* op) override { \
    pod(static_cast<int>(op->kind()));             \
    type(op->type);                                \
    extra(op);                                     \
    IRVisitor::visit_##Name(op);                   \
  }
#define CINN_STMT_NODE(Name)                       \
  void visit_##Name(const ir::Name* op) override { \
    pod(static_cast<int>(op->kind()));             \
    extra(op);                                     \
    IRVisitor::visit_##Name(op);                   \
  }
#include "cinn/ir/node_kinds.def"

 private:
  template <typename T>
  void extra(const T*) {}
  void extra(const ir::IntImm* op) { pod(op->value); }
  void extra(const ir::UIntImm* op) { pod(op->value); }
  void extra(const ir::FloatImm* op) { pod(op->value); }
  void extra(const ir::StringImm* op) { str(op->value); }
  void extra(const ir::Var* op) {
    auto it = vars_.find(op);
    if (it == vars_.end()) it = vars_.emplace(op, vars_.size()).first;
    pod(static_cast<uint64_t>(it->second));
  }
  void extra(const ir::Call* op) {
    str(op->name);
    pod(static_cast<int>(op->call_kind));
    pod(static_cast<uint64_t>(op->args.size()));
  }
  // Shapes the kinds alone do not tell apart: Block{If(c, a), b} and Block{If(c, a, b)}.
  void extra(const ir::Block* op) { pod(static_cast<uint64_t>(op->stmts.size())); }
  void extra(const ir::IfThenElse* op) { pod(op->else_case.defined()); }
  void extra(const ir::Load* op) {
    buffer(op->buffer);
    pod(static_cast<uint64_t>(op->indices.size()));
  }
  void extra(const ir::Store* op) {
    buffer(op->buffer);
    pod(static_cast<uint64_t>(op->indices.size()));
  }
  void extra(const ir::Allocate* op) { buffer(op->buffer); }
  void extra(const ir::Free* op) { buffer(op->buffer); }
  void extra(const ir::For* op) { pod(static_cast<int>(op->for_kind)); }
  void extra(const ir::ScheduleBlock* op) {
    name(op->name);
    pod(op->init.defined());
    pod(static_cast<uint64_t>(op->iter_vars.size()));
    for (const auto& iv : op->iter_vars) pod(static_cast<int>(iv.kind));
    for (const auto& r : op->reads) buffer(r.buffer);
    for (const auto& r : op->writes) buffer(r.buffer);
    for (const auto& [k, v] : op->annotations) {
      str(k);
      str(v);
    }
  }

  std::string* text_;
  std::unordered_map<std::string, size_t> index_;
  std::unordered_map<const ir::Var*, size_t> vars_;
};

// Renames the strings of a trace that name blocks or buffers: the first string of the steps
// that take a block or buffer by name (ir/trace.cc). Scopes, thread axes and annotations
// are left alone.
ir::Trace rename(const ir::Trace& trace, const std::function<std::string(const std::string&)>& f) {
  static const std::set<std::string> kNamed = {"get_block", "cache_read",       "cache_write",
                                               "set_scope", "layout_transform", "storage_align"};
  ir::Trace out = trace;
  for (ir::TraceStep& st : out.steps) {
    if (kNamed.count(st.kind) && !st.strs.empty()) st.strs[0] = f(st.strs[0]);
  }
  return out;
}

std::string hex16(uint64_t h) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

}  // namespace

std::string stable_hash(const std::string& text) {
  uint64_t h = kFnvOffset;
  for (unsigned char c : text) h = (h ^ c) * kFnvPrime;
  return hex16(h);
}

std::string canonical_form(const ir::LoweredFunc& func) {
  std::string text;
  CanonicalDigest d(&text);
  d.function(func);
  return text;
}

Task make_task(const std::string& name, backends::KernelKind kind, const ir::LoweredFunc& func,
               const common::Target& target) {
  CanonicalDigest d;
  d.function(func);
  d.str(backends::kernel_kind_name(kind));
  d.str(target.to_string());
  Task t;
  t.name = name;
  t.kind = kind;
  t.func = func;
  t.target = target;
  t.key = hex16(d.h);
  t.names = std::move(d.names);
  return t;
}

ir::Trace canonical_trace(const ir::Trace& trace, const Task& task) {
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < task.names.size(); ++i) index.emplace(task.names[i], i);
  return rename(trace, [&](const std::string& s) {
    auto it = index.find(s);
    if (it != index.end()) return "$" + std::to_string(it->second);
    // A name a schedule step derived from one of the task's names ("w_global" from
    // cache_read of "w", "b_rf" from rfactor of "b"): the longest task name followed by '_'.
    size_t best = std::string::npos, best_len = 0;
    for (size_t cut = s.find('_'); cut != std::string::npos; cut = s.find('_', cut + 1)) {
      auto p = index.find(s.substr(0, cut));
      if (p != index.end() && cut > best_len) best = p->second, best_len = cut;
    }
    if (best != std::string::npos) return "$" + std::to_string(best) + s.substr(best_len);
    // A literal string that starts with '$' is escaped by doubling it.
    return s.empty() || s[0] != '$' ? s : "$" + s;
  });
}

ir::Trace instantiate_trace(const ir::Trace& trace, const Task& task) {
  return rename(trace, [&](const std::string& s) {
    if (s.empty() || s[0] != '$') return s;
    if (s.size() > 1 && s[1] == '$') return s.substr(1);
    // "$<index>" or "$<index>_<suffix>".
    size_t end = 1;
    while (end < s.size() && end < 12 && std::isdigit(static_cast<unsigned char>(s[end]))) ++end;
    if (end == 1 || (end < s.size() && s[end] != '_')) {
      CINN_THROW(ScheduleError) << "tuning record for kernel '" << task.name
                                << "': malformed name '" << s << "' in its trace";
    }
    size_t i = std::stoul(s.substr(1, end - 1));
    if (i >= task.names.size()) {
      CINN_THROW(ScheduleError) << "tuning record for kernel '" << task.name
                                << "': its trace names $" << i << " but the kernel has "
                                << task.names.size() << " block and buffer names";
    }
    return task.names[i] + s.substr(end);
  });
}

ir::IRSchedule replay_record(const Task& task, const std::string& trace_json) {
  return ir::IRSchedule::replay(task.func,
                                instantiate_trace(ir::Trace::from_json(trace_json), task));
}

}  // namespace cinn::auto_schedule
