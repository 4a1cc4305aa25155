// Deterministic text form of the IR (one line per statement, two-space indentation).
#pragma once

#include <ostream>
#include <string>

#include "cinn/ir/ir.h"

namespace cinn::ir {

std::ostream& operator<<(std::ostream& os, const Expr& e);
std::ostream& operator<<(std::ostream& os, const Stmt& s);
std::ostream& operator<<(std::ostream& os, const Buffer& b);
std::string to_string(const Expr& e);
std::string to_string(const Stmt& s);

}  // namespace cinn::ir
