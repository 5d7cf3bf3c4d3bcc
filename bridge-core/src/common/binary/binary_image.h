// What a binary says about linking, read from its bytes *without loading it*: the symbols it
// exports, the libraries it needs and where it asks for them to be looked up. `bitbridge
// inspect` prints it; the exports also tell a bitbridge component (it exports the versioned
// entry point) from a plain library before anything is loaded.
//
// Covers ELF32/ELF64 (the dynamic segment and .dynsym) and PE32/PE32+ (export, import and
// delay-load import directories). The header itself (format, machine, bitness, .NET flags) is
// binary_header.h's job; BinaryImage carries its result.
//
// Input is treated as hostile, like binary_header.cpp: every offset comes from the file and
// is checked before anything is read; a corrupt table gives an Error naming the file and the
// table, never an out-of-bounds read. Thread/lifetime: stateless functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "bitbridge/binary_header.h"
#include "common/internal_api.h"

namespace bitbridge {

/// What the image is for, from ELF e_type (+ PT_INTERP) or the PE DLL characteristic.
enum class BinaryKind : uint8_t {
  SharedLibrary,  ///< ELF ET_DYN without an interpreter; PE with IMAGE_FILE_DLL
  Executable,     ///< ELF ET_EXEC, or ET_DYN with PT_INTERP (PIE); PE without IMAGE_FILE_DLL
  Other,          ///< ELF relocatable object, core dump, ...
};

/// "shared library" / "executable" / "other".
BITBRIDGE_INTERNAL_API const char* binaryKindName(BinaryKind kind);

struct BITBRIDGE_INTERNAL_API BinaryImage {
  BinaryInfo header;
  BinaryKind kind = BinaryKind::Other;
  /// Exported symbol names, sorted, without duplicates. ELF: defined global/weak functions and
  /// objects of default or protected visibility in the dynamic symbol table. PE: the names in
  /// the export directory (ordinal-only exports have no name and are not listed).
  std::vector<std::string> exports;
  /// PE only: the numbers (ordinals) of the functions exported by number only (NONAME in the
  /// DLL's .def), sorted; what `$C.ordinal(N)` binds. Exports with a name are not listed.
  std::vector<uint32_t> ordinalOnlyExports;
  /// Libraries the loader must find, in file order: ELF DT_NEEDED; PE import directory DLLs.
  std::vector<std::string> needed;
  /// PE only: delay-loaded DLLs (loaded on first call, so missing ones fail late).
  std::vector<std::string> delayLoaded;
  /// ELF DT_SONAME; PE: the DLL name in the export directory. Empty if there is none.
  std::string soname;
  /// ELF DT_RPATH / DT_RUNPATH, split at ':', unexpanded ($ORIGIN stays as written).
  std::vector<std::string> rpath;
  std::vector<std::string> runpath;
  /// ELF: has a PT_DYNAMIC segment (a static executable has none and needs nothing).
  bool dynamic = false;

  /// True if it exports the component entry point (BITBRIDGE_COMPONENT_ENTRY_NAME).
  bool exportsComponentEntry() const;
};

/// Parses a whole image held in memory. `name` is used in messages. Throws
/// Error{BadConfiguration} naming `name` and the table for a truncated or corrupt image.
BITBRIDGE_INTERNAL_API BinaryImage parseBinaryImage(const uint8_t* bytes, size_t size, const std::string& name);

/// Reads the file at `path` (up to kMaxImageBytes) and parses it. Throws Error{NotFound} if it
/// cannot be read, Error{BadConfiguration} if it is not ELF/PE, too large, or corrupt.
BITBRIDGE_INTERNAL_API BinaryImage readBinaryImage(const std::string& path);

/// Largest file readBinaryImage accepts: the whole image is read into memory.
inline constexpr uint64_t kMaxImageBytes = uint64_t{1} << 30;

}  // namespace bitbridge

