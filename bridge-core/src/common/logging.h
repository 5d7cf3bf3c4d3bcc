// Logger construction. No global registry: loggers are made in main (or by Runtime) and passed
// to whoever logs. Level comes from $BITBRIDGE_LOG (trace|debug|info|warn|error|critical|off).
#pragma once

#include <memory>
#include <string>

#include <spdlog/common.h>
#include "common/internal_api.h"

namespace spdlog {
class logger;
}

namespace bitbridge {

/// Level from $BITBRIDGE_LOG, else `fallback`.
BITBRIDGE_INTERNAL_API spdlog::level::level_enum logLevelFromEnv(spdlog::level::level_enum fallback);

/// A logger named `name` writing to stderr (thread-safe sink), not registered globally.
BITBRIDGE_INTERNAL_API std::shared_ptr<spdlog::logger> makeStderrLogger(const std::string& name);

/// The logger a host process uses: stderr, one line per record, formatted "<level>|<message>"
/// so that the client side can re-log each line at its original level (see parseHostLogLine).
BITBRIDGE_INTERNAL_API std::shared_ptr<spdlog::logger> makeHostLogger();

/// Splits a host stderr line "<level>|<message>". Lines that are not in that form (the legacy
/// library printing to stderr/stdout) are reported at info level, unchanged.
BITBRIDGE_INTERNAL_API std::pair<spdlog::level::level_enum, std::string> parseHostLogLine(const std::string& line);

}  // namespace bitbridge

