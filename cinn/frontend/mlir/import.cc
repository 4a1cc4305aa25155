// The driver of the MLIR importer: parse and verify, pick the entry function, convert its
// ops in order with the converter table, check every result's type against MLIR's.
#include "cinn/frontend/mlir/import.h"

#include <sstream>

#include "cinn/frontend/mlir/context.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Parser/Parser.h"

namespace cinn::frontend::mlir {
namespace {

std::string location(m::Location loc) {
  if (auto fl = loc->findInstanceOf<m::FileLineColLoc>()) {
    std::ostringstream os;
    os << fl.getFilename().str() << ":" << fl.getLine() << ":" << fl.getColumn();
    return os.str();
  }
  return "<unknown location>";
}

std::string type_string(m::Type t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  t.print(os);
  return os.str();
}

// The static shape of a ranked tensor type; ShapeError naming `what` otherwise.
std::vector<int64_t> static_shape(m::Type t, const std::string& what) {
  auto rt = llvm::dyn_cast<m::RankedTensorType>(t);
  if (!rt) {
    CINN_THROW(ShapeError) << "cinn.mlir: " << what << " has type " << type_string(t)
                           << "; expected a ranked tensor";
  }
  if (!rt.hasStaticShape()) {
    CINN_THROW(ShapeError) << "cinn.mlir: " << what << " has the dynamic type " << type_string(t)
                           << "; CINN compiles static shapes (give every dimension a size)";
  }
  for (int64_t d : rt.getShape()) {
    if (d == 0) {
      CINN_THROW(ShapeError) << "cinn.mlir: " << what << " has the empty type " << type_string(t)
                             << "; CINN does not compile zero-sized tensors";
    }
  }
  return std::vector<int64_t>(rt.getShape().begin(), rt.getShape().end());
}

m::DenseElementsAttr constant_attr(m::Value v) {
  m::DenseElementsAttr attr;
  if (m::matchPattern(v, m::m_Constant(&attr))) return attr;
  return {};
}

// Rethrows the active cinn error with `prefix` in front of its message, keeping its class.
[[noreturn]] void rethrow_with(const std::string& prefix) {
  try {
    throw;
  } catch (const ShapeError& e) {
    throw ShapeError(prefix + e.what());
  } catch (const DTypeError& e) {
    throw DTypeError(prefix + e.what());
  } catch (const UnsupportedOpError& e) {
    throw UnsupportedOpError(prefix + e.what());
  } catch (const InternalError& e) {
    throw InternalError(prefix + e.what());
  } catch (const Error& e) {
    throw Error(prefix + e.what());
  }
}

}  // namespace

common::Type to_dtype(m::Type t, const std::string& what) {
  if (t.isF32()) return common::Float(32);
  if (t.isF64()) return common::Float(64);
  if (t.isF16()) return common::Float(16);
  if (t.isBF16()) return common::BFloat16();
  if (auto it = llvm::dyn_cast<m::IntegerType>(t)) {
    unsigned w = it.getWidth();
    if (w == 1) return common::Bool();
    if (w == 8 || w == 16 || w == 32 || w == 64) {
      // TOSA's integers are signless and read as signed; `ui8` is unsigned.
      return it.isUnsigned() ? common::UInt(w) : common::Int(w);
    }
  }
  CINN_THROW(DTypeError) << "cinn.mlir: " << what << " has element type " << type_string(t)
                         << "; CINN supports f16, bf16, f32, f64, i1 and 8- to 64-bit integers";
}

std::string Context::where() const {
  if (!op) return "";
  return "op '" + op->getName().getStringRef().str() + "' at " + location(op->getLoc()) + ": ";
}

Value* Context::value(m::Value v) const {
  auto it = env_.find(v);
  CINN_CHECK(it != env_.end()) << "an SSA value used before its definition";
  return it->second;
}

bool Context::has_constant(unsigned i) const {
  return i < op->getNumOperands() && constant_attr(op->getOperand(i));
}

std::vector<int64_t> Context::constant_ints(unsigned i, const char* what) const {
  auto attr = constant_attr(op->getOperand(i));
  if (!attr || !llvm::isa<m::IntegerType>(attr.getElementType())) {
    MLIR_THROW(*this, ShapeError) << "operand '" << what << "' must be an integer constant "
                                  << "(tosa.const or arith.constant); CINN needs it while compiling";
  }
  std::vector<int64_t> out;
  for (const llvm::APInt& v : attr.getValues<llvm::APInt>()) out.push_back(v.getSExtValue());
  return out;
}

std::vector<double> Context::constant_floats(unsigned i, const char* what) const {
  auto attr = constant_attr(op->getOperand(i));
  if (!attr) {
    MLIR_THROW(*this, ShapeError) << "operand '" << what << "' must be a constant "
                                  << "(tosa.const or arith.constant); CINN needs it while compiling";
  }
  std::vector<double> out;
  if (llvm::isa<m::FloatType>(attr.getElementType())) {
    for (const llvm::APFloat& v : attr.getValues<llvm::APFloat>()) out.push_back(v.convertToDouble());
  } else {
    for (const llvm::APInt& v : attr.getValues<llvm::APInt>()) {
      out.push_back(static_cast<double>(v.getSExtValue()));
    }
  }
  return out;
}

std::vector<int64_t> Context::ints(const char* name) const {
  m::Attribute a = op->getAttr(name);
  if (auto arr = llvm::dyn_cast_or_null<m::DenseI64ArrayAttr>(a)) {
    return std::vector<int64_t>(arr.asArrayRef().begin(), arr.asArrayRef().end());
  }
  if (auto arr = llvm::dyn_cast_or_null<m::ArrayAttr>(a)) {
    std::vector<int64_t> out;
    for (m::Attribute e : arr) {
      auto i = llvm::dyn_cast<m::IntegerAttr>(e);
      if (!i) break;
      out.push_back(i.getInt());
    }
    if (out.size() == arr.size()) return out;
  }
  MLIR_THROW(*this, UnsupportedOpError) << "attribute '" << name << "' must be an integer array";
}

int64_t Context::integer(const char* name) const {
  if (auto i = llvm::dyn_cast_or_null<m::IntegerAttr>(op->getAttr(name))) return i.getInt();
  MLIR_THROW(*this, UnsupportedOpError) << "attribute '" << name << "' must be an integer";
}

double Context::real(const char* name) const {
  if (auto f = llvm::dyn_cast_or_null<m::FloatAttr>(op->getAttr(name))) return f.getValueAsDouble();
  MLIR_THROW(*this, UnsupportedOpError) << "attribute '" << name << "' must be a float";
}

std::vector<int64_t> Context::result_shape(unsigned i) const {
  return static_shape(op->getResult(i).getType(), where() + "result " + std::to_string(i));
}

common::Type Context::result_dtype(unsigned i) const {
  auto t = llvm::dyn_cast<m::ShapedType>(op->getResult(i).getType());
  CINN_CHECK(t) << "result types are checked to be tensors first";
  return to_dtype(t.getElementType(), where() + "result " + std::to_string(i));
}

std::vector<std::string> supported_ops() {
  std::vector<std::string> out;
  for (const auto& [name, _] : converters()) out.push_back(name);
  return out;
}

Program import_tosa(const std::string& text, const std::string& source_name,
                    const std::string& entry) {
  m::MLIRContext mctx(m::MLIRContext::Threading::DISABLED);
  mctx.getOrLoadDialect<m::tosa::TosaDialect>();
  mctx.getOrLoadDialect<m::func::FuncDialect>();
  mctx.getOrLoadDialect<m::arith::ArithDialect>();
  mctx.getOrLoadDialect<m::tensor::TensorDialect>();

  // Parse and verify, keeping MLIR's diagnostics for the error message.
  std::string diagnostics;
  m::ScopedDiagnosticHandler handler(&mctx, [&](m::Diagnostic& d) {
    std::string msg = d.str();
    // An op of a dialect that is not loaded, generic ("unregistered dialect") or in custom
    // syntax ("Dialect `cf' not found for custom op 'cf.br'"). MLIR's advice
    // (-allow-unregistered-dialect) is for its command-line tools, and its note lists the
    // registry ("builtin"), not the dialects loaded here.
    bool foreign = msg.find("unregistered dialect") != std::string::npos ||
                   msg.find("not found for custom op") != std::string::npos;
    if (foreign) {
      size_t op = msg.find("custom op '");
      msg = "an operation of a dialect cinn.mlir does not load (it loads tosa, func, arith and tensor)" +
            (op == std::string::npos ? std::string() : ": " + msg.substr(op + 10, msg.find('\'', op + 11) - op - 9));
    }
    diagnostics += "\n  " + location(d.getLocation()) + ": " + msg;
    for (const m::Diagnostic& note : d.getNotes()) {
      if (foreign && note.str().rfind("Registered dialects", 0) == 0) continue;
      diagnostics += "\n    note: " + note.str();
    }
    return m::success();
  });
  m::ParserConfig config(&mctx);
  m::OwningOpRef<m::ModuleOp> module =
      m::parseSourceString<m::ModuleOp>(text, config, source_name);
  if (!module) {
    CINN_THROW(Error) << "cinn.mlir: cannot import '" << source_name
                      << "': it does not parse or verify as MLIR:" << diagnostics;
  }

  // The entry function.
  std::vector<m::func::FuncOp> funcs;
  for (m::Operation& op : module->getBody()->getOperations()) {
    if (auto f = llvm::dyn_cast<m::func::FuncOp>(op); f && !f.isExternal()) funcs.push_back(f);
  }
  m::func::FuncOp func;
  std::string names;
  for (auto f : funcs) {
    names += (names.empty() ? "" : ", ") + f.getSymName().str();
    if (f.getSymName() == entry) func = f;
  }
  if (entry.empty()) {
    if (funcs.size() != 1) {
      CINN_THROW(Error) << "cinn.mlir: '" << source_name << "' defines " << funcs.size()
                        << " functions (" << names << "); name the one to import with entry=";
    }
    func = funcs[0];
  } else if (!func) {
    CINN_THROW(Error) << "cinn.mlir: '" << source_name << "' defines no function '" << entry
                      << "' (it defines: " << (names.empty() ? "none" : names) << ")";
  }
  std::string fname = func.getSymName().str();
  if (!func.getBody().hasOneBlock()) {
    CINN_THROW(UnsupportedOpError) << "cinn.mlir: function '" << fname
                                   << "' has control flow (several blocks); CINN imports "
                                   << "straight-line functions";
  }

  NetBuilder b(fname);
  Context ctx(b);
  m::Block& body = func.getBody().front();
  for (unsigned i = 0; i < body.getNumArguments(); ++i) {
    m::BlockArgument arg = body.getArgument(i);
    std::string what = "argument " + std::to_string(i) + " of function '" + fname + "'";
    std::vector<int64_t> shape = static_shape(arg.getType(), what);
    common::Type dtype =
        to_dtype(llvm::cast<m::ShapedType>(arg.getType()).getElementType(), what);
    ctx.bind(arg, b.input(shape, dtype, "arg" + std::to_string(i)));
  }

  std::vector<Value*> outputs;
  const auto& table = converters();
  for (m::Operation& op : body.getOperations()) {
    ctx.op = &op;
    std::string name = op.getName().getStringRef().str();
    if (name == "func.return") {
      for (m::Value v : op.getOperands()) outputs.push_back(ctx.value(v));
      break;
    }
    auto conv = table.find(name);
    if (conv == table.end()) {
      MLIR_THROW(ctx, UnsupportedOpError)
          << "no mapping to CINN ops (cinn.mlir.supported_ops() lists the mapped ones)";
    }
    for (unsigned i = 0; i < op.getNumResults(); ++i) {
      (void)ctx.result_shape(i);  // static, ranked tensors only
      (void)ctx.result_dtype(i);
    }
    std::vector<Value*> results;
    try {
      results = conv->second(ctx);
    } catch (const Error& e) {
      std::string msg = e.what();
      if (msg.rfind("cinn.mlir: ", 0) == 0) throw;  // already names the op
      rethrow_with("cinn.mlir: " + ctx.where());
    }
    CINN_CHECK(results.size() == op.getNumResults())
        << ctx.where() << "the converter returned " << results.size() << " values";
    for (unsigned i = 0; i < op.getNumResults(); ++i) {
      hlir::TensorType want{ctx.result_shape(i), ctx.result_dtype(i)};
      if (!(results[i]->type == want)) {
        MLIR_THROW(ctx, ShapeError) << "result " << i << " is declared "
                                    << type_string(op.getResult(i).getType())
                                    << " but its operands give " << results[i]->type.to_string();
      }
      ctx.bind(op.getResult(i), results[i]);
    }
  }
  if (outputs.empty()) {
    CINN_THROW(Error) << "cinn.mlir: function '" << fname << "' returns nothing";
  }
  return b.build(outputs);
}

}  // namespace cinn::frontend::mlir
