// RAII ownership of an isl context, shared by the poly implementation files.
//
// isl objects are wrapped by isl's own C++ bindings (isl/cpp.h), which free every handle in
// their destructors and throw isl::exception on failure; this file adds the context owner and
// turns isl failures into cinn errors. Only poly/*.cc include isl headers.
#pragma once

#include <isl/cpp.h>

#include <string>

namespace cinn::poly {

class IslContext {
 public:
  IslContext();
  ~IslContext();
  IslContext(const IslContext&) = delete;
  IslContext& operator=(const IslContext&) = delete;
  isl::ctx ctx() const { return isl::ctx(ctx_); }
  isl_ctx* get() const { return ctx_; }

 private:
  isl_ctx* ctx_;
};

}  // namespace cinn::poly
