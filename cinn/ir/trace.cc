#include <cctype>
#include <cstdlib>
#include <iomanip>
#include <map>
#include <sstream>

#include "cinn/ir/ir_operators.h"
#include "cinn/ir/schedule.h"

namespace cinn::ir {

namespace {

void write_ints(std::ostream& os, const std::vector<int>& v) {
  os << "[";
  for (size_t i = 0; i < v.size(); ++i) os << (i ? ", " : "") << v[i];
  os << "]";
}

// A strict parser for the JSON this file writes: a list of flat objects whose values are
// strings or lists of integers.
class Parser {
 public:
  explicit Parser(const std::string& s) : s_(s) {}

  Trace parse() {
    Trace t;
    expect('[');
    if (peek() != ']') {
      for (;;) {
        t.steps.push_back(step());
        if (peek() == ',') {
          ++pos_;
          continue;
        }
        break;
      }
    }
    expect(']');
    skip();
    if (pos_ != s_.size()) fail("trailing characters");
    return t;
  }

 private:
  TraceStep step() {
    TraceStep st;
    expect('{');
    for (;;) {
      std::string key = string();
      expect(':');
      if (key == "kind") {
        st.kind = string();
      } else if (key == "strs") {
        expect('[');
        if (peek() != ']') {
          for (;;) {
            st.strs.push_back(string());
            if (peek() != ',') break;
            ++pos_;
          }
        }
        expect(']');
      } else if (key == "floats") {
        st.floats = floats();
      } else if (key == "inputs" || key == "outputs") {
        for (int64_t v : ints()) (key == "inputs" ? st.inputs : st.outputs).push_back(static_cast<int>(v));
      } else if (key == "ints") {
        st.ints = ints();
      } else {
        fail("unknown key '" + key + "'");
      }
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      break;
    }
    expect('}');
    if (st.kind.empty()) fail("step without a kind");
    return st;
  }
  std::vector<int64_t> ints() {
    std::vector<int64_t> out;
    expect('[');
    if (peek() != ']') {
      for (;;) {
        skip();
        size_t start = pos_;
        if (pos_ < s_.size() && s_[pos_] == '-') ++pos_;
        while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_;
        if (start == pos_) fail("expected an integer");
        out.push_back(std::stoll(s_.substr(start, pos_ - start)));
        if (peek() == ',') {
          ++pos_;
          continue;
        }
        break;
      }
    }
    expect(']');
    return out;
  }
  std::vector<double> floats() {
    std::vector<double> out;
    expect('[');
    if (peek() != ']') {
      for (;;) {
        skip();
        const char* begin = s_.c_str() + pos_;
        char* end = nullptr;
        double v = std::strtod(begin, &end);
        if (end == begin) fail("expected a number");
        pos_ += static_cast<size_t>(end - begin);
        out.push_back(v);
        if (peek() != ',') break;
        ++pos_;
      }
    }
    expect(']');
    return out;
  }
  std::string string() {
    expect('"');
    std::string out;
    while (pos_ < s_.size() && s_[pos_] != '"') {
      if (s_[pos_] == '\\') ++pos_;
      if (pos_ < s_.size()) out += s_[pos_++];
    }
    expect('"');
    return out;
  }
  void skip() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  char peek() {
    skip();
    return pos_ < s_.size() ? s_[pos_] : '\0';
  }
  void expect(char c) {
    if (peek() != c) fail(std::string("expected '") + c + "'");
    ++pos_;
  }
  [[noreturn]] void fail(const std::string& why) {
    CINN_THROW(ScheduleError) << "malformed schedule trace at character " << pos_ << ": " << why;
  }

  const std::string& s_;
  size_t pos_ = 0;
};

}  // namespace

std::string Trace::to_json() const {
  std::ostringstream os;
  os << "[";
  for (size_t i = 0; i < steps.size(); ++i) {
    const TraceStep& st = steps[i];
    os << (i ? ",\n " : "") << "{\"kind\": \"" << st.kind << "\", \"inputs\": ";
    write_ints(os, st.inputs);
    os << ", \"outputs\": ";
    write_ints(os, st.outputs);
    os << ", \"ints\": [";
    for (size_t j = 0; j < st.ints.size(); ++j) os << (j ? ", " : "") << st.ints[j];
    os << "]";
    if (!st.floats.empty()) {
      os << ", \"floats\": [" << std::setprecision(17);
      for (size_t j = 0; j < st.floats.size(); ++j) os << (j ? ", " : "") << st.floats[j];
      os << "]";
    }
    os << ", \"strs\": [";
    for (size_t j = 0; j < st.strs.size(); ++j) {
      os << (j ? ", " : "") << "\"";
      for (char c : st.strs[j]) os << (c == '"' || c == '\\' ? "\\" : "") << c;
      os << "\"";
    }
    os << "]}";
  }
  os << "]";
  return os.str();
}

Trace Trace::from_json(const std::string& json) { return Parser(json).parse(); }

namespace {

// Replays one step: resolves the recorded handle ids to handles of the new schedule and
// binds the ids of what the step produces.
struct Replayer {
  IRSchedule& s;
  const TraceStep& st;
  std::map<int, LoopRV>& loops;
  std::map<int, BlockRV>& blocks;

