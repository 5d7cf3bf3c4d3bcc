// `--library FILE`: the header's functions checked against what the real binary exports,
// read from its bytes (bridge-core's binary_image, the reader `bitbridge inspect` uses), and
// the host that can load it.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "c_model.h"

namespace bitbridge::importer {

struct ExportStatus {
  enum class State { Exported, Decorated, Missing };
  State state = State::Missing;
  /// Decorated: the name the binary exports (`_crc32@12`, `crc32@12`): a __stdcall function
  /// exported by its decorated name, which the Windows host finds from the plain name.
  std::string symbol;
};

struct LibraryCheck {
  std::string path;
  std::string description;  ///< "ELF 32-bit x86" ...
  std::string host;         ///< "bitbridge-host32", ...
  unsigned pointerBits = 0; ///< the library's: 32 or 64
  std::map<std::string, ExportStatus> functions;  ///< by C name
  std::vector<std::string> missing;               ///< header order
  size_t exportCount = 0;
  /// PE: functions exported by number only; a missing function may be one of them.
  std::vector<uint32_t> ordinalOnly;
};

/// "ordinals 5, 7 and 9" (at most ten listed), for messages.
std::string ordinalList(const std::vector<uint32_t>& ordinals);

/// Reads `library` and checks every function of `model`. Throws bitbridge::Error: NotFound
/// (unreadable), BadConfiguration (not ELF/PE), WrongBitness (no bitbridge host can load it:
/// the reason says why, e.g. a machine other than x86/x86-64 or a .NET Any CPU image).
LibraryCheck checkLibrary(const std::string& library, const CModel& model);

/// The library's architecture as clang arguments (`-m32`/`-m64`), so that the header is read
/// as the host will see it; empty when `clangArgs` already choose a target.
std::vector<std::string> targetArgsFor(const std::string& library,
                                       const std::vector<std::string>& clangArgs);

}  // namespace bitbridge::importer
