// The loop IR.
//
// Semantics
// ---------
// * Nodes are immutable values, built only through their static `make()`, which checks the
//   operands' types and throws DTypeError (or InternalError for malformed structure). Passes
//   share subtrees freely; a mutator returns the very same node when nothing changed.
// * Types. Every expression has a Type (common/type.h). Binary arithmetic requires both
//   operands to have the same type, lanes included; comparisons and logical ops yield Bool
//   with the operands' lanes. Loop variables, shapes and indices have IndexType() (int64).
// * Integer arithmetic wraps modulo 2^bits (two's complement); there is no undefined
//   overflow. Integer Div and Mod round towards negative infinity (floor division, as
//   Python and numpy's `//` and `%`): (-7) / 2 == -4, (-7) % 2 == 1. Division by zero is
//   undefined. Float arithmetic is IEEE-754 with round-to-nearest; a backend may contract
//   a*b+c into an FMA and may reassociate only reductions marked so by a schedule.
// * Min/Max of floats return the other operand when one is NaN (like C's fmin/fmax).
// * Evaluation order: operands are evaluated left to right; expressions have no side
//   effects except Call nodes of kind kExtern, which the optimizer never duplicates or drops.
// * Vectors: Ramp(base, stride, n) is the vector {base, base+stride, ..., base+(n-1)stride};
//   Broadcast(v, n) repeats a scalar. A Load or Store whose index is a vector accesses
//   several elements at once; mixing vector and scalar operands requires a Broadcast.
// * Buffers are n-dimensional until storage flattening, after which every Load/Store has one
//   index into a row-major buffer.
// * A ScheduleBlock is a unit of computation the scheduler names. It promises that its body,
//   executed once for every point of its iteration domain (the iter_vars' ranges, bound to
//   the enclosing loops by its ScheduleBlockRealize), only reads the regions listed in
//   `reads` and only writes those in `writes`; spatial iter_vars index distinct outputs and
//   reduce iter_vars accumulate into them. If `init` is present it runs before the first
//   update of each output point (when every reduce iter_var is at its minimum).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "cinn/common/type.h"
#include "cinn/ir/node.h"

