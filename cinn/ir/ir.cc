#include "cinn/ir/ir.h"

#include "cinn/ir/printer.h"

namespace cinn::ir {

const char* node_kind_name(NodeKind k) {
  switch (k) {
#define CINN_EXPR_NODE(Name) \
  case NodeKind::k##Name:    \
    return #Name;
#define CINN_STMT_NODE(Name) CINN_EXPR_NODE(Name)
#include "cinn/ir/node_kinds.def"
  }
  return "?";
}

const char* memory_scope_name(MemoryScope s) {
  switch (s) {
    case MemoryScope::kGlobal: return "global";
    case MemoryScope::kShared: return "shared";
    case MemoryScope::kLocal: return "local";
  }
  return "?";
}

const char* for_kind_name(ForKind k) {
  switch (k) {
    case ForKind::kSerial: return "serial";
    case ForKind::kParallel: return "parallel";
    case ForKind::kVectorized: return "vectorized";
    case ForKind::kUnrolled: return "unrolled";
    case ForKind::kGPUBlockX: return "blockIdx.x";
    case ForKind::kGPUBlockY: return "blockIdx.y";
    case ForKind::kGPUBlockZ: return "blockIdx.z";
    case ForKind::kGPUThreadX: return "threadIdx.x";
    case ForKind::kGPUThreadY: return "threadIdx.y";
    case ForKind::kGPUThreadZ: return "threadIdx.z";
  }
  return "?";
}

bool is_gpu_kind(ForKind k) { return k >= ForKind::kGPUBlockX; }

Expr::Expr(int v) : Expr(IntImm::make(common::IndexType(), v)) {}
Expr::Expr(int64_t v) : Expr(IntImm::make(common::IndexType(), v)) {}
Expr::Expr(float v) : Expr(FloatImm::make(common::Float(32), v)) {}
Expr::Expr(double v) : Expr(FloatImm::make(common::Float(64), v)) {}

const std::string& Expr::var_name() const {
  const Var* v = as<Var>();
  CINN_CHECK(v) << "expected a Var, got " << (defined() ? node_kind_name(kind()) : "null");
  return v->name;
}

Buffer Buffer::make(const std::string& name, Type dtype, std::vector<Expr> shape,
                    MemoryScope scope) {
  CINN_CHECK(!name.empty()) << "buffer needs a name";
  for (const Expr& e : shape) {
    CINN_CHECK(e.defined() && e.type().is_integer() && e.type().is_scalar())
        << "buffer '" << name << "': extents must be scalar integers";
  }
  auto* n = new BufferNode;
  n->name = name;
  n->dtype = dtype;
  n->shape = std::move(shape);
  n->scope = scope;
  return Buffer(n);
}

namespace {

void check_defined(const Expr& e, const char* node, const char* what) {
  if (!e.defined()) CINN_THROW(InternalError) << node << ": operand '" << what << "' is null";
}

// Binary arithmetic: same type on both sides.
void check_same_type(const char* node, const Expr& a, const Expr& b) {
  check_defined(a, node, "a");
  check_defined(b, node, "b");
  if (a.type() != b.type()) {
    CINN_THROW(DTypeError) << node << ": operands must have the same type, got " << a.type()
                           << " (" << a << ") and " << b.type() << " (" << b << ")";
  }
}

}  // namespace

Expr IntImm::make(Type type, int64_t value) {
  CINN_CHECK(type.is_scalar() && (type.is_int() || type.is_bool()))
      << "IntImm of type " << type;
  auto* n = new IntImm;
  n->type = type;
  n->value = type.is_bool() ? (value != 0) : value;
  return n;
}

Expr UIntImm::make(Type type, uint64_t value) {
  CINN_CHECK(type.is_scalar() && type.is_uint()) << "UIntImm of type " << type;
  auto* n = new UIntImm;
  n->type = type;
  n->value = value;
  return n;
}

Expr FloatImm::make(Type type, double value) {
  CINN_CHECK(type.is_scalar() && type.is_float()) << "FloatImm of type " << type;
  auto* n = new FloatImm;
  n->type = type;
  n->value = value;
  return n;
}

Expr StringImm::make(const std::string& value) {
  auto* n = new StringImm;
  n->type = common::Handle();
  n->value = value;
  return n;
}

Expr Var::make(const std::string& name, Type type) {
  CINN_CHECK(!name.empty()) << "Var needs a name";
  auto* n = new Var;
  n->type = type;
  n->name = name;
  return n;
}

template <typename T>
Expr BinaryNode<T>::make(Expr a, Expr b) {
  const char* name = node_kind_name(T::kNodeKind);
  check_same_type(name, a, b);
  if (a.type().is_bool() || a.type().is_handle()) {
    CINN_THROW(DTypeError) << name << ": arithmetic on " << a.type() << " operands (" << a
                           << ", " << b << ")";
  }
  auto* n = new T;
  n->type = a.type();
  n->a = std::move(a);
  n->b = std::move(b);
  return n;
}

template <typename T>
Expr CmpNode<T>::make(Expr a, Expr b) {
  check_same_type(node_kind_name(T::kNodeKind), a, b);
  auto* n = new T;
  n->type = common::Bool(a.type().lanes());
  n->a = std::move(a);
  n->b = std::move(b);
  return n;
}

#define CINN_INSTANTIATE(T, Base) template struct Base<T>;
CINN_INSTANTIATE(Add, BinaryNode)
CINN_INSTANTIATE(Sub, BinaryNode)
CINN_INSTANTIATE(Mul, BinaryNode)
CINN_INSTANTIATE(Div, BinaryNode)
CINN_INSTANTIATE(Mod, BinaryNode)
CINN_INSTANTIATE(Min, BinaryNode)
CINN_INSTANTIATE(Max, BinaryNode)
CINN_INSTANTIATE(EQ, CmpNode)
CINN_INSTANTIATE(NE, CmpNode)
CINN_INSTANTIATE(LT, CmpNode)
CINN_INSTANTIATE(LE, CmpNode)
CINN_INSTANTIATE(GT, CmpNode)
CINN_INSTANTIATE(GE, CmpNode)
#undef CINN_INSTANTIATE

namespace {
void check_bool(const char* node, const Expr& e) {
  check_defined(e, node, "operand");
  if (!e.type().is_bool()) {
    CINN_THROW(DTypeError) << node << ": expected a bool operand, got " << e.type() << " ("
                           << e << ")";
  }
}
}  // namespace

Expr And::make(Expr a, Expr b) {
  check_bool("And", a);
  check_same_type("And", a, b);
  auto* n = new And;
  n->type = a.type();
  n->a = std::move(a);
  n->b = std::move(b);
  return n;
}

Expr Or::make(Expr a, Expr b) {
  check_bool("Or", a);
  check_same_type("Or", a, b);
  auto* n = new Or;
  n->type = a.type();
  n->a = std::move(a);
  n->b = std::move(b);
  return n;
}

Expr Not::make(Expr a) {
  check_bool("Not", a);
  auto* n = new Not;
  n->type = a.type();
  n->a = std::move(a);
  return n;
}

Expr Select::make(Expr condition, Expr true_value, Expr false_value) {
  check_bool("Select", condition);
  check_same_type("Select", true_value, false_value);
  if (condition.type().lanes() != 1 &&
      condition.type().lanes() != true_value.type().lanes()) {
    CINN_THROW(DTypeError) << "Select: condition has " << condition.type().lanes()
                           << " lanes but values have " << true_value.type().lanes();
  }
  auto* n = new Select;
  n->type = true_value.type();
  n->condition = std::move(condition);
  n->true_value = std::move(true_value);
  n->false_value = std::move(false_value);
  return n;
}

Expr Cast::make(Type type, Expr value) {
  check_defined(value, "Cast", "value");
  if (type.lanes() != value.type().lanes()) {
    CINN_THROW(DTypeError) << "Cast: cannot change lanes from " << value.type() << " to "
                           << type;
  }
  auto* n = new Cast;
  n->type = type;
  n->value = std::move(value);
  return n;
}

Expr Call::make(Type type, const std::string& name, std::vector<Expr> args, Kind kind) {
  CINN_CHECK(!name.empty()) << "Call needs a function name";
  for (const Expr& a : args) check_defined(a, "Call", name.c_str());
  auto* n = new Call;
  n->type = type;
  n->name = name;
  n->args = std::move(args);
  n->call_kind = kind;
  return n;
}

namespace {
// Lanes of a list of indices: all scalar, or exactly one lane count > 1 shared by vectors.
int index_lanes(const char* node, const Buffer& buffer, const std::vector<Expr>& indices) {
  int lanes = 1;
  for (const Expr& i : indices) {
    check_defined(i, node, "index");
    if (!i.type().is_integer()) {
      CINN_THROW(DTypeError) << node << " of buffer '" << buffer.name()
                             << "': indices must be integers, got " << i.type() << " (" << i
                             << ")";
    }
    int l = i.type().lanes();
    if (l > 1) {
      if (lanes > 1 && l != lanes) {
        CINN_THROW(DTypeError) << node << " of buffer '" << buffer.name()
                               << "': indices with different lane counts";
      }
      lanes = l;
    }
  }
  return lanes;
}
}  // namespace

Expr Load::make(Buffer buffer, std::vector<Expr> indices) {
  CINN_CHECK(buffer.defined()) << "Load of a null buffer";
  int lanes = index_lanes("Load", buffer, indices);
  auto* n = new Load;
  n->type = buffer.dtype().with_lanes(lanes);
  n->buffer = std::move(buffer);
  n->indices = std::move(indices);
  return n;
}

Expr Ramp::make(Expr base, Expr stride, int lanes) {
  check_same_type("Ramp", base, stride);
  CINN_CHECK(base.type().is_scalar() && lanes > 1) << "Ramp needs a scalar base and lanes > 1";
  auto* n = new Ramp;
  n->type = base.type().with_lanes(lanes);
  n->base = std::move(base);
  n->stride = std::move(stride);
  n->lanes = lanes;
  return n;
}

Expr Broadcast::make(Expr value, int lanes) {
  check_defined(value, "Broadcast", "value");
  CINN_CHECK(value.type().is_scalar() && lanes > 1)
      << "Broadcast needs a scalar value and lanes > 1";
  auto* n = new Broadcast;
  n->type = value.type().with_lanes(lanes);
  n->value = std::move(value);
  n->lanes = lanes;
  return n;
}

Expr Let::make(Expr var, Expr value, Expr body) {
  CINN_CHECK(var.as<Var>()) << "Let binds a Var";
  check_same_type("Let", var, value);
  check_defined(body, "Let", "body");
  auto* n = new Let;
  n->type = body.type();
  n->var = std::move(var);
  n->value = std::move(value);
  n->body = std::move(body);
  return n;
}

Stmt LetStmt::make(Expr var, Expr value, Stmt body) {
  CINN_CHECK(var.as<Var>()) << "LetStmt binds a Var";
  check_same_type("LetStmt", var, value);
  CINN_CHECK(body.defined()) << "LetStmt without body";
  auto* n = new LetStmt;
  n->var = std::move(var);
  n->value = std::move(value);
  n->body = std::move(body);
  return n;
}

Stmt For::make(Expr loop_var, Expr min, Expr extent, ForKind kind, Stmt body) {
  CINN_CHECK(loop_var.as<Var>()) << "For binds a Var";
  check_same_type("For", loop_var, min);
  check_same_type("For", loop_var, extent);
  CINN_CHECK(body.defined()) << "For without body";
  auto* n = new For;
  n->loop_var = std::move(loop_var);
  n->min = std::move(min);
  n->extent = std::move(extent);
  n->for_kind = kind;
  n->body = std::move(body);
  return n;
}

Stmt IfThenElse::make(Expr condition, Stmt then_case, Stmt else_case) {
  check_bool("IfThenElse", condition);
  CINN_CHECK(condition.type().is_scalar()) << "IfThenElse needs a scalar condition";
  CINN_CHECK(then_case.defined()) << "IfThenElse without then case";
  auto* n = new IfThenElse;
  n->condition = std::move(condition);
  n->then_case = std::move(then_case);
  n->else_case = std::move(else_case);
  return n;
}

Stmt Block::make(std::vector<Stmt> stmts) {
  for (const Stmt& s : stmts) CINN_CHECK(s.defined()) << "Block with a null statement";
  auto* n = new Block;
  n->stmts = std::move(stmts);
  return n;
}

Stmt Store::make(Buffer buffer, Expr value, std::vector<Expr> indices) {
  CINN_CHECK(buffer.defined()) << "Store to a null buffer";
  check_defined(value, "Store", "value");
  int lanes = index_lanes("Store", buffer, indices);
  Type expected = buffer.dtype().with_lanes(lanes);
  if (value.type() != expected) {
    CINN_THROW(DTypeError) << "Store to buffer '" << buffer.name() << "': value has type "
                           << value.type() << " but the buffer holds " << expected;
  }
  auto* n = new Store;
  n->buffer = std::move(buffer);
  n->value = std::move(value);
  n->indices = std::move(indices);
  return n;
}

Stmt Allocate::make(Buffer buffer) {
  CINN_CHECK(buffer.defined()) << "Allocate of a null buffer";
  auto* n = new Allocate;
  n->buffer = std::move(buffer);
  return n;
}

Stmt Free::make(Buffer buffer) {
  CINN_CHECK(buffer.defined()) << "Free of a null buffer";
  auto* n = new Free;
  n->buffer = std::move(buffer);
  return n;
}

Stmt Evaluate::make(Expr value) {
  check_defined(value, "Evaluate", "value");
  auto* n = new Evaluate;
  n->value = std::move(value);
  return n;
}

Stmt ScheduleBlock::make(const std::string& name, std::vector<IterVar> iter_vars,
                         std::vector<BufferRegion> reads, std::vector<BufferRegion> writes,
                         Stmt init, Stmt body, std::map<std::string, std::string> annotations) {
  CINN_CHECK(!name.empty()) << "ScheduleBlock needs a name";
  for (const IterVar& iv : iter_vars) {
    CINN_CHECK(iv.var.as<Var>()) << "block '" << name << "': iter_var must be a Var";
  }
  CINN_CHECK(body.defined()) << "block '" << name << "' without body";
  auto* n = new ScheduleBlock;
  n->name = name;
  n->iter_vars = std::move(iter_vars);
  n->reads = std::move(reads);
  n->writes = std::move(writes);
  n->init = std::move(init);
  n->body = std::move(body);
  n->annotations = std::move(annotations);
  return n;
}

Stmt ScheduleBlockRealize::make(std::vector<Expr> iter_values, Stmt block) {
  const auto* b = block.as<ScheduleBlock>();
  CINN_CHECK(b) << "ScheduleBlockRealize must wrap a ScheduleBlock";
  CINN_CHECK(iter_values.size() == b->iter_vars.size())
      << "block '" << b->name << "': " << b->iter_vars.size() << " iter_vars but "
      << iter_values.size() << " values";
  for (const Expr& v : iter_values) check_defined(v, "ScheduleBlockRealize", "iter_value");
  auto* n = new ScheduleBlockRealize;
  n->iter_values = std::move(iter_values);
  n->block = std::move(block);
  return n;
}

}  // namespace cinn::ir
