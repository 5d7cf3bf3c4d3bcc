#include "host_requirement.h"

namespace bitbridge::cli {
namespace {

// CLR header flags (ECMA-335 II.25.3.3.1 and the CorFlags tool).
constexpr uint32_t kIlOnly = 0x1;
constexpr uint32_t k32BitRequired = 0x2;
constexpr uint32_t kIlLibrary = 0x4;
constexpr uint32_t kStrongNameSigned = 0x8;
constexpr uint32_t kNativeEntryPoint = 0x10;
constexpr uint32_t kTrackDebugData = 0x10000;
constexpr uint32_t k32BitPreferred = 0x20000;

}  // namespace

std::string hostNameFor(Arch arch, BinaryFormat format) {
  std::string name = hostExecutableName(arch);
  const std::string exe = ".exe";
  bool hasExe = name.size() > exe.size() && name.compare(name.size() - exe.size(), exe.size(), exe) == 0;
  if (hasExe && format == BinaryFormat::Elf) name.resize(name.size() - exe.size());
  if (!hasExe && format == BinaryFormat::Pe) name += exe;
  return name;
}

std::string corFlagNames(uint32_t flags) {
  const std::pair<uint32_t, const char*> names[] = {
      {kIlOnly, "ILONLY"},           {k32BitRequired, "32BITREQUIRED"},
      {kIlLibrary, "IL_LIBRARY"},    {kStrongNameSigned, "STRONGNAMESIGNED"},
      {kNativeEntryPoint, "NATIVE_ENTRYPOINT"}, {kTrackDebugData, "TRACKDEBUGDATA"},
      {k32BitPreferred, "32BITPREFERRED"}};
  std::string out;
  for (const auto& [bit, name] : names) {
    if (flags & bit) out += (out.empty() ? "" : " ") + std::string(name);
  }
  return out;
}

std::string dotnetPlatform(const BinaryInfo& header) {
  if (!header.dotnet) return "";
  if (header.dotnetAnyCpu) {
    return (header.corFlags & k32BitPreferred) ? "Any CPU, 32-bit preferred" : "Any CPU";
  }
  std::string only = header.arch == Arch::x86      ? "x86 only"
                     : header.arch == Arch::x86_64 ? "x64 only"
                                                   : "machine-specific";
  return (header.corFlags & kIlOnly) ? only : "mixed-mode, " + only;
}

HostRequirement hostRequirement(const BinaryImage& image) {
  const BinaryInfo& h = image.header;
  if (h.dotnetAnyCpu) {
    return {"", "a .NET \"Any CPU\" assembly: its header says x86, but it runs as the bitness of "
                "whichever process loads it, so no host can be picked from it (mark it x86-only "
                "with `CorFlags /32BITREQ+`, or rebuild it for one platform)"};
  }
  if (h.dotnet && (h.corFlags & kIlOnly)) {
    std::string bits = h.arch == Arch::x86 ? "32-bit " : h.arch == Arch::x86_64 ? "64-bit " : "";
    return {"", "a .NET IL-only assembly (" + dotnetPlatform(h) + "): it has no native code or "
                "exports for a bitbridge host to load; it runs in a " + bits +
                ".NET process (wrap it in a native or mixed-mode component to bridge it)"};
  }
  if (!h.arch) {
    return {"", h.description + ": bitbridge has hosts for x86 and x86_64 only"};
  }
  return {hostNameFor(*h.arch, h.format), ""};
}

}  // namespace bitbridge::cli
