// Architectures (bitnesses) bitbridge can bridge, and how they map to host executables.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include "bitbridge/export.h"

namespace bitbridge {

/// A process architecture. Values are fixed: they appear on the wire (hello) and in logs.
enum class Arch : uint8_t {
  x86 = 1,     ///< 32-bit x86 (i386/i686): ELF e_machine EM_386, PE machine 0x14c
  x86_64 = 2,  ///< 64-bit x86-64: ELF e_machine EM_X86_64, PE machine 0x8664
};

/// The architecture this code was compiled for.
constexpr Arch currentArch() { return sizeof(void*) == 4 ? Arch::x86 : Arch::x86_64; }

/// "x86" / "x86_64".
BITBRIDGE_API std::string_view archName(Arch arch);
/// 32 / 64.
BITBRIDGE_API unsigned pointerBits(Arch arch);
/// Parses "x86", "i386", "i686", "32" / "x86_64", "amd64", "x64", "64".
BITBRIDGE_API std::optional<Arch> parseArch(std::string_view text);
/// Base name of the host executable for `arch`: "bitbridge-host32" / "bitbridge-host64"
/// (plus ".exe" on Windows).
BITBRIDGE_API std::string hostExecutableName(Arch arch);

}  // namespace bitbridge
