// client/lane_params_builder.h: the message a fast-lane request is built in when the slot is
// free. What matters to the lane: the slot's area is the first segment (so posting copies
// nothing), a message that outgrows it says so (it then goes by RPC), and the area is left as
// it was written when the builder goes (the host may still be reading the posted params).
#include <cstring>

#include <capnp/list.h>
#include <gtest/gtest.h>
#include <kj/array.h>

#include "client/lane_params_builder.h"

namespace bitbridge {
namespace {

kj::Array<capnp::word> zeroedWords(size_t n) {
  auto words = kj::heapArray<capnp::word>(n);
  std::memset(words.begin(), 0, n * sizeof(capnp::word));
  return words;
}

bool allZero(kj::ArrayPtr<const capnp::word> words) {
  auto bytes = words.asBytes();
  for (auto b : bytes) {
    if (b != 0) return false;
  }
  return true;
}

TEST(LaneParamsBuilder, AMessageThatFitsIsTheAreaAndStaysThereWhenTheBuilderGoes) {
  auto area = zeroedWords(64);
  {
    LaneParamsBuilder builder(area);
    auto list = builder.getRoot<capnp::AnyPointer>().initAs<capnp::List<double>>(8);
    for (unsigned i = 0; i < 8; ++i) list.set(i, 1.5 * i);
    EXPECT_TRUE(builder.inArea());
    auto segments = builder.getSegmentsForOutput();
    ASSERT_EQ(segments.size(), 1u);
    EXPECT_EQ(segments[0].begin(), area.begin());
    EXPECT_EQ(builder.areaWordsUsed(), 9u);  // the root pointer, then 8 doubles
    EXPECT_TRUE(allZero(area.slice(9, area.size())));
  }
  // Not zeroed on destruction (unlike MallocMessageBuilder's own first segment): posted params
  // must stay readable after the request is gone.
  double last = 0;
  std::memcpy(&last, area.begin() + 8, sizeof last);
  EXPECT_EQ(last, 1.5 * 7);
}

TEST(LaneParamsBuilder, AMessageThatOutgrowsTheAreaContinuesOnTheHeapAndSaysSo) {
  auto area = zeroedWords(16);
  LaneParamsBuilder builder(area);
  auto list = builder.getRoot<capnp::AnyPointer>().initAs<capnp::List<double>>(100);
  for (unsigned i = 0; i < 100; ++i) list.set(i, i);
  EXPECT_FALSE(builder.inArea());
  auto segments = builder.getSegmentsForOutput();
  ASSERT_GE(segments.size(), 2u);
  EXPECT_EQ(segments[0].begin(), area.begin());
  EXPECT_LE(builder.areaWordsUsed(), area.size());
  EXPECT_EQ(list[99], 99.0);  // the elements are where the builder put them, off the area
  EXPECT_TRUE(allZero(area.slice(builder.areaWordsUsed(), area.size())));
}

TEST(LaneParamsBuilder, NothingBuiltUsesNothing) {
  auto area = zeroedWords(16);
  LaneParamsBuilder builder(area);
  EXPECT_EQ(builder.areaWordsUsed(), 0u);
  EXPECT_FALSE(builder.inArea());
}

}  // namespace
}  // namespace bitbridge
