#include "cinn/common/type.h"

#include <gtest/gtest.h>

#include "cinn/common/error.h"

namespace cinn::common {

TEST(Type, NamesRoundTrip) {
  for (const char* name : {"bool", "int8", "int16", "int32", "int64", "uint8", "float16",
                           "bfloat16", "float32", "float64"}) {
    EXPECT_EQ(Type::parse(name).to_string(), name);
  }
  EXPECT_EQ(Type::parse("f32"), Float(32));
  EXPECT_EQ(Float(32, 16).to_string(), "float32x16");
}

TEST(Type, Properties) {
  EXPECT_EQ(Float(32, 16).bytes(), 64);
  EXPECT_EQ(Bool().bytes(), 1);
  EXPECT_TRUE(BFloat16().is_float());
  EXPECT_TRUE(BFloat16().is_bfloat());
  EXPECT_EQ(Int(32, 8).element_of(), Int(32));
  EXPECT_NE(Int(32), UInt(32));
}

TEST(Type, UnknownNameIsDTypeError) {
  try {
    Type::parse("float33");
    FAIL() << "expected DTypeError";
  } catch (const DTypeError& e) {
    EXPECT_NE(std::string(e.what()).find("float33"), std::string::npos);
  }
}

}  // namespace cinn::common
