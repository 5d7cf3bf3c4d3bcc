// Helpers for tests that spawn real hosts: observing processes from outside (does a pid still
// exist, which architecture is it, which children do we have).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "bitbridge/arch.h"

namespace bitbridge::test {

/// True if `pid` exists as a process that is not a zombie.
bool processAlive(int pid);
/// Architecture of a running process, read from the ELF header of /proc/<pid>/exe.
std::optional<Arch> processArch(int pid);
/// Pids whose parent is this process (any state, zombies included).
std::vector<int> childPids();

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
