// Which host serves a set of HostOptions: the first two steps of starting any host, private
// (Host::spawn) or shared (Host::connectShared), so that both pick and check it the same way.
// Thread/lifetime: stateless.
#pragma once

#include <string>

#include "bitbridge/arch.h"
#include "bitbridge/host.h"

namespace bitbridge {

struct HostSelection {
  Arch arch = currentArch();
  std::string executable;  ///< absolute path of bitbridge-host32/-host64, header checked
};

/// 1. The architecture: `options.arch`, else the component's ELF header, else this process's;
///    the component (and legacy library) must be loadable by it. Makes `options.component`
///    and `options.legacyLibrary` absolute.
/// 2. The host executable for it (see host_locator.h), whose own header must match.
/// Throws Error: NotFound, WrongBitness, BadConfiguration (legacyLibrary without component, a
/// host file of the wrong architecture).
HostSelection selectHost(HostOptions& options);

/// Step 1 alone: the architecture, with the same checks and path changes. For a host that is not
/// started from a file the client finds (Host::activateCom: COM starts the registered one).
Arch selectHostArch(HostOptions& options);

/// Step 2 alone: the host executable for `arch` (host_locator.h), its header checked. Throws
/// Error: NotFound, BadConfiguration (a file of the wrong architecture under the host's name).
std::string selectHostExecutable(Arch arch, const HostOptions& options);

/// `path` made absolute against the working directory ("" stays "").
std::string absolutePath(const std::string& path);

}  // namespace bitbridge
