// lane_wait.h on Windows: a named auto-reset event per direction. WaitOnAddress would be the
// futex's counterpart, but it wakes only threads of the same process; the lane's words are
// shared between two. The events live in the same namespace as the lane's segment (a bulk
// section, bulk_segment-win32.cpp: the session's, default security) and are named after it, so
// whoever may open the segment may open its bells, and they go when the last handle closes.
#include "common/transport/lane_wait.h"

#include <windows.h>

#include "bitbridge/error.h"
#include "common/platform/handle-win32.h"
#include "common/platform/text-win32.h"

namespace bitbridge {

struct LaneDoorbell::Platform {
  UniqueHandle event;
};

LaneDoorbell::LaneDoorbell(std::atomic<uint32_t>& word, const std::string& segmentName,
                           const char* which, End end)
    : word_(word), platform_(std::make_unique<Platform>()) {
  std::string name = segmentName + "-lane-" + which;
  if (end == End::Client) {
    HANDLE event = ::CreateEventW(nullptr, FALSE, FALSE, widen(name).c_str());
    DWORD error = ::GetLastError();
    platform_->event = UniqueHandle(event);
    if (!platform_->event.valid()) {
      throw Error(ErrorKind::Overloaded,
                  "fast lane: cannot create the event " + name + ": " + lastWin32ErrorText(),
                  "leave HostOptions::fastLane off (bound calls then use RPC)");
    }
    if (error == ERROR_ALREADY_EXISTS) {
      // Our segment's name is fresh and random: someone else made this object first.
      throw Error(ErrorKind::MalformedPeer,
                  "fast lane: the event " + name + " exists already; another process made it",
                  "find and end the process that holds it, then bind again");
    }
    return;
  }
  platform_->event =
      UniqueHandle(::OpenEventW(SYNCHRONIZE | EVENT_MODIFY_STATE, FALSE, widen(name).c_str()));
  if (!platform_->event.valid()) {
    throw Error(ErrorKind::MalformedPeer,
                "fast lane: cannot open the client's event " + name + ": " + lastWin32ErrorText(),
                "the client did not create its lane's events: update both sides to the same "
                "bitbridge version");
  }
}

LaneDoorbell::~LaneDoorbell() = default;

void LaneDoorbell::sleep(uint32_t expected, std::chrono::microseconds timeout) {
  if (word_.load(std::memory_order_acquire) != expected) return;
  // Whole milliseconds, rounded up: a sleep is the slow path anyway.
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(timeout).count();
  ::WaitForSingleObject(platform_->event.get(), static_cast<DWORD>(ms));
}

void LaneDoorbell::wake() { ::SetEvent(platform_->event.get()); }

void laneSpinPause(bool yield) {
  YieldProcessor();
  if (yield) ::SwitchToThread();
}

}  // namespace bitbridge
