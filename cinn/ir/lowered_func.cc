#include "cinn/ir/lowered_func.h"

#include <sstream>

#include "cinn/ir/printer.h"

namespace cinn::ir {

LoweredFunc LoweredFunc::make(const std::string& name, std::vector<Argument> args,
                              std::vector<Expr> size_vars, std::vector<Buffer> temp_buffers,
                              Stmt body) {
  CINN_CHECK(!name.empty()) << "function needs a name";
  CINN_CHECK(body.defined()) << "function '" << name << "' has no body";
  for (const Expr& v : size_vars) CINN_CHECK(v.as<Var>()) << "size_vars must be Vars";
  auto* n = new LoweredFuncNode;
  n->name = name;
  n->args = std::move(args);
  n->size_vars = std::move(size_vars);
  n->temp_buffers = std::move(temp_buffers);
  n->body = std::move(body);
  return LoweredFunc(n);
}

LoweredFunc LoweredFunc::with_body(Stmt body) const {
  return make(name(), args(), size_vars(), get()->temp_buffers, std::move(body));
}

std::string LoweredFunc::to_string() const {
  std::ostringstream os;
  os << "func " << name() << "(";
  for (size_t i = 0; i < args().size(); ++i) {
    if (i) os << ", ";
    if (args()[i].kind == Argument::Kind::kOutput) os << "out ";
    os << args()[i].buffer;
  }
  os << ") {\n";
  std::istringstream body(ir::to_string(this->body()));
  for (std::string line; std::getline(body, line);) os << "  " << line << "\n";
  os << "}\n";
  return os.str();
}

}  // namespace cinn::ir
