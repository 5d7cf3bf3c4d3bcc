// The pieces of a shared host's endpoint that need no host: the runtime directory's checks
// (fed made-up stats), peer refusal (fed made-up credentials), names and paths, the start
// lock, and binding over a dead host's socket.
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include "common/platform/runtime_dir-posix.h"
#include "common/transport/shared_endpoint.h"
#include "support/test_support.h"

namespace bitbridge {
namespace {

using test::expectError;

struct stat fakeStat(mode_t mode, uid_t owner) {
  struct stat status {};
  status.st_mode = mode;
  status.st_uid = owner;
  return status;
}

constexpr uint32_t kMe = 1000;

TEST(RuntimeDirectoryProblem, APrivateDirectoryOfOursIsFit) {
  EXPECT_FALSE(runtimeDirectoryProblem(fakeStat(S_IFDIR | 0700, kMe), kMe));
  EXPECT_FALSE(runtimeDirectoryProblem(fakeStat(S_IFDIR | 0500, kMe), kMe));
}

TEST(RuntimeDirectoryProblem, GroupOrOtherAccessIsRefusedWithTheMode) {
  for (mode_t mode : {0755, 0750, 0701, 0710, 0777, 01777}) {
    auto problem = runtimeDirectoryProblem(fakeStat(S_IFDIR | mode, kMe), kMe);
    ASSERT_TRUE(problem) << std::oct << mode;
    EXPECT_CONTAINS(*problem, "must be 0700");
  }
  EXPECT_CONTAINS(*runtimeDirectoryProblem(fakeStat(S_IFDIR | 0755, kMe), kMe), "0755");
}

TEST(RuntimeDirectoryProblem, AnotherOwnerIsRefusedByUid) {
  auto problem = runtimeDirectoryProblem(fakeStat(S_IFDIR | 0700, 4242), kMe);
  ASSERT_TRUE(problem);
  EXPECT_CONTAINS(*problem, "uid 4242");
  EXPECT_CONTAINS(*problem, "uid 1000");
}

TEST(RuntimeDirectoryProblem, SymlinksAndFilesAreRefused) {
  auto link = runtimeDirectoryProblem(fakeStat(S_IFLNK | 0777, kMe), kMe);
  ASSERT_TRUE(link);
  EXPECT_CONTAINS(*link, "symbolic link");
  auto file = runtimeDirectoryProblem(fakeStat(S_IFREG | 0600, kMe), kMe);
  ASSERT_TRUE(file);
  EXPECT_CONTAINS(*file, "not a directory");
}

TEST(RefusalReason, TheSameUserIsServed) {
  EXPECT_FALSE(refusalReason(PeerCredential{1234, kMe, 100}, kMe));
}

TEST(RefusalReason, AForeignUidIsRefusedNamingPidAndBothUids) {
  auto reason = refusalReason(PeerCredential{1234, 4242, 4242}, kMe);
  ASSERT_TRUE(reason);
  EXPECT_CONTAINS(*reason, "pid 1234");
  EXPECT_CONTAINS(*reason, "uid 4242");
  EXPECT_CONTAINS(*reason, "uid 1000");
  // root is not special: a shared host serves its own user only.
  EXPECT_TRUE(refusalReason(PeerCredential{1, 0, 0}, kMe));
}

TEST(SharedName, LettersDigitsDotUnderscoreDashUpTo64) {
  for (const char* name : {"a", "counter", "Vendor.SDK_2-x", "0"}) {
    EXPECT_FALSE(sharedNameProblem(name)) << name;
  }
  EXPECT_FALSE(sharedNameProblem(std::string(64, 'n')));
}

TEST(SharedName, BadNamesSayWhy) {
  EXPECT_CONTAINS(*sharedNameProblem(""), "empty");
  EXPECT_CONTAINS(*sharedNameProblem(std::string(65, 'n')), "65 characters");
  EXPECT_CONTAINS(*sharedNameProblem("a/b"), "'/'");
  EXPECT_CONTAINS(*sharedNameProblem("a b"), "' '");
  EXPECT_TRUE(sharedNameProblem("caf\xc3\xa9"));
  Error e = expectError(ErrorKind::BadConfiguration, [] { requireValidSharedName("../x"); });
  EXPECT_CONTAINS(e.message(), "'../x'");
  EXPECT_CONTAINS(e.hint(), "letters, digits");
}

TEST(SharedEndpointPaths, OneEndpointPerArchitecture) {
  EXPECT_EQ(sharedEndpointName("counter", Arch::x86), "counter-x86");
  EXPECT_EQ(sharedEndpointName("counter", Arch::x86_64), "counter-x86_64");
  auto paths = sharedEndpointPaths("/run/user/1000/bitbridge", "counter-x86");
  EXPECT_EQ(paths.socket, "/run/user/1000/bitbridge/counter-x86.sock");
  EXPECT_EQ(paths.lock, "/run/user/1000/bitbridge/counter-x86.lock");
  EXPECT_EQ(paths.log, "/run/user/1000/bitbridge/counter-x86.log");
}

TEST(SharedEndpointPaths, ASocketPathBeyondSunPathIsRefused) {
  std::string directory = "/" + std::string(90, 'd');
  Error e = expectError(ErrorKind::BadConfiguration,
                        [&] { sharedEndpointPaths(directory, std::string(20, 'n') + "-x86"); });
  EXPECT_CONTAINS(e.message(), "AF_UNIX");
  EXPECT_CONTAINS(e.hint(), "shorter");
}

// A private temporary directory for files of one test.
class TempDirectory {
 public:
  TempDirectory() {
    char path[] = "/tmp/bitbridge-endpoint-test-XXXXXX";
    EXPECT_NE(::mkdtemp(path), nullptr);
    path_ = path;
  }
  ~TempDirectory() {
    for (const char* leaf : {"/x.sock", "/x.lock", "/file", "/bitbridge"}) {
      std::string entry = path_ + leaf;
      if (::unlink(entry.c_str()) != 0) ::rmdir(entry.c_str());
    }
    ::rmdir(path_.c_str());
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(StartLock, ExcludesOthersUntilReleasedAndTimesOutNamingTheFile) {
  TempDirectory dir;
  std::string lockPath = dir.path() + "/x.lock";
  {
    StartLock held = StartLock::acquire(lockPath, std::chrono::milliseconds(1000));
    // Another holder (its own open file description, as another process or thread has).
    EXPECT_FALSE(StartLock::tryAcquire(lockPath));
    auto start = std::chrono::steady_clock::now();
    Error e = expectError(ErrorKind::TimedOut, [&] {
      StartLock::acquire(lockPath, std::chrono::milliseconds(150));
    });
    EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(140));
    EXPECT_CONTAINS(e.message(), lockPath);
  }
  EXPECT_TRUE(StartLock::tryAcquire(lockPath));
  struct stat status {};
  ASSERT_EQ(::stat(lockPath.c_str(), &status), 0);
  EXPECT_EQ(status.st_mode & 0777, 0600u);
}

TEST(SharedSocket, NoHostIsNothingAndADeadHostsSocketIsReplaced) {
  TempDirectory dir;
  std::string path = dir.path() + "/x.sock";
  EXPECT_FALSE(connectSharedSocket(path));  // no file
  {
    // A host that died: its socket file stays, and connecting to it is refused.
    kj::AutoCloseFd dead = bindSharedSocket(path);
    listenSharedSocket(dead.get(), path);
  }
  EXPECT_FALSE(connectSharedSocket(path));
  kj::AutoCloseFd fresh = bindSharedSocket(path);
  listenSharedSocket(fresh.get(), path);
  struct stat status {};
  ASSERT_EQ(::lstat(path.c_str(), &status), 0);
  EXPECT_TRUE(S_ISSOCK(status.st_mode));
  EXPECT_EQ(status.st_mode & 0777, 0600u);
  auto client = connectSharedSocket(path);
  ASSERT_TRUE(client);
  PeerCredential peer = peerCredential(client->get());
  EXPECT_EQ(peer.pid, static_cast<uint32_t>(::getpid()));  // the process that called listen()
  EXPECT_EQ(peer.uid, currentUserId());
  EXPECT_TRUE(connectionPending(fresh.get()));
}

TEST(SharedSocket, ALiveHostOrAForeignFileIsNeverRemoved) {
  TempDirectory dir;
  std::string path = dir.path() + "/x.sock";
  kj::AutoCloseFd live = bindSharedSocket(path);
  listenSharedSocket(live.get(), path);
  EXPECT_FALSE(connectionPending(live.get()));
  Error e = expectError(ErrorKind::BadConfiguration, [&] { bindSharedSocket(path); });
  EXPECT_CONTAINS(e.message(), "already listens");
  EXPECT_TRUE(connectSharedSocket(path));  // still there

  std::string file = dir.path() + "/file";
  ::close(::open(file.c_str(), O_CREAT | O_WRONLY, 0600));
  Error notSocket = expectError(ErrorKind::BadConfiguration, [&] { bindSharedSocket(file); });
  EXPECT_CONTAINS(notSocket.message(), "is not a socket");
}

// XDG_RUNTIME_DIR set to `value` for one test.
class ScopedRuntimeDirEnv {
 public:
  explicit ScopedRuntimeDirEnv(const std::string& value) {
    if (const char* old = std::getenv("XDG_RUNTIME_DIR")) old_ = old;
    ::setenv("XDG_RUNTIME_DIR", value.c_str(), 1);
  }
  ~ScopedRuntimeDirEnv() {
    if (old_.empty()) {
      ::unsetenv("XDG_RUNTIME_DIR");
    } else {
      ::setenv("XDG_RUNTIME_DIR", old_.c_str(), 1);
    }
  }

