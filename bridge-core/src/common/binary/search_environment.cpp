// The platform-independent part of the search environment: what Linux's ld.so searches by
// default and how /etc/ld.so.conf lists more. Pure file reading, so it works (and is tested)
// on any platform; only nativeSearchEnvironment() is per platform.
#include <algorithm>
#include <filesystem>
#include <fstream>

#include "common/binary/search_environment.h"

namespace bitbridge {
namespace {

namespace fs = std::filesystem;

std::string trim(const std::string& s) {
  size_t begin = s.find_first_not_of(" \t\r");
  if (begin == std::string::npos) return "";
  size_t end = s.find_last_not_of(" \t\r");
  return s.substr(begin, end - begin + 1);
}

// Expands the only glob form ld.so.conf files use in practice: "dir/*.conf" (a '*' in the last
// component). Matches are sorted, as glob(3) returns them.
std::vector<std::string> expandGlob(const std::string& pattern) {
  fs::path p(pattern);
  std::string leaf = p.filename().string();
  size_t star = leaf.find('*');
  if (star == std::string::npos) return {pattern};
  std::string prefix = leaf.substr(0, star), suffix = leaf.substr(star + 1);
  std::vector<std::string> out;
  std::error_code ec;
  for (fs::directory_iterator it(p.parent_path(), ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.size() >= prefix.size() + suffix.size() && name.compare(0, prefix.size(), prefix) == 0 &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      out.push_back(it->path().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

std::vector<std::string> defaultElfDirs(unsigned bits) {
  if (bits == 32) {
    return {"/lib/i386-linux-gnu", "/usr/lib/i386-linux-gnu", "/lib32", "/usr/lib32", "/lib",
            "/usr/lib"};
  }
  return {"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib",
          "/usr/lib"};
}

std::vector<std::string> readLdSoConf(const std::string& file, int depth) {
  std::vector<std::string> dirs;
  if (depth > 8) return dirs;  // an include cycle: ldconfig would report it; we stop
  std::ifstream in(file);
  std::string line;
  fs::path base = fs::path(file).parent_path();
  while (std::getline(in, line)) {
    line = trim(line.substr(0, line.find('#')));
    if (line.empty() || line.rfind("hwcap ", 0) == 0) continue;
    if (line.rfind("include", 0) == 0 && line.size() > 7 && (line[7] == ' ' || line[7] == '\t')) {
      std::string pattern = trim(line.substr(8));
      if (!pattern.empty() && pattern[0] != '/') pattern = (base / pattern).string();
      for (const auto& included : expandGlob(pattern)) {
        for (auto& dir : readLdSoConf(included, depth + 1)) dirs.push_back(std::move(dir));
      }
      continue;
    }
    // Old syntax allowed "dir=type" and several directories on a line separated by spaces,
    // commas or colons.
    size_t start = 0;
    while (start < line.size()) {
      size_t end = line.find_first_of(" \t,:", start);
      std::string dir = line.substr(start, end == std::string::npos ? end : end - start);
      dir = dir.substr(0, dir.find('='));
      if (!dir.empty()) dirs.push_back(dir);
      if (end == std::string::npos) break;
      start = end + 1;
    }
  }
  return dirs;
}

}  // namespace bitbridge