  [[noreturn]] void malformed(const std::string& why) const {
    CINN_THROW(ScheduleError) << "replay: malformed step '" << st.kind << "': " << why;
  }
  void arity(size_t inputs, size_t strs) const {
    if (st.inputs.size() != inputs) malformed("expected " + std::to_string(inputs) + " inputs");
    if (st.strs.size() != strs) malformed("expected " + std::to_string(strs) + " strings");
  }
  LoopRV loop(size_t i) const {
    auto it = loops.find(st.inputs.at(i));
    if (it == loops.end()) malformed("loop handle " + std::to_string(st.inputs[i]) + " undefined");
    return it->second;
  }
  BlockRV block(size_t i) const {
    auto it = blocks.find(st.inputs.at(i));
    if (it == blocks.end()) {
      malformed("block handle " + std::to_string(st.inputs[i]) + " undefined");
    }
    return it->second;
  }
  std::vector<LoopRV> all_loops() const {
    std::vector<LoopRV> out;
    for (size_t i = 0; i < st.inputs.size(); ++i) out.push_back(loop(i));
    return out;
  }
  void produced(const std::vector<LoopRV>& got) const {
    if (got.size() != st.outputs.size()) {
      malformed("produced " + std::to_string(got.size()) + " loops, the trace recorded " +
                std::to_string(st.outputs.size()));
    }
    for (size_t i = 0; i < got.size(); ++i) loops[st.outputs[i]] = got[i];
  }
  void produced(const std::vector<BlockRV>& got) const {
    if (got.size() != st.outputs.size()) {
      malformed("produced " + std::to_string(got.size()) + " blocks, the trace recorded " +
                std::to_string(st.outputs.size()));
    }
    for (size_t i = 0; i < got.size(); ++i) blocks[st.outputs[i]] = got[i];
  }
  int64_t int_at(size_t i) const {
    if (i >= st.ints.size()) malformed("missing integer attribute");
    return st.ints[i];
  }
};

using ReplayFn = void (*)(Replayer&);

const std::map<std::string, ReplayFn>& replay_table() {
  static const std::map<std::string, ReplayFn> table = {
      {"get_block", [](Replayer& r) { r.arity(0, 1), r.produced({r.s.get_block(r.st.strs[0])}); }},
      {"get_all_blocks", [](Replayer& r) { r.arity(0, 0), r.produced(r.s.get_all_blocks()); }},
      {"get_child_blocks",
       [](Replayer& r) { r.arity(1, 0), r.produced(r.s.get_child_blocks(r.loop(0))); }},
      {"get_loops", [](Replayer& r) { r.arity(1, 0), r.produced(r.s.get_loops(r.block(0))); }},
      {"split", [](Replayer& r) { r.arity(1, 0), r.produced(r.s.split(r.loop(0), r.st.ints)); }},
      {"fuse", [](Replayer& r) { r.produced({r.s.fuse(r.all_loops())}); }},
      {"reorder", [](Replayer& r) { r.s.reorder(r.all_loops()); }},
      {"parallel", [](Replayer& r) { r.arity(1, 0), r.s.parallel(r.loop(0)); }},
      {"vectorize", [](Replayer& r) { r.arity(1, 0), r.s.vectorize(r.loop(0)); }},
      {"unroll", [](Replayer& r) { r.arity(1, 0), r.s.unroll(r.loop(0)); }},
      {"bind", [](Replayer& r) { r.arity(1, 1), r.s.bind(r.loop(0), r.st.strs[0]); }},
      {"annotate",
       [](Replayer& r) { r.arity(1, 2), r.s.annotate(r.block(0), r.st.strs[0], r.st.strs[1]); }},
      {"compute_inline", [](Replayer& r) { r.arity(1, 0), r.s.compute_inline(r.block(0)); }},
      {"reverse_compute_inline",
       [](Replayer& r) { r.arity(1, 0), r.s.reverse_compute_inline(r.block(0)); }},
      {"compute_at", [](Replayer& r) { r.arity(2, 0), r.s.compute_at(r.block(0), r.loop(1)); }},
      {"reverse_compute_at",
       [](Replayer& r) { r.arity(2, 0), r.s.reverse_compute_at(r.block(0), r.loop(1)); }},
      {"cache_read",
       [](Replayer& r) {
         if (r.st.inputs.empty() || r.st.strs.size() != 2) r.malformed("expected blocks and 2 strings");
         std::vector<BlockRV> consumers;
         for (size_t i = 0; i < r.st.inputs.size(); ++i) consumers.push_back(r.block(i));
         r.produced({r.s.cache_read(consumers, r.st.strs[0], parse_memory_scope(r.st.strs[1]))});
       }},
      {"cache_write",
       [](Replayer& r) {
         r.arity(1, 2);
         r.produced(
             {r.s.cache_write(r.block(0), r.st.strs[0], parse_memory_scope(r.st.strs[1]))});
       }},
      {"set_scope",
       [](Replayer& r) { r.arity(0, 2), r.s.set_scope(r.st.strs[0], parse_memory_scope(r.st.strs[1])); }},
      {"layout_transform",
       [](Replayer& r) {
         r.arity(0, 1);
         // ints: ndim, then (kind, dim, factor) per output dimension; kind 0: v, 1: v // f,
         // 2: v % f.
         int64_t ndim = r.int_at(0);
         if (ndim <= 0 || (r.st.ints.size() - 1) % 3 != 0) r.malformed("bad index map");
         std::vector<Expr> vars, map;
         for (int64_t d = 0; d < ndim; ++d) vars.push_back(Var::make("v" + std::to_string(d)));
         for (size_t i = 1; i + 2 < r.st.ints.size(); i += 3) {
           int64_t kind = r.st.ints[i], dim = r.st.ints[i + 1], f = r.st.ints[i + 2];
           if (dim < 0 || dim >= ndim || kind < 0 || kind > 2 || f <= 0) {
             r.malformed("bad index map entry");
           }
           Expr v = vars[dim];
           map.push_back(kind == 0 ? v : kind == 1 ? v / Expr(f) : v % Expr(f));
         }
         r.s.layout_transform(r.st.strs[0], vars, map);
       }},
      {"storage_align",
       [](Replayer& r) {
         r.arity(0, 1);
         r.s.storage_align(r.st.strs[0], static_cast<int>(r.int_at(0)), r.int_at(1), r.int_at(2));
       }},
      {"rfactor",
       [](Replayer& r) { r.arity(1, 0), r.produced({r.s.rfactor(r.loop(0), r.int_at(0))}); }},
      {"decompose_reduction",
       [](Replayer& r) {
         r.arity(2, 0), r.produced({r.s.decompose_reduction(r.block(0), r.loop(1))});
       }},
      {"sample_perfect_tile",
       [](Replayer& r) {
         r.arity(1, 0);
         if (r.st.ints.size() < 2) r.malformed("missing decision");
         std::vector<int64_t> decision(r.st.ints.begin() + 2, r.st.ints.end());
         r.s.sample_perfect_tile(r.loop(0), static_cast<int>(r.st.ints[0]), r.st.ints[1],
                                 decision);
       }},
      {"sample_categorical",
       [](Replayer& r) {
         r.arity(0, 0);
         if (r.st.ints.empty()) r.malformed("missing decision");
         std::vector<int64_t> cands(r.st.ints.begin(), r.st.ints.end() - 1);
         r.s.sample_categorical(cands, r.st.floats, r.st.ints.back());
       }},
  };
  return table;
}

}  // namespace

IRSchedule IRSchedule::replay(LoweredFunc f, const Trace& trace) {
  IRSchedule s(std::move(f));
  std::map<int, LoopRV> loops;
  std::map<int, BlockRV> blocks;
  for (const TraceStep& st : trace.steps) {
    auto it = replay_table().find(st.kind);
    if (it == replay_table().end()) {
      CINN_THROW(ScheduleError) << "replay: unknown step '" << st.kind << "'";
    }
    Replayer r{s, st, loops, blocks};
    it->second(r);
  }
  return s;
}

}  // namespace cinn::ir
