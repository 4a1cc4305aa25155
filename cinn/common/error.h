// Error classes of the compiler (DESIGN.md section 4).
//
// Every user-facing failure throws a subclass of cinn::Error; the Python bindings translate
// each class into the Python exception of the same name. Internal invariants use CINN_CHECK,
// which throws InternalError instead of aborting, so no bad input can take the process down.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace cinn {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& msg) : std::runtime_error(msg) {}
};

#define CINN_DECLARE_ERROR(Name)                                   \
  class Name : public Error {                                      \
   public:                                                         \
    explicit Name(const std::string& msg) : Error(msg) {}          \
  };
CINN_DECLARE_ERROR(ShapeError)
CINN_DECLARE_ERROR(DTypeError)
CINN_DECLARE_ERROR(UnsupportedOpError)
CINN_DECLARE_ERROR(ScheduleError)
CINN_DECLARE_ERROR(CompileError)
CINN_DECLARE_ERROR(ExecutionError)
CINN_DECLARE_ERROR(InternalError)
#undef CINN_DECLARE_ERROR

namespace detail {
// Builds a message with operator<< and throws it as E when the builder goes out of scope.
template <typename E>
class ErrorBuilder {
 public:
  ErrorBuilder() = default;
  ErrorBuilder(const ErrorBuilder&) = delete;
  template <typename T>
  ErrorBuilder& operator<<(const T& v) {
    os_ << v;
    return *this;
  }
  [[noreturn]] ~ErrorBuilder() noexcept(false) { throw E(os_.str()); }

 private:
  std::ostringstream os_;
};
}  // namespace detail

}  // namespace cinn

// CINN_THROW(ShapeError) << "op 'add' expects ...";
#define CINN_THROW(E) ::cinn::detail::ErrorBuilder<::cinn::E>()

// Internal invariant: throws InternalError with the file, line and condition.
#define CINN_CHECK(cond)                                                              \
  if (cond) {                                                                         \
  } else /* NOLINT */                                                                 \
    CINN_THROW(InternalError) << __FILE__ << ":" << __LINE__ << ": check failed: " #cond " "
