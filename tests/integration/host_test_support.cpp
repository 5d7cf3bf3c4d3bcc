#include "host_test_support.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "bitbridge/binary_header.h"

namespace bitbridge::test {
namespace {

// Field 3 (state) and 4 (ppid) of /proc/<pid>/stat; the command name may contain spaces, so
// parse after its closing parenthesis.
bool readStat(int pid, char& state, int& ppid) {
  std::string text = readProcFile("/proc/" + std::to_string(pid) + "/stat");
  auto close = text.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream rest(text.substr(close + 1));
  return static_cast<bool>(rest >> state >> ppid);
}

}  // namespace

bool fileExists(const std::string& path) {
  struct stat status {};
  return ::lstat(path.c_str(), &status) == 0;
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string readProcFile(const std::string& path) {
  std::string text;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return text;
  char buffer[4096];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EOF, or ESRCH once the process has gone: what was read stands
    text.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return text;
}

bool processAlive(int pid) {
  if (::kill(pid, 0) != 0 && errno == ESRCH) return false;
  char state = '?';
  int ppid = 0;
  return readStat(pid, state, ppid) && state != 'Z';
}

std::optional<Arch> processArch(int pid) {
  return inspectBinary("/proc/" + std::to_string(pid) + "/exe").arch;
}

int openDescriptorCount() {
  int count = 0;
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  while (dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  ::closedir(dir);
  return count;
}

std::vector<int> childPids() {
  std::vector<int> children;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return children;
  while (dirent* entry = ::readdir(proc)) {
    char* end = nullptr;
    long pid = std::strtol(entry->d_name, &end, 10);
    if (*end != '\0' || pid <= 0) continue;
    char state = '?';
    int ppid = 0;
    if (readStat(static_cast<int>(pid), state, ppid) && ppid == ::getpid()) {
      children.push_back(static_cast<int>(pid));
    }
  }
  ::closedir(proc);
  return children;
}

bool waitUntilGone(int pid, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (processAlive(pid)) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

std::vector<int> sharedHostPids(const std::string& name) {
  std::vector<int> pids;
  const std::string needle = std::string("--shared") + '\0' + name + '\0';
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return pids;
  while (dirent* entry = ::readdir(proc)) {
    char* end = nullptr;
    long pid = std::strtol(entry->d_name, &end, 10);
    if (*end != '\0' || pid <= 0) continue;
    std::string cmdline = readProcFile("/proc/" + std::string(entry->d_name) + "/cmdline");
    if (cmdline.find(needle) != std::string::npos && processAlive(static_cast<int>(pid))) {
      pids.push_back(static_cast<int>(pid));
    }
  }
  ::closedir(proc);
  return pids;
}

PrivateRuntimeDir::PrivateRuntimeDir() {
  char dir[] = "/tmp/bitbridge-xdg-XXXXXX";  // mkdtemp makes it 0700
  if (::mkdtemp(dir) == nullptr) std::abort();
  path_ = dir;
  if (const char* old = std::getenv("XDG_RUNTIME_DIR")) previous_ = old;
  ::setenv("XDG_RUNTIME_DIR", path_.c_str(), 1);  // inherited by the hosts we start
}

PrivateRuntimeDir::~PrivateRuntimeDir() {
  if (previous_) {
    ::setenv("XDG_RUNTIME_DIR", previous_->c_str(), 1);
  } else {
    ::unsetenv("XDG_RUNTIME_DIR");
  }
  // Depth-first removal; symlinks are removed, never followed.
  ::nftw(
      path_.c_str(),
      [](const char* file, const struct stat*, int, struct FTW*) { return ::remove(file); }, 16,
      FTW_DEPTH | FTW_PHYS);
}

FakeHostDirectory::FakeHostDirectory(Arch arch, const std::string& mode) {
  char dir[] = "/tmp/bitbridge-fake-host-XXXXXX";
  if (::mkdtemp(dir) == nullptr) std::abort();
  path_ = dir;
  file_ = path_ + "/" + hostExecutableName(arch);
  {
    std::ifstream in(FAKE_HOST, std::ios::binary);
    std::ofstream out(file_, std::ios::binary);
    out << in.rdbuf();
  }
  ::chmod(file_.c_str(), 0755);
  ::setenv("BITBRIDGE_FAKE_HOST_MODE", mode.c_str(), 1);  // inherited by the spawned host
}

FakeHostDirectory::~FakeHostDirectory() {
  ::unsetenv("BITBRIDGE_FAKE_HOST_MODE");
  ::unlink(file_.c_str());
  ::rmdir(path_.c_str());
}

}  // namespace bitbridge::test
