// Who a process acts as on Windows: the user SID of its token, and a security descriptor that
// grants that user alone. What the named pipes and the shared host's start mutex are secured
// with, and what a shared host and its clients check each other against (docs/windows.md).
// Thread/lifetime: stateless functions; UserOnlySecurity owns its descriptor. Windows only.
#pragma once

#include <windows.h>

#include <cstdint>
#include <optional>
#include <string>

#include "common/internal_api.h"

namespace bitbridge {

/// The user SID of this process's token, as a string ("S-1-5-21-..."). Throws
/// Error{BadConfiguration} if the token cannot be read.
BITBRIDGE_INTERNAL_API std::string currentUserSid();

/// The user SID of process `pid`'s token, or nothing when it cannot be read (the process is
/// gone, or this user may not open it or its token: on Windows, typically another user's
/// process); then `why` (if given) says why.
BITBRIDGE_INTERNAL_API std::optional<std::string> processUserSid(uint32_t pid, std::string* why = nullptr);

/// The full path of process `pid`'s executable; "" if it cannot be read.
BITBRIDGE_INTERNAL_API std::string processImagePath(uint32_t pid);

/// Why a peer whose token user is `peerSid` (nothing: unreadable, `why` says why) must be
/// refused by a process running as `ownSid`, or nothing if it may be served. Pure, so tests can
/// feed it made-up SIDs (under Wine every process runs as one user).
BITBRIDGE_INTERNAL_API std::optional<std::string> peerUserRefusal(uint32_t pid, const std::optional<std::string>& peerSid,
                                           const std::string& ownSid, const std::string& why = {});

/// A security descriptor whose DACL grants this process's user full access and nobody else
/// anything ("D:P(A;;GA;;;<user SID>)", protected from inherited entries), and the
/// SECURITY_ATTRIBUTES (not inheritable) that carry it. Throws Error{BadConfiguration}.
class BITBRIDGE_INTERNAL_API UserOnlySecurity {
 public:
  UserOnlySecurity();
  ~UserOnlySecurity();
  UserOnlySecurity(const UserOnlySecurity&) = delete;
  UserOnlySecurity& operator=(const UserOnlySecurity&) = delete;
  SECURITY_ATTRIBUTES* get() { return &attributes_; }

 private:
  PSECURITY_DESCRIPTOR descriptor_ = nullptr;
  SECURITY_ATTRIBUTES attributes_{};
};

}  // namespace bitbridge
