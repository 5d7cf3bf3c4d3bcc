// The private per-user runtime directory where shared hosts put their named endpoints: the
// socket clients connect to, the start lock, and the host's log.
//
//   $XDG_RUNTIME_DIR/bitbridge/     when XDG_RUNTIME_DIR is set and not empty
//   /tmp/bitbridge-<euid>/          otherwise
//
// Why it is checked every time: the directory is the first line of defence of a shared host
// (only its owner can reach the socket inside it). Under /tmp anyone could have created that
// name first, as a symlink to somewhere else or as a directory others can write to, so the
// directory is created 0700 if missing and then verified with lstat (never followed): a real
// directory, owned by this user, with no group or other permissions. Anything else is refused
// rather than repaired, since repairing would mean trusting what an attacker may have set up.
// Thread/lifetime: stateless functions; the environment is read at each call.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <optional>
#include <string>
#include "common/internal_api.h"

namespace bitbridge {

/// The directory shared endpoints live in, from the environment (not created or checked).
BITBRIDGE_INTERNAL_API std::string runtimeDirectoryPath();

/// What makes a directory unfit to hold shared endpoints, given its `lstat` result and the
/// uid that must own it; nothing if it is fit. Pure, so tests can feed it made-up stats.
BITBRIDGE_INTERNAL_API std::optional<std::string> runtimeDirectoryProblem(const struct stat& status, uint32_t ownerUid);

/// Creates the runtime directory (mode 0700) if it is missing and checks it. Returns its path.
/// Throws Error{BadConfiguration} naming the path, what is wrong with it, and the fix.
BITBRIDGE_INTERNAL_API std::string ensureRuntimeDirectory();

}  // namespace bitbridge

