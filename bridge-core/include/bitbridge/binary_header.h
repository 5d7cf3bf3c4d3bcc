// Reads the header of an executable or shared library (ELF or PE) *without loading it*, to pick
// the host of the right bitness and to turn every wrong-bitness mistake into a clear error.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "bitbridge/arch.h"
#include "bitbridge/export.h"

namespace bitbridge {

enum class BinaryFormat : uint8_t { Elf, Pe };

struct BinaryInfo {
  BinaryFormat format;
  /// Bitbridge architecture, if the machine is one bitbridge has hosts for.
  std::optional<Arch> arch;
  /// Raw machine field: ELF e_machine or PE COFF Machine.
  uint16_t machine = 0;
  /// 32 or 64: ELF EI_CLASS, or PE32 / PE32+ optional-header magic.
  unsigned bits = 0;
  /// Human-readable: "ELF 32-bit Intel 80386", "PE32+ x86-64 (AMD64)", "PE32 .NET Any CPU", ...
  std::string description;
  /// PE only: the image is .NET (has a CLR header).
  bool dotnet = false;
  /// PE only: a .NET "Any CPU" image (IL only, 32BITREQUIRED clear): its header says x86 but
  /// it runs as whatever process loads it; it cannot be hosted by bitness (design.md §1).
  bool dotnetAnyCpu = false;
  /// PE only, .NET images: the CLR header's Flags (COMIMAGE_FLAGS_ILONLY 0x1, _32BITREQUIRED
  /// 0x2, _32BITPREFERRED 0x20000, ...), as `CorFlags` shows them; 0 otherwise.
  uint32_t corFlags = 0;
};

/// Parses an in-memory header. `bytes` is the start of the file (for PE, enough of it to reach
/// the section table and CLR header; the whole file is simplest). `name` is used in messages.
/// Throws Error{BadConfiguration} naming `name` and the problem for truncated, garbage or
/// unsupported data (never reads out of bounds).
BITBRIDGE_API BinaryInfo inspectBinaryBytes(const uint8_t* bytes, size_t size, const std::string& name);

/// Reads and parses the file at `path`. Throws Error{NotFound} if it does not exist or cannot
/// be read, Error{BadConfiguration} if it is not ELF/PE or is truncated.
BITBRIDGE_API BinaryInfo inspectBinary(const std::string& path);

/// Throws Error{WrongBitness} unless `info` describes a binary a host of `hostArch` can load.
/// The message names the file, its machine and the host it needs, e.g.
/// "libfoo.so is ELF 64-bit x86-64; bitbridge-host32 (x86) cannot load it: it needs
///  bitbridge-host64". A .NET Any CPU image gets its own explanation.
BITBRIDGE_API void requireLoadableBy(const BinaryInfo& info, Arch hostArch, const std::string& path);

/// What a checked binary is to the host, for messages that say what to do about a mismatch.
enum class BinaryRole : uint8_t { Component, LegacyLibrary };

/// The executable format this platform's hosts load: ELF on Linux, PE on Windows.
BITBRIDGE_API BinaryFormat nativeBinaryFormat();

/// Everything checked before a library is loaded or a host is picked for it: the file exists
/// and is readable (NotFound), is an ELF/PE image (BadConfiguration), of this platform's format
/// (BadConfiguration: e.g. a Windows DLL offered to a Linux host) and loadable by `hostArch`
/// (WrongBitness, with a hint suited to `role`). Returns the header.
BITBRIDGE_API BinaryInfo requireHostable(const std::string& path, Arch hostArch, BinaryRole role);

/// Like requireHostable, without a host chosen yet: returns the header, after the format check.
/// The caller picks the host from `arch` (absent: requireHostable will explain why).
BITBRIDGE_API BinaryInfo inspectForHosting(const std::string& path);

}  // namespace bitbridge
