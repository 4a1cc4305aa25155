// Static bounds checking of tensor accesses over a stage's whole domain.
#pragma once

#include <string>
#include <vector>

#include "cinn/poly/domain.h"

namespace cinn::poly {

// Checks that for every point of `stage`'s domain the access buffer[indices] stays inside
// the buffer's shape. Returns an empty string when it does (or when the indices are not
// affine, so nothing can be proven statically), else a message naming an offending point.
std::string check_access_in_bounds(const StageDomain& stage, const ir::Buffer& buffer,
                                   const std::vector<ir::Expr>& indices);

}  // namespace cinn::poly
