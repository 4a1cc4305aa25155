// Node base classes and the reference-counted handles Expr, Stmt and Buffer.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "cinn/common/error.h"
#include "cinn/common/type.h"

namespace cinn::ir {

using common::Type;

enum class NodeKind : uint8_t {
#define CINN_EXPR_NODE(Name) k##Name,
#define CINN_STMT_NODE(Name) k##Name,
#include "cinn/ir/node_kinds.def"
};
const char* node_kind_name(NodeKind k);

#define CINN_EXPR_NODE(Name) struct Name;
#define CINN_STMT_NODE(Name) struct Name;
#include "cinn/ir/node_kinds.def"

template <typename T>
struct NodeKindOf;
#define CINN_EXPR_NODE(Name) \
  template <>                \
  struct NodeKindOf<Name> {  \
    static constexpr NodeKind value = NodeKind::k##Name; \
  };
#define CINN_STMT_NODE(Name) CINN_EXPR_NODE(Name)
#include "cinn/ir/node_kinds.def"

// Base of everything a Ref can point to: an intrusive, thread-safe reference count.
class RefCounted {
 public:
  RefCounted() = default;
  RefCounted(const RefCounted&) = delete;
  RefCounted& operator=(const RefCounted&) = delete;
  virtual ~RefCounted() = default;

 private:
  template <typename T>
  friend class Ref;
  mutable std::atomic<int> ref_count_{0};
};

// An immutable IR node.
class IRNode : public RefCounted {
 public:
  explicit IRNode(NodeKind kind) : kind_(kind) {}
  NodeKind kind() const { return kind_; }

 private:
  NodeKind kind_;
};

// A shared reference to a const node of type T (or a subclass).
template <typename T>
class Ref {
 public:
  Ref() = default;
  Ref(const T* p) : ptr_(p) { inc(); }  // NOLINT(runtime/explicit): nodes convert to handles
  Ref(const Ref& o) : ptr_(o.ptr_) { inc(); }
  Ref(Ref&& o) noexcept : ptr_(o.ptr_) { o.ptr_ = nullptr; }
  Ref& operator=(Ref o) noexcept {
    std::swap(ptr_, o.ptr_);
    return *this;
  }
  ~Ref() { dec(); }

  const T* get() const { return ptr_; }
  const T* operator->() const { return ptr_; }
  const T& operator*() const { return *ptr_; }
  bool defined() const { return ptr_ != nullptr; }
  bool same_as(const Ref& o) const { return ptr_ == o.ptr_; }

 private:
  void inc() {
    if (ptr_) ptr_->ref_count_.fetch_add(1, std::memory_order_relaxed);
  }
  void dec() {
    if (ptr_ && ptr_->ref_count_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete ptr_;
  }
  const T* ptr_ = nullptr;
};

class ExprNode : public IRNode {
 public:
  using IRNode::IRNode;
  Type type;
};

class StmtNode : public IRNode {
 public:
  using IRNode::IRNode;
};

struct IntImm;
struct FloatImm;
struct Var;

// An expression handle.
class Expr : public Ref<ExprNode> {
 public:
  using Ref<ExprNode>::Ref;
  Expr() = default;
  // Index constants (IndexType, int64) and float constants.
  Expr(int v);      // NOLINT(runtime/explicit)
  Expr(int64_t v);  // NOLINT(runtime/explicit)
  Expr(float v);    // NOLINT(runtime/explicit)
  Expr(double v);   // NOLINT(runtime/explicit)

  Type type() const { return get()->type; }
  NodeKind kind() const { return get()->kind(); }

  // The node as T if it is one, else nullptr.
  template <typename T>
  const T* as() const {
    if (defined() && get()->kind() == T::kNodeKind) return static_cast<const T*>(get());
    return nullptr;
  }
  // The variable's name; throws InternalError if this is not a Var.
  const std::string& var_name() const;
};

// A statement handle.
class Stmt : public Ref<StmtNode> {
 public:
  using Ref<StmtNode>::Ref;
  NodeKind kind() const { return get()->kind(); }
  template <typename T>
  const T* as() const {
    if (defined() && get()->kind() == T::kNodeKind) return static_cast<const T*>(get());
    return nullptr;
  }
};

template <typename T>
class ExprNodeBase : public ExprNode {
 public:
  static constexpr NodeKind kNodeKind = NodeKindOf<T>::value;
  ExprNodeBase() : ExprNode(kNodeKind) {}
};

template <typename T>
class StmtNodeBase : public StmtNode {
 public:
  static constexpr NodeKind kNodeKind = NodeKindOf<T>::value;
  StmtNodeBase() : StmtNode(kNodeKind) {}
};

// Where a buffer lives. kGlobal: function arguments and heap temporaries (GPU global memory);
// kShared: GPU shared memory; kLocal: the stack / registers of one thread.
enum class MemoryScope : uint8_t { kGlobal, kShared, kLocal };
const char* memory_scope_name(MemoryScope s);

// A named n-dimensional, row-major array of `dtype` elements. Identity is the node.
struct BufferNode : RefCounted {
  std::string name;
  Type dtype;
  std::vector<Expr> shape;
  MemoryScope scope = MemoryScope::kGlobal;
};

class Buffer : public Ref<BufferNode> {
 public:
  using Ref<BufferNode>::Ref;
  static Buffer make(const std::string& name, Type dtype, std::vector<Expr> shape,
                     MemoryScope scope = MemoryScope::kGlobal);
  const std::string& name() const { return get()->name; }
  Type dtype() const { return get()->dtype; }
  const std::vector<Expr>& shape() const { return get()->shape; }
  int ndim() const { return static_cast<int>(get()->shape.size()); }
  MemoryScope scope() const { return get()->scope; }
};

}  // namespace cinn::ir
