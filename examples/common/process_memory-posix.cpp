// The examples' memory figures on Linux: fields of /proc/self/status ("VmHWM:   123 kB").
#include "process_memory.h"

#include <cstring>
#include <fstream>
#include <string>

namespace bitbridge_examples {
namespace {

/// One "Name:   123 kB" field of /proc/self/status, in KiB; 0 if the field is absent.
uint64_t procStatusKiB(const char* field) {
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

}  // namespace

uint64_t peakResidentKiB() { return procStatusKiB("VmHWM"); }

uint64_t residentKiB() { return procStatusKiB("VmRSS"); }

}  // namespace bitbridge_examples
