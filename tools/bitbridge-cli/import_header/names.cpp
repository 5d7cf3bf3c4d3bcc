#include "names.h"

#include <cctype>
#include <cstdio>
#include <vector>

namespace bitbridge::importer {

std::string capnpName(const std::string& cName, bool upper) {
  // Split at anything that is not a letter or digit; an ALLCAPS part reads as a word.
  std::vector<std::string> parts;
  std::string part;
  for (char c : cName) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      part += c;
    } else if (!part.empty()) {
      parts.push_back(part);
      part.clear();
    }
  }
  if (!part.empty()) parts.push_back(part);
  std::string out;
  for (auto& p : parts) {
    bool allCaps = true;
    for (char c : p) allCaps = allCaps && !std::islower(static_cast<unsigned char>(c));
    if (allCaps) {
      for (char& c : p) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    p[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(p[0])));
    out += p;
  }
  if (out.empty()) out = "Unnamed";
  if (std::isdigit(static_cast<unsigned char>(out[0]))) out = "X" + out;
  out[0] = static_cast<char>(upper ? std::toupper(static_cast<unsigned char>(out[0]))
                                   : std::tolower(static_cast<unsigned char>(out[0])));
  return out;
}

std::string NameScope::unique(const std::string& name) {
  std::string candidate = name;
  for (int i = 2; used_.count(candidate); ++i) candidate = name + std::to_string(i);
  used_.insert(candidate);
  return candidate;
}

uint64_t fileIdFor(const std::string& seed) {
  // FNV-1a, 64-bit: stable across compilers and platforms (std::hash is not).
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : "bitbridge import-header " + seed) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h | (uint64_t{1} << 63);
}

std::string hexId(uint64_t id) {
  char buffer[24];
  std::snprintf(buffer, sizeof buffer, "0x%016llx", static_cast<unsigned long long>(id));
  return buffer;
}

}  // namespace bitbridge::importer
