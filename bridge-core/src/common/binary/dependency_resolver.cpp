// Dependency resolution as the host's loader does it (see dependency_resolver.h).
//
// ELF, per glibc's ld.so (elf/dl-load.c, "_dl_map_object"), for a library needed by object O:
//   a name with a '/' is used as is; otherwise
//   1. if O has no DT_RUNPATH: DT_RPATH of O, then of the object that loaded O, and so on up;
//   2. LD_LIBRARY_PATH;
//   3. DT_RUNPATH of O only;
//   4. the ld.so cache and default directories of O's bitness.
//   Candidates of another class or machine are skipped silently (ld.so does too, which is why
//   a wrong-bitness library shows up only as "not found"); we remember them to say so.
//   Objects are mapped breadth-first, and a name already loaded is never searched again.
// PE, per LoadLibraryEx(LOAD_WITH_ALTERED_SEARCH_PATH) as the Windows host loads components:
//   already-loaded modules and system DLLs, then the component's own directory, the system
//   directories, then PATH. On Linux only the component's own directory can be checked.
#include "common/binary/dependency_resolver.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <deque>
#include <filesystem>
#include <optional>
#include <set>

#include "bitbridge/error.h"

namespace bitbridge {
namespace {

namespace fs = std::filesystem;

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool startsWith(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

// How the loader compares names: exactly for ELF, case-insensitively for PE.
std::string nameKey(const std::string& name, BinaryFormat format) {
  return format == BinaryFormat::Pe ? lower(name) : name;
}

std::string fileName(const std::string& path) { return fs::path(path).filename().string(); }

bool isBridgeCore(const std::string& name, BinaryFormat format) {
  if (format == BinaryFormat::Elf) return startsWith(name, "libbitbridge-core.so");
  std::string l = lower(name);
  return l == "libbitbridge-core.dll" || l == "bitbridge-core.dll";
}

// $ORIGIN, $LIB and $PLATFORM in DT_RPATH/DT_RUNPATH, as glibc expands them on Debian.
std::string expandTokens(std::string dir, const std::string& origin, unsigned bits) {
  const std::string lib = bits == 32 ? "lib/i386-linux-gnu" : "lib/x86_64-linux-gnu";
  const std::string platform = bits == 32 ? "i686" : "x86_64";
  const std::pair<const char*, std::string> tokens[] = {
      {"${ORIGIN}", origin}, {"$ORIGIN", origin},     {"${LIB}", lib},
      {"$LIB", lib},         {"${PLATFORM}", platform}, {"$PLATFORM", platform}};
  for (const auto& [token, value] : tokens) {
    for (size_t at = dir.find(token); at != std::string::npos; at = dir.find(token, at + value.size())) {
      dir.replace(at, std::strlen(token), value);
    }
  }
  return dir;
}

bool isRegularFile(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

// `dir/name`, or for PE a case-insensitive match in `dir` (Windows file names are).
std::optional<std::string> findInDirectory(const std::string& dir, const std::string& name,
                                           BinaryFormat format) {
  fs::path exact = fs::path(dir) / name;
  if (isRegularFile(exact)) return exact.lexically_normal().string();
  if (format != BinaryFormat::Pe) return std::nullopt;
  std::error_code ec;
  std::string wanted = lower(name);
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (lower(it->path().filename().string()) == wanted && isRegularFile(it->path())) {
      return it->path().lexically_normal().string();
    }
  }
  return std::nullopt;
}

// One object in the load order: what needs its dependencies searched.
struct Node {
  std::string path;
  BinaryImage image;
  int loader;  // index of the object that needed it; -1 for the inspected file
  unsigned depth;
};

}  // namespace

const char* dependencyStatusName(DependencyStatus status) {
  switch (status) {
    case DependencyStatus::Found: return "found";
    case DependencyStatus::ProvidedByHost: return "provided-by-host";
    case DependencyStatus::System: return "system";
    case DependencyStatus::Missing: return "missing";
    case DependencyStatus::WrongBitness: return "wrong-bitness";
    case DependencyStatus::Unreadable: return "unreadable";
    case DependencyStatus::NotResolvedHere: return "not-resolved-here";
  }
  return "unknown";
}

bool isProblem(DependencyStatus status) {
  return status == DependencyStatus::Missing || status == DependencyStatus::WrongBitness ||
         status == DependencyStatus::Unreadable;
}

bool isWindowsSystemDll(const std::string& name) {
  static const char* const kSystem[] = {
      "advapi32.dll", "bcrypt.dll",   "comctl32.dll", "comdlg32.dll", "crypt32.dll",
      "dbghelp.dll",  "dwmapi.dll",   "gdi32.dll",    "imm32.dll",    "iphlpapi.dll",
      "kernel32.dll", "kernelbase.dll", "mpr.dll",    "msvcrt.dll",   "mswsock.dll",
      "ncrypt.dll",   "netapi32.dll", "ntdll.dll",    "ole32.dll",    "oleaut32.dll",
      "psapi.dll",    "rpcrt4.dll",   "sechost.dll",  "secur32.dll",  "setupapi.dll",
      "shell32.dll",  "shlwapi.dll",  "ucrtbase.dll", "user32.dll",   "userenv.dll",
      "uxtheme.dll",  "version.dll",  "winhttp.dll",  "wininet.dll",  "winmm.dll",
      "winspool.drv", "ws2_32.dll",   "wsock32.dll"};
  std::string l = lower(name);
  if (startsWith(l, "api-ms-win-") || startsWith(l, "ext-ms-win-")) return true;
  return std::find(std::begin(kSystem), std::end(kSystem), l) != std::end(kSystem);
}

DependencyResolver::DependencyResolver(SearchEnvironment env) : env_(std::move(env)) {}

void DependencyResolver::addHostLibraries(const std::string& hostExecutable) {
  BinaryImage host = readBinaryImage(hostExecutable);
  BinaryFormat format = host.header.format;
  // Resolve the host as a plain program: nothing is provided to it yet.
  std::vector<Dependency> closure = resolve(hostExecutable, host, false);
  hostLibraries_[nameKey(fileName(hostExecutable), format)] = hostExecutable;
  for (const Dependency& d : closure) {
    if (d.status != DependencyStatus::Found) continue;
    hostLibraries_[nameKey(d.name, format)] = d.path;
    hostLibraries_[nameKey(fileName(d.path), format)] = d.path;
  }
}

std::vector<Dependency> DependencyResolver::resolve(const std::string& path,
                                                    const BinaryImage& image) const {
  return resolve(path, image, true);
}

std::vector<Dependency> DependencyResolver::resolve(const std::string& path,
                                                    const BinaryImage& image,
                                                    bool hostRules) const {
  const BinaryFormat format = image.header.format;
  const bool native = format == env_.nativeFormat;
  const unsigned bits = image.header.bits;
  std::error_code ec;
  std::deque<Node> nodes;
  nodes.push_back({fs::absolute(path, ec).lexically_normal().string(), image, -1, 0});
  const std::string rootDir = fs::path(nodes.front().path).parent_path().string();

  // Names the loader would find already loaded: the inspected file itself and, as they are
  // found, each dependency under its needed name, soname and file name.
  std::set<std::string> loaded{nameKey(fileName(nodes.front().path), format)};
  if (!image.soname.empty()) loaded.insert(nameKey(image.soname, format));

  std::vector<Dependency> out;

  // Whether `candidate` is a library this object can use; a rejected binary is remembered.
  auto accept = [&](const std::string& candidate, Dependency& d) {
    BinaryInfo info;
    try {
      info = inspectBinary(candidate);
    } catch (const Error& e) {
      if (d.detail.empty()) d.detail = "skipped " + candidate + ": " + e.message();
      return false;
    }
    if (info.format == format && info.machine == image.header.machine && info.bits == bits) {
      return true;
    }
    if (d.status != DependencyStatus::WrongBitness) {
      d.status = DependencyStatus::WrongBitness;
      d.path = candidate;
      d.detail = candidate + " is " + info.description + ", but " + fileName(nodes.front().path) +
                 " is " + image.header.description;
    }
    return false;
  };

  auto searchDirectories = [&](size_t index) {
    const Node& node = nodes[index];
    std::vector<std::string> dirs;
    if (format == BinaryFormat::Pe) {
      dirs.push_back(rootDir);
      if (!native) return dirs;
      const auto& system = bits == 32 ? env_.peSystemDirs32 : env_.peSystemDirs64;
      dirs.insert(dirs.end(), system.begin(), system.end());
      dirs.insert(dirs.end(), env_.path.begin(), env_.path.end());
      return dirs;
    }
    if (node.image.runpath.empty()) {
      for (int at = static_cast<int>(index); at >= 0; at = nodes[at].loader) {
        std::string origin = fs::path(nodes[at].path).parent_path().string();
        for (const auto& dir : nodes[at].image.rpath) dirs.push_back(expandTokens(dir, origin, bits));
      }
    }
    dirs.insert(dirs.end(), env_.libraryPath.begin(), env_.libraryPath.end());
    std::string origin = fs::path(node.path).parent_path().string();
    for (const auto& dir : node.image.runpath) dirs.push_back(expandTokens(dir, origin, bits));
    const auto& system = bits == 32 ? env_.elfSystemDirs32 : env_.elfSystemDirs64;
    dirs.insert(dirs.end(), system.begin(), system.end());
    return dirs;
  };

  for (size_t index = 0; index < nodes.size(); ++index) {
    // A deque keeps this reference valid while dependencies are appended.
    const Node& node = nodes[index];
    std::vector<std::pair<std::string, bool>> wanted;
    for (const auto& n : node.image.needed) wanted.emplace_back(n, false);
    for (const auto& n : node.image.delayLoaded) wanted.emplace_back(n, true);

    for (const auto& [name, delayed] : wanted) {
      std::string key = nameKey(name, format);
      if (!loaded.insert(key).second) continue;  // already loaded: not searched again
      Dependency d;
      d.name = name;
      d.neededBy = node.path;
      d.depth = node.depth + 1;
      d.delayLoaded = delayed;

      if (auto host = hostLibraries_.find(key); hostRules && host != hostLibraries_.end()) {
        d.status = DependencyStatus::ProvidedByHost;
        d.path = host->second;
        out.push_back(std::move(d));
        continue;
      }
      if (hostRules && isBridgeCore(name, format)) {
        d.status = DependencyStatus::ProvidedByHost;
        out.push_back(std::move(d));
        continue;
      }
      if (format == BinaryFormat::Pe && isWindowsSystemDll(name)) {
        d.status = DependencyStatus::System;
        out.push_back(std::move(d));
        continue;
      }
      if (!native && format == BinaryFormat::Elf) {
        d.status = DependencyStatus::NotResolvedHere;
        d.detail = "an ELF dependency: it resolves on Linux (RPATH/RUNPATH, LD_LIBRARY_PATH, "
                   "ld.so cache); run bitbridge inspect there to check it";
        out.push_back(std::move(d));
        continue;
      }

      std::optional<std::string> found;
      bool hasSlash = name.find('/') != std::string::npos ||
                      (format == BinaryFormat::Pe && name.find('\\') != std::string::npos);
      if (hasSlash) {
        if (isRegularFile(name) && accept(name, d)) found = name;
      } else {
        for (const auto& dir : searchDirectories(index)) {
          std::optional<std::string> candidate = findInDirectory(dir, name, format);
          if (!candidate) continue;
          if (accept(*candidate, d)) {
            found = candidate;
            break;
          }
          // Windows does not skip a DLL of the wrong machine: the load fails on the first one
          // found (error 193 / 0xc000007b). ld.so goes on searching.
          if (format == BinaryFormat::Pe && d.status == DependencyStatus::WrongBitness) break;
        }
      }

      if (!found) {
        if (d.status != DependencyStatus::WrongBitness) {
          if (!native) {
            d.status = DependencyStatus::NotResolvedHere;
            d.detail = "not next to " + fileName(nodes.front().path) +
                       "; Windows also looks in its system directories and PATH: run bitbridge "
                       "inspect on Windows to check it";
          } else {
            d.status = DependencyStatus::Missing;
          }
        }
        out.push_back(std::move(d));
        continue;
      }
      d.status = DependencyStatus::Found;
      d.path = *found;
      d.detail.clear();
      loaded.insert(nameKey(fileName(*found), format));
      try {
        BinaryImage dependency = readBinaryImage(*found);
        if (!dependency.soname.empty()) loaded.insert(nameKey(dependency.soname, format));
        nodes.push_back({*found, std::move(dependency), static_cast<int>(index), node.depth + 1});
      } catch (const Error& e) {
        d.status = DependencyStatus::Unreadable;
        d.detail = e.message();
      }
      out.push_back(std::move(d));
    }
  }
  return out;
}

}  // namespace bitbridge
