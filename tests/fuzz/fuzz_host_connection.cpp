// Fuzz target: a host's handling of one client connection, i.e. everything a client process
// can make the host parse: the hello, Cap'n Proto framing, RPC messages and HostService calls.
//
// The input is the byte stream a client sends. It is written into one end of a socketpair;
// the real runHost() serves the other end on this thread, exactly as bitbridge-host32/64 do,
// until it returns. Then the client end is closed.
//  - Unless the input starts with "BitB", a valid client hello is sent first, so most inputs
//    reach Cap'n Proto. An input that starts with "BitB" carries its own (possibly bad) hello.
//  - After the input the client shuts down its write side: the host sees EOF and must return.
//    The hello timeout is short (a backstop: EOF always comes first).
//  - The host's replies are read and discarded as they come, so a host that answers a lot
//    never blocks on a full socket.
//
// A bug is: a crash, ASan/UBSan report, a hang (libFuzzer -timeout), an exception escaping
// runHost (in a host process that is a crash with exit code 1, and with shared hosts it would
// end every client's connection), an exit code other than 0 (served), 2 (bad handshake) or 4 (dropped a malformed client), or
// a descriptor left open after the connection ended.
//
// KJ allows one event loop per thread, so the async-io context is created once, on first use,
// and reused; nothing else survives a run. Logging is off unless $BITBRIDGE_LOG is set.
// With $BITBRIDGE_FUZZ_TRACE set, the host's replies are decoded and printed: a quick way to
// see how deep a seed gets (e.g. that a call reached HostService and what it answered).
#include <capnp/rpc.capnp.h>
#include <capnp/serialize.h>
#include <fcntl.h>
#include <kj/async-io.h>
#include <kj/debug.h>
#include <kj/vector.h>
#include <spdlog/logger.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "bitbridge/error.h"
#include "common/logging.h"
#include "host/host_service.h"
#include "wire/hello.h"

namespace {

// The input starts with its own hello when it begins with these bytes (the start of
// kHelloMagic): then the fuzzer can also explore bad magic, versions, roles and truncation.
constexpr char kRawPrefix[4] = {'B', 'i', 't', 'B'};
const kj::Duration kHelloTimeout = 500 * kj::MILLISECONDS;

struct Fixture {
  Fixture() : io(kj::setupAsyncIo()), logger(bitbridge::makeHostLogger()) {
    // As in bitbridge-host: a peer that vanishes mid-write is EPIPE, not a signal.
    std::signal(SIGPIPE, SIG_IGN);
    bool verbose = std::getenv("BITBRIDGE_LOG") != nullptr;
    logger->set_level(bitbridge::logLevelFromEnv(spdlog::level::off));
    // KJ logs every RPC protocol error it sees; millions of them would only slow the fuzzer.
    if (!verbose) kj::_::Debug::setLogLevel(kj::LogSeverity::FATAL);
  }
  kj::AsyncIoContext io;
  std::shared_ptr<spdlog::logger> logger;
};

Fixture& fixture() {
  static Fixture instance;
  return instance;
}

// The lowest free descriptor number: equal before and after a run unless the run leaked one.
int lowestFreeFd() {
  int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    std::perror("fuzz_host_connection: open /dev/null");
    std::abort();
  }
  ::close(fd);
  return fd;
}

// Reads everything the host sends, until EOF or error; keeps it in `kept` if not null.
kj::Promise<void> drain(kj::AsyncIoStream& stream, kj::byte* buffer, size_t size,
                        kj::Vector<kj::byte>* kept) {
  return stream.tryRead(buffer, 1, size).then([=, &stream](size_t n) -> kj::Promise<void> {
    if (n == 0) return kj::READY_NOW;
    if (kept) kept->addAll(buffer, buffer + n);
    return drain(stream, buffer, size, kept);
  });
}

