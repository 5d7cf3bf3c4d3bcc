#include "bitbridge/arch.h"

#include <cctype>
#include <string>

namespace bitbridge {

std::string_view archName(Arch arch) {
  switch (arch) {
    case Arch::x86: return "x86";
    case Arch::x86_64: return "x86_64";
  }
  return "unknown";
}

unsigned pointerBits(Arch arch) { return arch == Arch::x86 ? 32 : 64; }

std::optional<Arch> parseArch(std::string_view text) {
  std::string lower;
  for (char c : text) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "x86" || lower == "i386" || lower == "i686" || lower == "32") return Arch::x86;
  if (lower == "x86_64" || lower == "amd64" || lower == "x64" || lower == "64") return Arch::x86_64;
  return std::nullopt;
}

}  // namespace bitbridge
