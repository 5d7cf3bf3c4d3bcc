// GoogleTest built for the mingw triple links, runs under Wine (through ctest's emulator) and
// sees the pointer width this target was built for.
#include <gtest/gtest.h>

TEST(WindowsSmoke, PointerWidthMatchesTarget) {
  EXPECT_EQ(sizeof(void*) * 8, static_cast<size_t>(SMOKE_POINTER_BITS));
}
