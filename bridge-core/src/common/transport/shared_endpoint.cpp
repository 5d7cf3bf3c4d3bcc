// Names of shared hosts: the rule for the name a client gives, and the endpoint name per
// bitness. Portable (the endpoint itself is per platform: shared_endpoint-posix.cpp).
#include "bitbridge/error.h"
#include "common/transport/shared_endpoint.h"

namespace bitbridge {

std::optional<std::string> sharedNameProblem(const std::string& name) {
  if (name.empty()) return std::string("is empty");
  if (name.size() > kMaxSharedNameLength) {
    return "is " + std::to_string(name.size()) + " characters long (at most " +
           std::to_string(kMaxSharedNameLength) + ")";
  }
  for (char c : name) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) {
      return std::string("contains '") + (c >= 0x20 && c < 0x7f ? std::string(1, c) : "?") +
             "', which is not one of A-Z a-z 0-9 . _ -";
    }
  }
  return std::nullopt;
}

void requireValidSharedName(const std::string& name) {
  if (auto problem = sharedNameProblem(name)) {
    throw Error(ErrorKind::BadConfiguration, "shared host name '" + name + "' " + *problem,
                "use 1 to " + std::to_string(kMaxSharedNameLength) +
                    " letters, digits, '.', '_' or '-' (it becomes a file name)");
  }
}

std::string sharedEndpointName(const std::string& name, Arch arch) {
  return name + "-" + std::string(archName(arch));
}

}  // namespace bitbridge
