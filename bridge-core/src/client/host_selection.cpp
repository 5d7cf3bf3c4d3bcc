#include "client/host_selection.h"

#include <filesystem>
#include <system_error>

#include "bitbridge/binary_header.h"
#include "bitbridge/error.h"
#include "client/host_locator.h"

namespace bitbridge {

std::string absolutePath(const std::string& path) {
  if (path.empty()) return path;
  auto native = std::filesystem::u8path(path);
  // On Windows "/dir/x" is not absolute (no drive): it becomes "<current drive>:\dir\x" here,
  // in the client, rather than in a host that may run with another current drive (COM).
  if (native.is_absolute()) return path;
  std::error_code error;
  auto absolute = std::filesystem::absolute(native, error);
  return error ? path : absolute.u8string();
}

Arch selectHostArch(HostOptions& options) {
  Arch arch = currentArch();
  // 1. Which host: from the component's header unless the caller insists (then check it).
  if (!options.component.empty()) {
    options.component = absolutePath(options.component);
    BinaryInfo component = inspectForHosting(options.component);
    arch = options.arch.value_or(component.arch.value_or(currentArch()));
    requireLoadableBy(component, arch, options.component);
  } else if (!options.legacyLibrary.empty()) {
    // No component: a library to bind from its schema (Host::bind). Its header picks the host.
    options.legacyLibrary = absolutePath(options.legacyLibrary);
    BinaryInfo library = inspectForHosting(options.legacyLibrary);
    arch = options.arch.value_or(library.arch.value_or(currentArch()));
  } else if (options.arch) {
    arch = *options.arch;
  }
  if (!options.legacyLibrary.empty()) {
    options.legacyLibrary = absolutePath(options.legacyLibrary);
    requireHostable(options.legacyLibrary, arch, BinaryRole::LegacyLibrary);
  }
  return arch;
}

std::string selectHostExecutable(Arch arch, const HostOptions& options) {
  // The host executable, and a check that it really is of that bitness.
  std::string executable = locateHostExecutable(arch, options.hostDirectory);
  BinaryInfo hostHeader = inspectBinary(executable);
  if (hostHeader.arch != arch) {
    throw Error(ErrorKind::BadConfiguration,
                executable + " is " + hostHeader.description + ", not a " +
                    std::string(archName(arch)) + " host",
                "reinstall bitbridge; the hosts directory holds a wrong file");
  }
  return executable;
}

HostSelection selectHost(HostOptions& options) {
  HostSelection selection;
  selection.arch = selectHostArch(options);                               // 1.
  selection.executable = selectHostExecutable(selection.arch, options);  // 2.
  return selection;
}

}  // namespace bitbridge
