#include "cinn/lang/tensor.h"

#include <mutex>
#include <set>
#include <unordered_map>

#include "cinn/ir/ir_operators.h"
#include "cinn/ir/printer.h"
#include "cinn/ir/substitute.h"
#include "cinn/ir/visitor.h"
#include "cinn/lang/reduce.h"

namespace cinn::lang {

using namespace ir;  // NOLINT

namespace {
// BufferNode -> the TensorNode that owns it (non-owning; entries die with their tensor).
std::mutex g_mu;
std::unordered_map<const BufferNode*, const TensorNode*>& registry() {
  static auto* m = new std::unordered_map<const BufferNode*, const TensorNode*>;
  return *m;
}
void register_tensor(const TensorNode* t) {
  std::lock_guard<std::mutex> lk(g_mu);
  registry()[t->buffer.get()] = t;
}

void check_shape(const std::vector<Expr>& shape, const std::string& name) {
  for (size_t d = 0; d < shape.size(); ++d) {
    const Expr& e = shape[d];
    if (!e.defined() || !e.type().is_integer() || !e.type().is_scalar()) {
      CINN_THROW(ShapeError) << "tensor '" << name << "': dimension " << d
                             << " must be an integer, got " << (e.defined() ? ir::to_string(e) : "null");
    }
    if (const int64_t* c = as_const_int(e); c && *c <= 0) {
      CINN_THROW(ShapeError) << "tensor '" << name << "': dimension " << d
                             << " must be positive, got " << *c;
    }
  }
}

std::vector<Expr> index_shape(const std::vector<Expr>& shape) {
  std::vector<Expr> out;
  for (const Expr& e : shape) out.push_back(cast(common::IndexType(), e));
  return out;
}
}  // namespace

TensorNode::~TensorNode() {
  std::lock_guard<std::mutex> lk(g_mu);
  auto it = registry().find(buffer.get());
  if (it != registry().end() && it->second == this) registry().erase(it);
}

Tensor tensor_of_buffer(const Buffer& b) {
  std::lock_guard<std::mutex> lk(g_mu);
  auto it = registry().find(b.get());
  return it == registry().end() ? Tensor() : Tensor(it->second);
}

bool Tensor::is_reduce() const { return !is_placeholder() && as_reduce(get()->body).ok; }

Expr Tensor::operator()(std::vector<Expr> indices) const {
  if (static_cast<int>(indices.size()) != ndim()) {
    CINN_THROW(ShapeError) << "tensor '" << name() << "' has " << ndim()
                           << " dimension(s) but is indexed with " << indices.size()
                           << " index(es)";
  }
  for (size_t d = 0; d < indices.size(); ++d) {
    Expr& i = indices[d];
    if (!i.defined() || !i.type().is_integer()) {
      CINN_THROW(DTypeError) << "tensor '" << name() << "': index " << d
                             << " must be an integer, got "
                             << (i.defined() ? i.type().to_string() : "null");
    }
    if (i.type() != common::IndexType()) i = cast(common::IndexType(), i);
  }
  return Load::make(buffer(), std::move(indices));
}

Expr size_var(const std::string& name) { return Var::make(name, common::IndexType()); }

Tensor placeholder(const std::vector<Expr>& shape, Type dtype, const std::string& name) {
  check_shape(shape, name);
  auto* n = new TensorNode;
  n->name = name;
  n->buffer = Buffer::make(name, dtype, index_shape(shape));
  n->is_placeholder = true;
  Tensor t(n);
  register_tensor(n);
  return t;
}

namespace {
// Records the tensors `exprs` read as n's inputs (so lowering finds every stage) and
// registers n as the owner of its buffer.
Tensor finish(TensorNode* n, const std::vector<Expr>& exprs) {
  std::set<const BufferNode*> seen;
  for (const Tensor& t : n->inputs) seen.insert(t.buffer().get());
  std::string missing;
  for (const Expr& e : exprs) {
    post_order_visit(e, [&](const IRNode* node) {
      if (node->kind() != NodeKind::kLoad) return;
      const Buffer& b = static_cast<const Load*>(node)->buffer;
      if (!seen.insert(b.get()).second) return;
      Tensor t = tensor_of_buffer(b);
      if (!t.defined()) {
        missing = b.name();
        return;
      }
      n->inputs.push_back(t);
    });
  }
  Tensor result(n);
  if (!missing.empty()) {
    CINN_THROW(Error) << "compute '" << n->name << "' reads buffer '" << missing
                      << "', which is not a live tensor";
  }
  register_tensor(n);
  return result;
}
}  // namespace

Tensor compute(const std::vector<Expr>& shape, const ComputeFn& f, const std::string& name,
               const std::vector<std::string>& axis_names,
               std::map<std::string, std::string> annotations) {
  check_shape(shape, name);
  static const char* kDefault[] = {"i", "j", "k", "l"};
  std::vector<Expr> axes;
  for (size_t d = 0; d < shape.size(); ++d) {
    std::string an = d < axis_names.size()  ? axis_names[d]
                     : d < 4                ? kDefault[d]
                                            : "i" + std::to_string(d);
    axes.push_back(Var::make(an, common::IndexType()));
  }
  Expr body = f(axes);
  if (!body.defined()) CINN_THROW(Error) << "compute '" << name << "': body is empty";
  if (body.type().is_vector() || body.type().is_handle() || body.type().is_void()) {
    CINN_THROW(DTypeError) << "compute '" << name << "': body has type " << body.type();
  }

  // A reduction must be the whole body; reduce axes may appear only inside it.
  ReduceInfo red = as_reduce(body);
  std::set<const Var*> allowed;
  for (const Expr& a : axes) allowed.insert(a.as<Var>());
  auto check_no_reduce = [&](const Expr& e, const char* where) {
    post_order_visit(e, [&](const IRNode* n) {
      if (n->kind() == NodeKind::kCall &&
          static_cast<const Call*>(n)->name.rfind("cinn.reduce.", 0) == 0) {
        CINN_THROW(Error) << "compute '" << name << "': a reduction must be the whole body "
                          << "of a compute (found one nested " << where
                          << "); compute it in a separate tensor";
      }
    });
    post_order_visit(e, [&](const IRNode* n) {
      if (n->kind() == NodeKind::kVar) {
        const auto* v = static_cast<const Var*>(n);
        if (is_reduce_axis_var(v) && !allowed.count(v)) {
          CINN_THROW(Error) << "compute '" << name << "': reduce axis '" << v->name
                            << "' is used outside a reduction over it";
        }
      }
    });
  };
  if (red.ok) {
    for (const ReduceAxis& ax : red.axes) allowed.insert(ax.var.as<Var>());
    check_no_reduce(red.source, "inside the reduction");
    if (red.where.defined()) check_no_reduce(red.where, "inside the where clause");
  } else {
    check_no_reduce(body, "inside an expression");
  }

  auto* n = new TensorNode;
  n->name = name;
  n->buffer = Buffer::make(name, body.type(), index_shape(shape));
  n->is_placeholder = false;
  n->axes = std::move(axes);
  n->body = body;
  n->annotations = std::move(annotations);
  return finish(n, {body});
}

Tensor update(const Tensor& into, const std::vector<Expr>& shape, const IndexFn& index,
              const ComputeFn& value, const ComputeFn& guard, const std::string& name) {
  check_shape(shape, name);
  if (!into.defined() || into.is_placeholder()) {
    CINN_THROW(Error) << "update '" << name << "': the updated tensor must be a compute";
  }
  std::vector<Expr> axes;
  for (size_t d = 0; d < shape.size(); ++d) axes.push_back(Var::make("u" + std::to_string(d), common::IndexType()));
  Expr body = value(axes);
  if (!body.defined() || body.type() != into.dtype()) {
    CINN_THROW(DTypeError) << "update '" << name << "': the value must be " << into.dtype() << ", got "
                           << (body.defined() ? body.type().to_string() : "nothing");
  }
  std::vector<Expr> at = index(axes);
  if (static_cast<int>(at.size()) != into.ndim()) {
    CINN_THROW(ShapeError) << "update '" << name << "': " << at.size() << " indices into the "
                           << into.ndim() << "-d tensor '" << into.name() << "'";
  }
  for (Expr& i : at) i = cast(common::IndexType(), i);
  std::vector<Expr> read = {body};
  read.insert(read.end(), at.begin(), at.end());
  auto* n = new TensorNode;
  n->name = name;
  n->buffer = into.buffer();
  n->is_placeholder = false;
  n->axes = std::move(axes);
  n->body = body;
  n->store_indices = std::move(at);
  n->extents = index_shape(shape);
  if (guard) n->guard = guard(n->axes);
  // A position read from a tensor is only known at run time: the update skips the points
  // where it falls outside `into` (as scatter drops them) instead of storing out of bounds.
  for (size_t d = 0; d < n->store_indices.size(); ++d) {
    const Expr& i = n->store_indices[d];
    if (!ir::loads_memory(i)) continue;
    Expr in_range = i >= make_zero(i.type()) && i < cast(i.type(), into.shape()[d]);
    n->guard = n->guard.defined() ? (n->guard && in_range) : in_range;
  }
  if (n->guard.defined()) read.push_back(n->guard);
  n->inputs.push_back(into);  // stored after it, even where the value does not read it
  return finish(n, read);
}

}  // namespace cinn::lang
