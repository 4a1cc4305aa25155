// Structural equality and hashing of IR.
//
// Two trees are equal when they have the same shape, node kinds, types, immediates and
// names of intrinsics, and their variables and buffers correspond one to one. Variables
// bound inside the tree (For, Let, LetStmt, block iter_vars) always match by position; free
// variables and buffers must be the same objects unless `map_free_vars` is set, in which case
// they only need to correspond consistently (used to compare a replayed schedule with a
// freshly lowered function). The hash is consistent with equality in both modes.
#pragma once

#include <cstddef>

#include "cinn/ir/ir.h"

namespace cinn::ir {

bool structural_equal(const Expr& a, const Expr& b, bool map_free_vars = false);
bool structural_equal(const Stmt& a, const Stmt& b, bool map_free_vars = false);
size_t structural_hash(const Expr& e);
size_t structural_hash(const Stmt& s);

}  // namespace cinn::ir
