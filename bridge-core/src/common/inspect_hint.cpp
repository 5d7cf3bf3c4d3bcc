#include "common/inspect_hint.h"

#include <filesystem>

#include "bitbridge/arch.h"
#include "common/platform/install_layout.h"

namespace bitbridge {
namespace {

namespace fs = std::filesystem;

bool endsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Quoted so that the hint can be pasted into a shell as is: POSIX single quotes, or Windows
// double quotes (file names cannot contain '"' there).
std::string quoteArgument(const std::string& arg, bool windows) {
  bool plain = !arg.empty();
  for (char c : arg) {
    bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                std::string("_./+:=@%,-").find(c) != std::string::npos || (windows && c == '\\');
    plain = plain && safe;
  }
  if (plain) return arg;
  if (windows) return "\"" + arg + "\"";
  std::string out = "'";
  for (char c : arg) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

std::string inspectCommand(const std::string& file) {
  // The platform's executable suffix, from the host naming (".exe" on Windows).
  const bool windows = endsWith(hostExecutableName(currentArch()), ".exe");
  const char* names[] = {"bitbridge", "bitbridge32"};
  std::string tool = "bitbridge";
  const std::string core = bridgeCoreDirectory();
  // Same places as the hosts (host_locator): <prefix>/lib/<multiarch>/ -> <prefix>/bin,
  // <prefix>/lib -> <prefix>/bin, and next to bitbridge-core (Windows bin\<arch>\).
  for (const char* dir : {"/../../bin", "/../bin", ""}) {
    bool found = false;
    for (const char* name : names) {
      std::error_code ec;
      fs::path candidate = fs::path(core + dir) / (std::string(name) + (windows ? ".exe" : ""));
      if (fs::is_regular_file(candidate, ec)) {
        fs::path canonical = fs::weakly_canonical(candidate, ec);
        tool = quoteArgument((ec ? candidate : canonical).string(), windows);
        found = true;
        break;
      }
    }
    if (found) break;
  }
  return tool + " inspect " + quoteArgument(file, windows);
}

}  // namespace bitbridge
