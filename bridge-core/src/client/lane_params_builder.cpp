// lane_params_builder.h
#include "client/lane_params_builder.h"

#include <algorithm>
#include <cstring>

namespace bitbridge {
namespace {

// The first heap segment after the area, if the params outgrow it (MallocMessageBuilder's
// default first segment size).
constexpr size_t kFirstHeapWords = 1024;

}  // namespace

kj::ArrayPtr<capnp::word> LaneParamsBuilder::allocateSegment(unsigned minimumSize) {
  if (heap_.empty() && !areaGiven_ && minimumSize <= area_.size()) {
    areaGiven_ = true;
    return area_;
  }
  // Doubling, as MallocMessageBuilder grows: a huge list does not make many segments.
  size_t words = std::max<size_t>({minimumSize, kFirstHeapWords, heapWords_});
  auto segment = kj::heapArray<capnp::word>(words);
  std::memset(segment.begin(), 0, words * sizeof(capnp::word));  // a builder needs zeroed words
  heapWords_ += words;
  heap_.add(kj::mv(segment));
  return heap_.back();
}

bool LaneParamsBuilder::inArea() {
  return areaGiven_ && heap_.empty();
}

size_t LaneParamsBuilder::areaWordsUsed() {
  if (!areaGiven_) return 0;
  return getSegmentsForOutput()[0].size();
}

}  // namespace bitbridge
