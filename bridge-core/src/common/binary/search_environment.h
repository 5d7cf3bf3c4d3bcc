// Where this machine's loaders look for libraries: the inputs of dependency resolution that
// come from the environment (variables, configuration files, system directories). Kept apart
// from the resolver so that tests can give it directories of their own.
// Platform code: search_environment-posix.cpp / search_environment-win32.cpp.
#pragma once

#include <string>
#include <vector>

#include "bitbridge/binary_header.h"
#include "common/internal_api.h"

namespace bitbridge {

struct SearchEnvironment {
  /// The format this machine loads (ELF on Linux, PE on Windows): dependencies of the other
  /// format are listed but cannot be resolved here.
  BinaryFormat nativeFormat = BinaryFormat::Elf;
  /// ELF: $LD_LIBRARY_PATH, split at ':' and ';' as ld.so does.
  std::vector<std::string> libraryPath;
  /// ELF: what the ld.so cache covers, per bitness: the directories of /etc/ld.so.conf (and
  /// its includes), then the default directories for that bitness. Candidates of the wrong
  /// class or machine are skipped while searching, as ld.so skips them.
  std::vector<std::string> elfSystemDirs32;
  std::vector<std::string> elfSystemDirs64;
  /// PE on Windows: the system directories for each bitness (System32 or SysWOW64, then the
  /// Windows directory), and $PATH.
  std::vector<std::string> peSystemDirs32;
  std::vector<std::string> peSystemDirs64;
  std::vector<std::string> path;
};

/// This machine's environment (reads variables and, on Linux, /etc/ld.so.conf).
BITBRIDGE_INTERNAL_API SearchEnvironment nativeSearchEnvironment();

/// The default library directories of a Debian/Ubuntu-style multiarch system for one bitness,
/// followed by the classic ones (/lib, /usr/lib). Exposed for tests and for ld.so.conf-less
/// systems.
BITBRIDGE_INTERNAL_API std::vector<std::string> defaultElfDirs(unsigned bits);

/// Directories listed in an ld.so.conf file, following `include` lines (globs) and skipping
/// comments and hwcap lines. Missing files give nothing. `depth` bounds include loops.
BITBRIDGE_INTERNAL_API std::vector<std::string> readLdSoConf(const std::string& file, int depth = 0);

}  // namespace bitbridge

