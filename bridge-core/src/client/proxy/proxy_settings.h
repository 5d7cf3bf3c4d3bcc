// A drop-in proxy's settings from the environment, read when it starts its host (the program
// cannot pass options to a C API it does not know is proxied). BITBRIDGE_LOG and
// BITBRIDGE_HOST_DIR are read where every client reads them (logging, host location).
//   BITBRIDGE_PROXY_<NAME>_LIBRARY   the library the host binds (default: the proxy's own)
//   BITBRIDGE_START_TIMEOUT_MS       HostOptions::startTimeout (default 10000)
//   BITBRIDGE_CALL_TIMEOUT_MS        HostOptions::callTimeout, with OnCallTimeout::KillHost
//                                    (default 0: none)
#pragma once

#include <string>

#include "bitbridge/host.h"

namespace bitbridge::proxy {

/// "BITBRIDGE_PROXY_<NAME>_LIBRARY" for proxy `name` (upper case, other characters as '_').
std::string libraryVariable(const std::string& name);

struct ProxySettings {
  std::string library;
  HostOptions host;
};

/// The settings of proxy `name` whose built-in library is `defaultLibrary`. Throws
/// Error{BadConfiguration} naming the variable for a value that is not a number of
/// milliseconds, and for no library at all.
ProxySettings readProxySettings(const std::string& name, const std::string& defaultLibrary);

}  // namespace bitbridge::proxy