namespace cinn::ir {

using common::Type;

// ---------------------------------------------------------------------------------------
// Expressions

struct IntImm : ExprNodeBase<IntImm> {
  int64_t value = 0;
  // `type` must be a scalar signed integer or Bool.
  static Expr make(Type type, int64_t value);
};

struct UIntImm : ExprNodeBase<UIntImm> {
  uint64_t value = 0;
  static Expr make(Type type, uint64_t value);
};

struct FloatImm : ExprNodeBase<FloatImm> {
  double value = 0;
  static Expr make(Type type, double value);
};

struct StringImm : ExprNodeBase<StringImm> {
  std::string value;
  static Expr make(const std::string& value);
};

// A variable. Identity is the node: two Vars with the same name are different variables.
struct Var : ExprNodeBase<Var> {
  std::string name;
  static Expr make(const std::string& name, Type type = common::IndexType());
};

template <typename T>
struct BinaryNode : ExprNodeBase<T> {
  Expr a, b;
  static Expr make(Expr a, Expr b);
};

struct Add : BinaryNode<Add> {};
struct Sub : BinaryNode<Sub> {};
struct Mul : BinaryNode<Mul> {};
struct Div : BinaryNode<Div> {};
struct Mod : BinaryNode<Mod> {};
struct Min : BinaryNode<Min> {};
struct Max : BinaryNode<Max> {};

template <typename T>
struct CmpNode : ExprNodeBase<T> {
  Expr a, b;
  static Expr make(Expr a, Expr b);
};

struct EQ : CmpNode<EQ> {};
struct NE : CmpNode<NE> {};
struct LT : CmpNode<LT> {};
struct LE : CmpNode<LE> {};
struct GT : CmpNode<GT> {};
struct GE : CmpNode<GE> {};

struct And : ExprNodeBase<And> {
  Expr a, b;
  static Expr make(Expr a, Expr b);
};

struct Or : ExprNodeBase<Or> {
  Expr a, b;
  static Expr make(Expr a, Expr b);
};

struct Not : ExprNodeBase<Not> {
  Expr a;
  static Expr make(Expr a);
};

struct Select : ExprNodeBase<Select> {
  Expr condition, true_value, false_value;
  static Expr make(Expr condition, Expr true_value, Expr false_value);
};

struct Cast : ExprNodeBase<Cast> {
  Expr value;
  static Expr make(Type type, Expr value);
};

struct Call : ExprNodeBase<Call> {
  enum class Kind : uint8_t {
    // A pure math function known to the compiler (exp, tanh, sqrt, ...; see intrinsics.h).
    // Backends lower it to instructions, approximations or libm calls.
    kIntrinsic,
    // A call of an external C function by name, with side effects.
    kExtern,
  };
  std::string name;
  std::vector<Expr> args;
  Kind call_kind = Kind::kIntrinsic;
  static Expr make(Type type, const std::string& name, std::vector<Expr> args, Kind kind);
};

struct Load : ExprNodeBase<Load> {
  Buffer buffer;
  std::vector<Expr> indices;
  // Type: the buffer's element type with the lanes of the (vector) index.
  static Expr make(Buffer buffer, std::vector<Expr> indices);
};

struct Ramp : ExprNodeBase<Ramp> {
  Expr base, stride;
  int lanes = 1;
  static Expr make(Expr base, Expr stride, int lanes);
};

struct Broadcast : ExprNodeBase<Broadcast> {
  Expr value;
  int lanes = 1;
  static Expr make(Expr value, int lanes);
};

struct Let : ExprNodeBase<Let> {
  Expr var;  // a Var
  Expr value, body;
  static Expr make(Expr var, Expr value, Expr body);
};

// ---------------------------------------------------------------------------------------
// Statements

struct LetStmt : StmtNodeBase<LetStmt> {
  Expr var;  // a Var
  Expr value;
  Stmt body;
  static Stmt make(Expr var, Expr value, Stmt body);
};

enum class ForKind : uint8_t {
  kSerial,
  kParallel,
  kVectorized,
  kUnrolled,
  kGPUBlockX,
  kGPUBlockY,
  kGPUBlockZ,
  kGPUThreadX,
  kGPUThreadY,
  kGPUThreadZ,
};
const char* for_kind_name(ForKind k);
bool is_gpu_kind(ForKind k);

// for (loop_var = min; loop_var < min + extent; ++loop_var) body
struct For : StmtNodeBase<For> {
  Expr loop_var;  // a Var of IndexType
  Expr min, extent;
  ForKind for_kind = ForKind::kSerial;
  Stmt body;
  static Stmt make(Expr loop_var, Expr min, Expr extent, ForKind kind, Stmt body);
};

struct IfThenElse : StmtNodeBase<IfThenElse> {
  Expr condition;
  Stmt then_case;
  Stmt else_case;  // may be undefined
  static Stmt make(Expr condition, Stmt then_case, Stmt else_case = Stmt());
};

struct Block : StmtNodeBase<Block> {
  std::vector<Stmt> stmts;
  static Stmt make(std::vector<Stmt> stmts);
};

struct Store : StmtNodeBase<Store> {
  Buffer buffer;
  Expr value;
  std::vector<Expr> indices;
  static Stmt make(Buffer buffer, Expr value, std::vector<Expr> indices);
};

// Allocates `buffer` (its memory scope says where) until the matching Free.
struct Allocate : StmtNodeBase<Allocate> {
  Buffer buffer;
  static Stmt make(Buffer buffer);
};

struct Free : StmtNodeBase<Free> {
  Buffer buffer;
  static Stmt make(Buffer buffer);
};

struct Evaluate : StmtNodeBase<Evaluate> {
  Expr value;
  static Stmt make(Expr value);
};

struct Range {
  Expr min, extent;
};

struct BufferRegion {
  Buffer buffer;
  std::vector<Range> region;
};

struct IterVar {
  enum class Kind : uint8_t { kSpatial, kReduce };
  Expr var;  // a Var of IndexType
  Range range;
  Kind kind = Kind::kSpatial;
  bool is_reduce() const { return kind == Kind::kReduce; }
};

// The annotation of a block that stages an operand for its consumer in a better layout
// (zero padding, a transposed or phase-split copy): default schedules keep it as its own
// loop nest instead of inlining it back into the consumer.
inline constexpr const char* kStagingAnnotation = "staging";

// The annotation of a reduction block shaped like a matmul over several reduce loops (a
// convolution's weight gradient): its innermost spatial loop indexes one operand's rows
// contiguously and no other operand. Default schedules register-tile it as a matmul
// (outer products accumulated over every reduce loop) instead of matching it by its loop
// count, which a convolution shares.
inline constexpr const char* kOuterProductAnnotation = "outer_product";

struct ScheduleBlock : StmtNodeBase<ScheduleBlock> {
  std::string name;
  std::vector<IterVar> iter_vars;
  std::vector<BufferRegion> reads, writes;
  Stmt init;  // may be undefined
  Stmt body;
  std::map<std::string, std::string> annotations;
  static Stmt make(const std::string& name, std::vector<IterVar> iter_vars,
                   std::vector<BufferRegion> reads, std::vector<BufferRegion> writes,
                   Stmt init, Stmt body, std::map<std::string, std::string> annotations = {});
};

// Binds a ScheduleBlock's iter_vars to values computed from the enclosing loops.
struct ScheduleBlockRealize : StmtNodeBase<ScheduleBlockRealize> {
  std::vector<Expr> iter_values;
  Stmt block;  // a ScheduleBlock
  static Stmt make(std::vector<Expr> iter_values, Stmt block);
};

}  // namespace cinn::ir
