#include "cinn/poly/isl_context.h"

#include <isl/options.h>
#include <isl/version.h>

#include "cinn/poly/domain.h"

namespace cinn::poly {

IslContext::IslContext() : ctx_(isl_ctx_alloc()) {
  // Failures come back as null results (turned into isl::exception), never as aborts.
  isl_options_set_on_error(ctx_, ISL_ON_ERROR_CONTINUE);
}

IslContext::~IslContext() { isl_ctx_free(ctx_); }

std::string isl_version() { return ::isl_version(); }

}  // namespace cinn::poly