// $BITBRIDGE_FUZZ_TRACE: prints the host's RPC messages (after its hello), one a line.
void trace(kj::ArrayPtr<const kj::byte> replies) {
  if (replies.size() < sizeof(bitbridge::WireHello)) {
    std::fprintf(stderr, "trace: host sent %zu bytes (no hello)\n", replies.size());
    return;
  }
  replies = replies.slice(sizeof(bitbridge::WireHello), replies.size());
  // Frames are word-aligned in the stream; copy to get aligned words.
  auto words = kj::heapArray<capnp::word>(replies.size() / sizeof(capnp::word));
  std::memcpy(words.begin(), replies.begin(), words.asBytes().size());
  kj::ArrayPtr<const capnp::word> rest = words;
  while (rest.size() > 0) {
    capnp::FlatArrayMessageReader reader(rest);
    auto message = reader.getRoot<capnp::rpc::Message>();
    switch (message.which()) {
      case capnp::rpc::Message::RETURN: {
        auto ret = message.getReturn();
        std::fprintf(
            stderr, "trace: return %u: %s\n", ret.getAnswerId(),
            ret.isException() ? ret.getException().getReason().cStr() : "(not an exception)");
        break;
      }
      case capnp::rpc::Message::ABORT:
        std::fprintf(stderr, "trace: abort: %s\n", message.getAbort().getReason().cStr());
        break;
      default:
        std::fprintf(stderr, "trace: message of type %u\n", static_cast<unsigned>(message.which()));
    }
    rest = kj::arrayPtr(reader.getEnd(), rest.end());
  }
}

// Serves one connection whose client sends `data` (see the top of the file); returns the exit
// code of runHost. `traceReplies`: print the host's answers ($BITBRIDGE_FUZZ_TRACE).
int serveOne(const uint8_t* data, size_t size, bool traceReplies) {
  Fixture& f = fixture();
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    std::perror("fuzz_host_connection: socketpair");
    std::abort();
  }
  auto& provider = *f.io.lowLevelProvider;
  auto client = provider.wrapSocketFd(fds[0], kj::LowLevelAsyncIoProvider::TAKE_OWNERSHIP);
  auto host = provider.wrapSocketFd(fds[1], kj::LowLevelAsyncIoProvider::TAKE_OWNERSHIP);

  bool raw = size >= sizeof kRawPrefix && std::memcmp(data, kRawPrefix, sizeof kRawPrefix) == 0;
  auto bytes = kj::heapArray<kj::byte>((raw ? 0 : sizeof(bitbridge::WireHello)) + size);
  if (!raw) {
    bitbridge::WireHello hello = bitbridge::makeHello(bitbridge::HelloRole::Client);
    std::memcpy(bytes.begin(), &hello, sizeof hello);
  }
  if (size != 0) std::memcpy(bytes.end() - size, data, size);

  // Both client-side promises run on the shared loop while runHost waits on it. A host that
  // stops reading early (bad hello) makes the write fail or stay pending: fine, it is
  // cancelled below.
  auto send = client->write(bytes.begin(), bytes.size())
                  .then([&client]() { client->shutdownWrite(); })
                  .eagerlyEvaluate([](kj::Exception&&) {});
  kj::Vector<kj::byte> kept;
  auto buffer = kj::heapArray<kj::byte>(4096);
  auto receive = drain(*client, buffer.begin(), buffer.size(), traceReplies ? &kept : nullptr)
                     .eagerlyEvaluate([](kj::Exception&&) {});

  int code = -1;
  try {
    code = bitbridge::runHost(f.io, kj::mv(host), f.logger, kHelloTimeout);
  } catch (const kj::Exception& e) {
    std::fprintf(stderr, "fuzz_host_connection: exception escaped runHost: %s\n",
                 bitbridge::fromKjException(e).what());
    std::abort();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz_host_connection: exception escaped runHost: %s\n", e.what());
    std::abort();
  }
  if (code != 0 && code != 2 && code != 4) {
    std::fprintf(stderr, "fuzz_host_connection: runHost returned %d\n", code);
    std::abort();
  }
  if (traceReplies) {
    // The host end is closed now: the rest of its replies are already in the socket.
    receive.wait(f.io.waitScope);
    try {
      trace(kept);
    } catch (const kj::Exception& e) {
      std::fprintf(stderr, "trace: undecodable reply: %s\n", e.getDescription().cStr());
    }
  }
  return code;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The first run creates the event loop's own descriptors; leaks are counted after it.
  // Measured around each run: libFuzzer itself opens files between runs.
  static bool warmedUp = (serveOne(nullptr, 0, false), true);
  static const bool tracing = std::getenv("BITBRIDGE_FUZZ_TRACE") != nullptr;
  (void)warmedUp;
  int before = lowestFreeFd();
  serveOne(data, size, tracing);
  int after = lowestFreeFd();
  if (after != before) {
    std::fprintf(stderr, "fuzz_host_connection: descriptor leak (lowest free fd %d, was %d)\n",
                 after, before);
    std::abort();
  }
  return 0;
}
