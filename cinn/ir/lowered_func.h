// A lowered function (one kernel) and a module of them.
#pragma once

#include <string>
#include <vector>

#include "cinn/common/target.h"
#include "cinn/ir/ir.h"

namespace cinn::ir {

struct Argument {
  enum class Kind : uint8_t { kInput, kOutput };
  Buffer buffer;
  Kind kind = Kind::kInput;
};

struct LoweredFuncNode : RefCounted {
  std::string name;
  // Buffer arguments, in calling order.
  std::vector<Argument> args;
  // Symbolic sizes (Vars) the body uses: bound at call time from the arguments' shapes.
  std::vector<Expr> size_vars;
  // Intermediate buffers the body allocates.
  std::vector<Buffer> temp_buffers;
  Stmt body;
};

class LoweredFunc : public Ref<LoweredFuncNode> {
 public:
  using Ref<LoweredFuncNode>::Ref;
  static LoweredFunc make(const std::string& name, std::vector<Argument> args,
                          std::vector<Expr> size_vars, std::vector<Buffer> temp_buffers,
                          Stmt body);
  // The same function with another body.
  LoweredFunc with_body(Stmt body) const;
  const std::string& name() const { return get()->name; }
  const Stmt& body() const { return get()->body; }
  const std::vector<Argument>& args() const { return get()->args; }
  const std::vector<Expr>& size_vars() const { return get()->size_vars; }
  std::string to_string() const;
};

struct Module {
  std::string name;
  common::Target target;
  std::vector<LoweredFunc> functions;
};

}  // namespace cinn::ir
