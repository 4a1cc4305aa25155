#include <cctype>
#include <sstream>

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
      } else if (key == "str") {
        st.str = string();
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
    os << "], \"str\": \"";
    for (char c : st.str) os << (c == '"' || c == '\\' ? "\\" : "") << c;
    os << "\"}";
  }
  os << "]";
  return os.str();
}

Trace Trace::from_json(const std::string& json) { return Parser(json).parse(); }

}  // namespace cinn::ir
