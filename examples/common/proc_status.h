// Shared by the examples: one field of /proc/self/status ("VmHWM:   123 kB"), in KiB, to show
// how much memory each side of a bridge really used. Linux only; 0 if the field is absent.
#pragma once

#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>

namespace bitbridge_examples {

inline uint64_t procStatusKiB(const char* field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  size_t length = std::strlen(field);
  while (std::getline(status, line)) {
    if (line.compare(0, length, field) == 0 && line.size() > length && line[length] == ':') {
      return std::stoull(line.substr(length + 1));
    }
  }
  return 0;
}

}  // namespace bitbridge_examples
