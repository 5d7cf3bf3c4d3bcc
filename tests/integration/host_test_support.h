// Helpers for tests that spawn real hosts: observing processes from outside (does a pid still
// exist, which architecture is it, which children do we have).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "bitbridge/arch.h"
#include "bitbridge/host.h"
#include "support/host_case.h"

namespace bitbridge::test {

/// True if `pid` exists as a process that is not a zombie.
bool processAlive(int pid);
/// Architecture of a running process, read from the ELF header of /proc/<pid>/exe.
std::optional<Arch> processArch(int pid);
/// Pids whose parent is this process (any state, zombies included).
std::vector<int> childPids();
/// How many descriptors this process has open (read from /proc/self/fd; the directory's own
/// descriptor is included, the same every time), for leak checks.
int openDescriptorCount();

/// Waits up to `timeout` for `pid` to be gone (exited; a zombie counts as gone).
bool waitUntilGone(int pid, std::chrono::milliseconds timeout);

/// Live processes whose command line contains `--shared <name>` (shared hosts of that name).
std::vector<int> sharedHostPids(const std::string& name);

/// Whether `path` exists (lstat: a dangling symlink counts).
bool fileExists(const std::string& path);
/// The whole of a regular file ("" if it cannot be read).
std::string readFile(const std::string& path);

/// The whole of a /proc file, or what could be read of it: a process that exits while it is
/// read makes read() fail with ESRCH, which std::ifstream reports by throwing.
std::string readProcFile(const std::string& path);

/// A private XDG_RUNTIME_DIR (mkdtemp, mode 0700) for one test, so that its shared hosts can
/// meet no other test's; the previous value is restored and the tree removed on destruction.
class PrivateRuntimeDir {
 public:
  PrivateRuntimeDir();
  ~PrivateRuntimeDir();
  PrivateRuntimeDir(const PrivateRuntimeDir&) = delete;
  PrivateRuntimeDir& operator=(const PrivateRuntimeDir&) = delete;
  /// The XDG_RUNTIME_DIR itself.
  const std::string& path() const { return path_; }
  /// Where bitbridge keeps its endpoints in it.
  std::string bitbridgeDir() const { return path_ + "/bitbridge"; }

 private:
  std::string path_;
  std::optional<std::string> previous_;
};

/// A private directory that holds a stand-in host executable (tests/components/fake_host.cpp)
/// under the real host's name for `arch`; removed on destruction.
class FakeHostDirectory {
 public:
  FakeHostDirectory(Arch arch, const std::string& mode);
  ~FakeHostDirectory();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::string file_;
};

}  // namespace bitbridge::test