 private:
  std::string old_;
};

TEST(RuntimeDirectory, CreatedPrivateUnderXdgRuntimeDir) {
  TempDirectory dir;
  ScopedRuntimeDirEnv env(dir.path() + "/");
  EXPECT_EQ(ensureRuntimeDirectory(), dir.path() + "/bitbridge");
  struct stat status {};
  ASSERT_EQ(::lstat((dir.path() + "/bitbridge").c_str(), &status), 0);
  EXPECT_TRUE(S_ISDIR(status.st_mode));
  EXPECT_EQ(status.st_mode & 0777, 0700u);
  EXPECT_EQ(ensureRuntimeDirectory(), dir.path() + "/bitbridge");  // again: fine
}

TEST(RuntimeDirectory, WithoutXdgRuntimeDirItIsPerUserUnderTmp) {
  ScopedRuntimeDirEnv env("");
  EXPECT_EQ(runtimeDirectoryPath(), "/tmp/bitbridge-" + std::to_string(::geteuid()));
}

TEST(RuntimeDirectory, AnOpenDirectoryIsRefusedNotRepaired) {
  TempDirectory dir;
  ScopedRuntimeDirEnv env(dir.path());
  std::string path = dir.path() + "/bitbridge";
  ASSERT_EQ(::mkdir(path.c_str(), 0700), 0);
  ASSERT_EQ(::chmod(path.c_str(), 0755), 0);
  Error e = expectError(ErrorKind::BadConfiguration, [] { ensureRuntimeDirectory(); });
  EXPECT_CONTAINS(e.message(), path);
  EXPECT_CONTAINS(e.message(), "0755");
  EXPECT_CONTAINS(e.hint(), "chmod 0700");
  struct stat status {};
  ASSERT_EQ(::lstat(path.c_str(), &status), 0);
  EXPECT_EQ(status.st_mode & 0777, 0755u);
}

}  // namespace
}  // namespace bitbridge
