// Linux: the library path ld.so reads, and the directories its cache covers.
#include <cstdlib>

#include "common/binary/search_environment.h"

namespace bitbridge {
namespace {

std::vector<std::string> splitEnv(const char* name, const char* separators) {
  std::vector<std::string> parts;
  const char* value = std::getenv(name);
  if (value == nullptr) return parts;
  std::string text = value;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find_first_of(separators, start);
    std::string part = text.substr(start, end == std::string::npos ? end : end - start);
    // ld.so treats an empty entry as the current directory.
    parts.push_back(part.empty() ? "." : part);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return parts;
}

std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

SearchEnvironment nativeSearchEnvironment() {
  SearchEnvironment env;
  env.nativeFormat = BinaryFormat::Elf;
  // Unset, ld.so searches no library path at all (an empty value, though, means ".").
  if (std::getenv("LD_LIBRARY_PATH") != nullptr) env.libraryPath = splitEnv("LD_LIBRARY_PATH", ":;");
  std::vector<std::string> configured = readLdSoConf("/etc/ld.so.conf");
  env.elfSystemDirs32 = concat(configured, defaultElfDirs(32));
  env.elfSystemDirs64 = concat(configured, defaultElfDirs(64));
  return env;
}

}  // namespace bitbridge
