// Which bitbridge host can load a binary, or why none can: the answer to "what do I pass as
// HostOptions::arch / which host must be installed" that `bitbridge inspect` prints.
#pragma once

#include <string>

#include "common/binary/binary_image.h"

namespace bitbridge::cli {

struct HostRequirement {
  std::string host;    ///< "bitbridge-host32", "bitbridge-host64.exe", ...; empty: none can
  std::string reason;  ///< when `host` is empty: why no host can load it
};

/// The host for `image`, named for the image's platform (".exe" for PE, whatever platform
/// this runs on), reusing hostExecutableName's naming.
HostRequirement hostRequirement(const BinaryImage& image);

/// The host's name for `arch` on the platform of `format`.
std::string hostNameFor(Arch arch, BinaryFormat format);

/// .NET images: "Any CPU", "Any CPU, 32-bit preferred", "x86 only", "x64 only",
/// "mixed-mode, x86 only", ... from the CLR header flags; "" for native images.
std::string dotnetPlatform(const BinaryInfo& header);

/// The CLR flag names set in `flags`, e.g. "ILONLY 32BITREQUIRED".
std::string corFlagNames(uint32_t flags);

}  // namespace bitbridge::cli
