// The peer baselines: plain Cap'n Proto (EzRpcClient/EzRpcServer) over a connected Unix
// socket, no bitbridge: what any Cap'n Proto user gets between two processes. bitbridge's own
// overhead is the difference between these and bitbridge_uds_* / pipelined_64to32.
//
//   capnp_ezrpc_uds         server in a forked child: both sides have this binary's bitness
//   capnp_ezrpc_pipelined   the same, 128 calls in flight
//   capnp_ezrpc_uds_64to32  server in bitbridge-bench32 (--serve-ezrpc-fd): the same bitness
//                           pair as bitbridge_uds_64to32, to tell the cost of a 32-bit peer
//                           from the cost of bitbridge
//
// The listening socket is bound in the abstract namespace (no file on disk) before the server
// starts and handed to it, so the client can connect at once without waiting for it.
#include <fcntl.h>
#include <spawn.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

#include <capnp/ez-rpc.h>

#include "bench.capnp.h"
#include "harness.h"

extern char** environ;

namespace bitbridge::bench {
namespace {

class NullImpl final : public bitbridge_bench::Null::Server {
 protected:
  kj::Promise<void> ping(PingContext) override { return kj::READY_NOW; }
};

// Binds and listens on the abstract Unix address `name`; returns the socket (close-on-exec).
int listenAbstract(const std::string& name) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (name.size() + 1 > sizeof(address.sun_path)) throw std::runtime_error("socket name too long");
  std::memcpy(address.sun_path + 1, name.data(), name.size());  // sun_path[0] = 0: abstract
  auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), length) != 0 || ::listen(fd, 4) != 0) {
    int error = errno;
    ::close(fd);
    throw std::runtime_error("bind/listen @" + name + ": " + std::strerror(error));
  }
  return fd;
}

// Starts `bitbridge-bench32|64 --serve-ezrpc-fd 3` with `listener` as its descriptor 3.
int spawnSiblingServer(const Settings& settings, Arch arch, int listener) {
  std::string exe = siblingExecutable(settings, arch);
  if (::access(exe.c_str(), X_OK) != 0) {
    throw std::runtime_error(exe + " is missing: build the " + std::string(archName(arch)) +
                             " platform too");
  }
  std::string flag = "--serve-ezrpc-fd", fd = "3";
  char* argv[] = {exe.data(), flag.data(), fd.data(), nullptr};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, listener, 3);  // dup2 clears close-on-exec
  pid_t pid = -1;
  std::fflush(nullptr);
  int rc = ::posix_spawn(&pid, exe.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("posix_spawn " + exe + ": " + std::strerror(rc));
  return pid;
}

enum class Server { ForkedChild, Sibling32 };

// Serves Null from a server process and runs `measure(client, null, serverPid)` against it.
template <typename Measure>
CaseResult withEzRpcServer(const Settings& settings, const char* caseName, Server kind,
                           Measure&& measure) {
  static std::atomic<unsigned> serial{0};
  std::string name = "bitbridge-bench-" + std::to_string(::getpid()) + "-" + std::to_string(serial++);
  int listener = listenAbstract(name);
  struct Child {
    int pid = -1;
    ~Child() { killChild(pid); }
  } child;
  try {
    if (kind == Server::ForkedChild) {
      child.pid = forkChild([listener] { serveEzRpc(listener); });
    } else {
      child.pid = spawnSiblingServer(settings, Arch::x86, listener);
    }
  } catch (...) {
    ::close(listener);
    throw;
  }
  ::close(listener);

  try {
    capnp::EzRpcClient client("unix-abstract:" + name);
    auto null = client.getMain<bitbridge_bench::Null>();
    return measure(client, null, child.pid);
  } catch (const kj::Exception& e) {
    throw std::runtime_error(std::string(caseName) + ": " + e.getDescription().cStr());
  }
}

CaseResult ezRpcLatency(const Settings& settings, const char* caseName, Server kind) {
  return withEzRpcServer(settings, caseName, kind, [&](capnp::EzRpcClient& client,
                                                       bitbridge_bench::Null::Client& null,
                                                       int server) {
    auto& waitScope = client.getWaitScope();
    auto call = [&] { null.pingRequest().send().wait(waitScope); };
    uint64_t calls = settings.count(100000, 2000);
    for (uint64_t i = 0, n = Settings::warmup(calls); i < n; ++i) call();
    CpuPerCall cpu(server);
    CaseResult result = measureCalls(0, calls, call);
    cpu.addTo(result, calls);
    return result;
  });
}

}  // namespace

[[noreturn]] void serveEzRpc(int listener) {
  // A server started by a driver dies with it; one forked by forkChild already does.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  capnp::EzRpcServer server(kj::heap<NullImpl>(), listener, 0);  // takes the socket over
  kj::NEVER_DONE.wait(server.getWaitScope());
}

CaseResult capnpEzRpcUds(const Settings& settings) {
  return ezRpcLatency(settings, "capnp_ezrpc_uds", Server::ForkedChild);
}

CaseResult capnpEzRpcUds64to32(const Settings& settings) {
  return ezRpcLatency(settings, "capnp_ezrpc_uds_64to32", Server::Sibling32);
}

CaseResult capnpEzRpcPipelined(const Settings& settings) {
  return withEzRpcServer(settings, "capnp_ezrpc_pipelined", Server::ForkedChild,
                         [&](capnp::EzRpcClient& client, bitbridge_bench::Null::Client& null,
                             int server) {
    return measurePipelined(settings, server, [&] {
      auto promises = kj::heapArrayBuilder<kj::Promise<void>>(kPipelineDepth);
      for (unsigned i = 0; i < kPipelineDepth; ++i) {
        promises.add(null.pingRequest().send().ignoreResult());
      }
      kj::joinPromises(promises.finish()).wait(client.getWaitScope());
    });
  });
}

}  // namespace bitbridge::bench
