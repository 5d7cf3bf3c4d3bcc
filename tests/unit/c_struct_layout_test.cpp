// common/cabi/c_struct_layout.h: a Cap'n Proto struct's C layout is the one this process's
// compiler gives the same C struct (sizeof, offsetof), in every build: i386 Linux aligns a double
// member to 4, x86-64 and 32-bit Windows to 8. Both sides rely on it: a host for the library's
// structs, a drop-in proxy for its program's (tests/components/proxy_structs.h: the same structs).
#include <cstddef>
#include <cstdint>

#include <gtest/gtest.h>

#include "bind_test.capnp.h"
#include "bitbridge/error.h"
#include "common/cabi/c_struct_layout.h"

namespace bitbridge::cbind {
namespace {

struct CPoint { int32_t x, y; };
struct CMixed { char tag; double value; int64_t big; };
struct CBox { CPoint corner[2]; char name[16]; uint8_t flags[3]; };
struct CSeries { double* items; int32_t count; };
struct COuter { CMixed m; CPoint p; const char* label; };

const StructLayout& layoutOf(StructLayouts& layouts, capnp::StructSchema schema) {
  return *layouts.layoutOf(schema, "test");
}

TEST(CStructLayout, IsThisCompilersLayout) {
  StructLayouts layouts;
  const StructLayout& mixed = layoutOf(layouts, capnp::Schema::from<bindtest::Mixed>());
  EXPECT_EQ(mixed.size, sizeof(CMixed));
  EXPECT_EQ(mixed.align, alignof(CMixed));
  EXPECT_EQ(mixed.members[1].offset, offsetof(CMixed, value));
  EXPECT_EQ(mixed.members[2].offset, offsetof(CMixed, big));

  const StructLayout& box = layoutOf(layouts, capnp::Schema::from<bindtest::Box>());
  EXPECT_EQ(box.size, sizeof(CBox));
  EXPECT_EQ(box.members[1].offset, offsetof(CBox, name));
  EXPECT_EQ(box.members[2].offset, offsetof(CBox, flags));
  EXPECT_EQ(box.members[0].role, MemberRole::Array);
  EXPECT_EQ(box.members[0].count, 2u);

  const StructLayout& series = layoutOf(layouts, capnp::Schema::from<bindtest::Series>());
  EXPECT_EQ(series.size, sizeof(CSeries));
  EXPECT_EQ(series.members[1].offset, offsetof(CSeries, count));
  EXPECT_EQ(series.members[1].role, MemberRole::LengthOf);
  EXPECT_EQ(series.members[0].source, 1);  // the pointer knows its count member

  const StructLayout& outer = layoutOf(layouts, capnp::Schema::from<bindtest::Outer>());
  EXPECT_EQ(outer.size, sizeof(COuter));
  EXPECT_EQ(outer.members[1].offset, offsetof(COuter, p));
  EXPECT_EQ(outer.members[2].offset, offsetof(COuter, label));
  // Planned once, shared: Outer's Mixed is the layout planned above.
  EXPECT_EQ(outer.members[0].type.layout, &mixed);
}

TEST(CStructLayout, RefusesAStructThatContainsItselfNamingIt) {
  StructLayouts layouts;
  auto node = capnp::Schema::from<bindtest::SelfContaining::Node>();
  try {
    layouts.layoutOf(node, "SelfContaining.f: parameter 'n'");
    ADD_FAILURE() << "a struct containing itself was laid out";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("contains itself"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace bitbridge::cbind
