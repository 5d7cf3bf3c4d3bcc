// POSIX runtime directory: mkdir 0700, then lstat and refuse anything not private to us.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "bitbridge/error.h"
#include "common/platform/runtime_dir-posix.h"
#include "common/platform/system_error_text.h"

namespace bitbridge {
namespace {

std::string octal(unsigned mode) {
  char text[8];
  std::snprintf(text, sizeof(text), "%04o", mode & 07777u);
  return text;
}

}  // namespace

std::string runtimeDirectoryPath() {
  const char* xdg = std::getenv("XDG_RUNTIME_DIR");
  if (xdg != nullptr && *xdg != '\0') {
    std::string base = xdg;
    while (base.size() > 1 && base.back() == '/') base.pop_back();
    return base + "/bitbridge";
  }
  return "/tmp/bitbridge-" + std::to_string(::geteuid());
}

std::optional<std::string> runtimeDirectoryProblem(const struct stat& status, uint32_t ownerUid) {
  if (S_ISLNK(status.st_mode)) return std::string("is a symbolic link, not a directory");
  if (!S_ISDIR(status.st_mode)) return std::string("is not a directory");
  if (static_cast<uint32_t>(status.st_uid) != ownerUid) {
    return "is owned by uid " + std::to_string(status.st_uid) + ", not by this user (uid " +
           std::to_string(ownerUid) + ")";
  }
  if ((status.st_mode & 077) != 0) {
    return "has mode " + octal(status.st_mode) +
           ": group or others have access (it must be 0700)";
  }
  return std::nullopt;
}

std::string ensureRuntimeDirectory() {
  std::string path = runtimeDirectoryPath();
  // 0700 from the start (umask can only remove bits); an existing entry is checked below.
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
    int error = errno;
    throw Error(ErrorKind::BadConfiguration,
                "cannot create the bitbridge runtime directory " + path + ": " +
                    errnoText(error),
                error == ENOENT ? "XDG_RUNTIME_DIR names a directory that does not exist; fix "
                                  "or unset it"
                                : "make its parent writable for this user, or point "
                                  "XDG_RUNTIME_DIR at a private directory");
  }
  struct stat status {};
  if (::lstat(path.c_str(), &status) != 0) {
    throw Error(ErrorKind::BadConfiguration,
                "cannot inspect the bitbridge runtime directory " + path + ": " +
                    errnoText(errno));
  }
  if (auto problem = runtimeDirectoryProblem(status, static_cast<uint32_t>(::geteuid()))) {
    throw Error(ErrorKind::BadConfiguration,
                "refusing the bitbridge runtime directory " + path + ": it " + *problem,
                "shared hosts need a directory only you can reach: if it is yours, chmod 0700 " +
                    path + " or remove it (it is recreated with mode 0700); if it is not, "
                    "set XDG_RUNTIME_DIR to a private directory");
  }
  return path;
}

}  // namespace bitbridge
