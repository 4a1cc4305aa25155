#include "cinn/ir/verifier.h"

#include <gtest/gtest.h>

#include "cinn/ir/ir_operators.h"

namespace cinn::ir {

TEST(Verifier, AcceptsWellFormedFunction) {
  Expr n = Var::make("n");
  Buffer b = Buffer::make("B", common::Int(64), {n});
  Expr i = Var::make("i");
  Stmt body = For::make(i, Expr(0), n, ForKind::kSerial, Store::make(b, i, {i}));
  EXPECT_NO_THROW(verify(LoweredFunc::make("f", {{b, Argument::Kind::kOutput}}, {n}, {}, body)));
}

TEST(Verifier, RejectsUnboundVariable) {
  Buffer b = Buffer::make("B", common::Int(64), {Expr(4)});
  Expr i = Var::make("i"), k = Var::make("k");
  Stmt body = For::make(i, Expr(0), Expr(4), ForKind::kSerial, Store::make(b, k, {i}));
  try {
    verify(LoweredFunc::make("f", {{b, Argument::Kind::kOutput}}, {}, {}, body));
    FAIL();
  } catch (const InternalError& e) {
    EXPECT_NE(std::string(e.what()).find("'k' used but not bound"), std::string::npos);
  }
}

TEST(Verifier, RejectsUnknownBuffer) {
  Buffer b = Buffer::make("B", common::Int(64), {Expr(4)});
  Buffer t = Buffer::make("T", common::Int(64), {Expr(4)});
  Expr i = Var::make("i");
  Stmt body = For::make(i, Expr(0), Expr(4), ForKind::kSerial, Store::make(t, i, {i}));
  EXPECT_THROW(verify(LoweredFunc::make("f", {{b, Argument::Kind::kOutput}}, {}, {}, body)),
               InternalError);
}

TEST(Verifier, RejectsWrongIndexCount) {
  Buffer b = Buffer::make("B", common::Int(64), {Expr(4), Expr(4)});
  Expr i = Var::make("i");
  Stmt body = For::make(i, Expr(0), Expr(4), ForKind::kSerial,
                        Store::make(b, i, {i, i, i}));
  EXPECT_THROW(verify(LoweredFunc::make("f", {{b, Argument::Kind::kOutput}}, {}, {}, body)),
               InternalError);
}

}  // namespace cinn::ir
