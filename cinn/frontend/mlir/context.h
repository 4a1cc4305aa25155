// The importer's state while it converts one function, shared by the converters
// (tosa_ops.cc) and the driver (import.cc). Includes MLIR: only the importer's files use it.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "cinn/common/error.h"
#include "cinn/frontend/net_builder.h"
#include "llvm/ADT/DenseMap.h"
#include "mlir/IR/Operation.h"
#include "mlir/IR/Value.h"

namespace cinn::frontend::mlir {

namespace m = ::mlir;

// CINN's dtype of an MLIR element type; DTypeError naming `what` for one it has none for.
common::Type to_dtype(m::Type t, const std::string& what);

class Context {
 public:
  explicit Context(NetBuilder& b) : b(b) {}

  NetBuilder& b;
  m::Operation* op = nullptr;  // the op being converted

  // "op 'tosa.conv2d' at model.mlir:12:10: ", the prefix of every error about `op`.
  std::string where() const;

  // The CINN value of an SSA value defined earlier (a function argument or a result).
  Value* value(m::Value v) const;
  Value* operand(unsigned i) const { return value(op->getOperand(i)); }
  void bind(m::Value v, Value* x) { env_[v] = x; }

  // Operand `i`'s elements when it is a constant (tosa.const, arith.constant): the
  // attributes TOSA passes as tensors (transpose's perms, pad's padding). ShapeError
  // naming `what` if the operand is computed at run time.
  std::vector<int64_t> constant_ints(unsigned i, const char* what) const;
  std::vector<double> constant_floats(unsigned i, const char* what) const;
  bool has_constant(unsigned i) const;

  // Attributes of `op`; UnsupportedOpError naming the attribute when it is missing or of
  // another kind.
  std::vector<int64_t> ints(const char* name) const;
  int64_t integer(const char* name) const;
  double real(const char* name) const;

  // Result i's static shape and dtype (the converters build results of exactly this type;
  // the driver checks).
  std::vector<int64_t> result_shape(unsigned i = 0) const;
  common::Type result_dtype(unsigned i = 0) const;

 private:
  llvm::DenseMap<m::Value, Value*> env_;
};

// A converter: the CINN values of `ctx.op`'s results, from its operands and attributes.
using Converter = std::function<std::vector<Value*>(Context& ctx)>;

// The table of converters by operation name ("tosa.add", "arith.constant", ...).
const std::map<std::string, Converter>& converters();

}  // namespace cinn::frontend::mlir

// Throws E with the op and location of `ctx` in front of the message.
#define MLIR_THROW(ctx, E) CINN_THROW(E) << "cinn.mlir: " << (ctx).where()
