// The classes a component offers, asked of a real host: spawns the host of the component's
// bitness, which loads it exactly as an application's host would (so this also proves the
// component loads), and reads the class list from its info. Loading runs the library's
// initialisers, which is why `bitbridge inspect --no-load` skips it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "bitbridge/arch.h"
#include "bitbridge/error.h"

namespace bitbridge::cli {

struct ClassListing {
  enum class Status { Listed, Failed, Skipped };
  Status status = Status::Skipped;
  std::vector<std::string> classes;  ///< Listed: the class names, in the component's order
  std::string host;                  ///< the host executable used (when one was started)
  std::optional<Error> error;        ///< Failed: what the host (or starting it) reported
  std::string reason;                ///< Skipped: why nothing was started
};

/// Loads the component at `path` in a private host of `arch` and lists its classes. Never
/// throws a bitbridge::Error: failures are returned as Status::Failed.
ClassListing listClasses(const std::string& path, Arch arch);

/// "listed" / "failed" / "skipped".
const char* classListingStatusName(ClassListing::Status status);

}  // namespace bitbridge::cli
