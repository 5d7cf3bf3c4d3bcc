// lane_wait.h on Windows: not offered. WaitOnAddress wakes only threads of the same process, and
// a cross-process wait needs a named or duplicated event handed to the host, which the lane's
// set-up does not do yet. Host::bind refuses HostOptions::fastLane first (laneSupported()), so
// these are reached only by a mistake in bitbridge itself, which they report.
#include "common/transport/lane_wait.h"

#include <windows.h>

#include "bitbridge/error.h"

namespace bitbridge {
namespace {
[[noreturn]] void unsupported() {
  throw Error(ErrorKind::Unimplemented, "the fast lane is not implemented on Windows",
              "leave HostOptions::fastLane off on Windows; bound calls then use RPC");
}
}  // namespace

void laneSleep(std::atomic<uint32_t>&, uint32_t, std::chrono::microseconds) { unsupported(); }
void laneWake(std::atomic<uint32_t>&) { unsupported(); }
void laneSpinPause(bool yield) {
  YieldProcessor();
  if (yield) SwitchToThread();
}
bool laneSupported() { return false; }

}  // namespace bitbridge
