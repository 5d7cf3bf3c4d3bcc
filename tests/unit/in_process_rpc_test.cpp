// The host service and handshake over a real socketpair, with the host side on a thread of
// this process (no child process): fast, and it isolates protocol logic from process logic.
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <capnp/rpc-twoparty.h>
#include <gtest/gtest.h>
#include <kj/async-io.h>

#include "bitbridge/host.capnp.h"
#include "common/logging.h"
#include "common/transport/channel.h"
#include "common/transport/handshake.h"
#include "host/host_service.h"
#include "probe.capnp.h"
#include "support/socket_pair.h"
#include "support/test_support.h"

namespace bitbridge {
namespace {

using test::expectError;
using test::testComponent;

using test::SocketPair;

// Runs bitbridge::runHost on its own thread and event loop, on one end of a socketpair.
class HostThread {
 public:
  explicit HostThread(int fd, kj::Duration helloTimeout = 5 * kj::SECONDS)
      : thread_([this, fd, helloTimeout] {
          auto io = kj::setupAsyncIo();
          auto stream = openHostChannel("fd:" + std::to_string(fd), io);
          exitCode_ = runHost(io, kj::mv(stream), makeHostLogger(), helloTimeout);
        }) {}
  int join() {
    thread_.join();
    return exitCode_;
  }
  ~HostThread() {
    if (thread_.joinable()) thread_.join();
  }

 private:
  int exitCode_ = -1;
  std::thread thread_;
};

// Client end of an in-process host. Kept out of the gtest fixture because KJ/Cap'n Proto
// objects have noexcept(false) destructors and a fixture's destructor must be noexcept.
struct InProcessClient {
  InProcessClient()
      : io(kj::setupAsyncIo()),
        host(pair.take(1)),
        stream(io.lowLevelProvider->wrapSocketFd(pair.take(0),
                                                 kj::LowLevelAsyncIoProvider::TAKE_OWNERSHIP)) {
    WireHello hello = exchangeHello(*stream, io.provider->getTimer(), HelloRole::Client,
                                    "in-process host", 5 * kj::SECONDS)
                          .wait(io.waitScope);
    EXPECT_EQ(hello.pid, static_cast<uint32_t>(::getpid()));
    client = kj::heap<capnp::TwoPartyClient>(*stream);
    hostCap = client->bootstrap().castAs<proto::Host>();
  }
  ~InProcessClient() noexcept(false) {
    hostCap = nullptr;
    client = nullptr;
    stream = nullptr;  // EOF ends the host thread
  }

  SocketPair pair;
  kj::AsyncIoContext io;
  HostThread host;
  kj::Own<kj::AsyncIoStream> stream;
  kj::Own<capnp::TwoPartyClient> client;
  proto::Host::Client hostCap = nullptr;
};

class InProcessHost : public ::testing::Test {
 protected:
  template <typename Promise>
  auto wait(Promise&& promise) {
    try {
      return promise.wait(state_->io.waitScope);
    } catch (const kj::Exception& e) {
      throw fromKjException(e);
    }
  }

  probe::Probe::Client activateProbe() {
    auto load = hostCap_.loadRequest();
    load.setPath(testComponent("probe_component"));
    wait(load.send());
    auto activate = hostCap_.activateRequest();
    activate.setClassName("probe");
    return wait(activate.send()).getObject().castAs<probe::Probe>();
  }

  std::unique_ptr<InProcessClient> state_ = std::make_unique<InProcessClient>();
  proto::Host::Client& hostCap_ = state_->hostCap;
  kj::AsyncIoContext& io_ = state_->io;
  HostThread& host_ = state_->host;
};

TEST_F(InProcessHost, InfoDescribesTheHost) {
  auto response = wait(hostCap_.infoRequest().send());
  auto info = response.getInfo();
  EXPECT_EQ(info.getPid(), static_cast<uint32_t>(::getpid()));
  EXPECT_EQ(info.getPointerBits(), sizeof(void*) * 8);
  EXPECT_EQ(info.getArch(), static_cast<uint8_t>(currentArch()));
  EXPECT_EQ(info.getProtocolVersion(), proto::PROTOCOL_VERSION);
  EXPECT_EQ(info.getComponents().size(), 0u);
}

TEST_F(InProcessHost, LoadActivateAndCall) {
  auto probe = activateProbe();
  auto request = probe.echoRequest();
  kj::byte payload[] = {0, 1, 2, 250, 255};
  request.setData(kj::arrayPtr(payload, sizeof(payload)));
  auto response = wait(request.send());
  auto echoed = response.getData();
  ASSERT_EQ(echoed.size(), sizeof(payload));
  EXPECT_EQ(memcmp(echoed.begin(), payload, sizeof(payload)), 0);

  auto infoResponse = wait(hostCap_.infoRequest().send());
  auto info = infoResponse.getInfo();
  ASSERT_EQ(info.getComponents().size(), 1u);
  EXPECT_EQ(info.getComponents()[0].getClasses().size(), 2u);
}

TEST_F(InProcessHost, ErrorsKeepTheirKindAcrossRpcAndTheHostKeepsServing) {
  auto activate = hostCap_.activateRequest();
  activate.setClassName("nope");
  Error notFound = expectError(ErrorKind::NotFound, [&] { wait(activate.send()); });
  EXPECT_CONTAINS(notFound.message(), "no class 'nope'");
  EXPECT_FALSE(notFound.hint().empty());

  auto badLoad = hostCap_.loadRequest();
  badLoad.setPath(testComponent("not_a_component"));
  expectError(ErrorKind::BadConfiguration, [&] { wait(badLoad.send()); });

  auto wrongBits = hostCap_.loadRequest();
  wrongBits.setPath(testComponent("probe_component", test::otherArch()));
  expectError(ErrorKind::WrongBitness, [&] { wait(wrongBits.send()); });

  auto probe = activateProbe();
  auto fail = probe.failRequest();
  fail.setMessage("the legacy library said no");
  Error remote = expectError(ErrorKind::Remote, [&] { wait(fail.send()); });
  EXPECT_CONTAINS(remote.message(), "the legacy library said no");

  EXPECT_EQ(wait(probe.whoamiRequest().send()).getPid(), static_cast<uint32_t>(::getpid()));
}

TEST_F(InProcessHost, ShutdownIsAnsweredThenEndsTheHostCleanly) {
  // The answer must arrive: the host waits for it to be written before it exits.
  EXPECT_NO_THROW(hostCap_.shutdownRequest().send().wait(io_.waitScope));
  // Close our end, as Host::shutdown does once it has the answer.
  state_->hostCap = nullptr;
  state_->client = nullptr;
  state_->stream = nullptr;
  EXPECT_EQ(host_.join(), 0);
}

TEST(HostHandshake, HostRejectsAPeerThatIsNotBitbridge) {
  SocketPair pair;
  HostThread host(pair.take(1));
  const char junk[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(::write(pair.fds[0], junk, sizeof(junk) - 1), static_cast<ssize_t>(sizeof(junk) - 1));
  EXPECT_EQ(host.join(), 2);
}

TEST(HostHandshake, HostGivesUpOnASilentPeer) {
  SocketPair pair;
  auto start = std::chrono::steady_clock::now();
  HostThread host(pair.take(1), 200 * kj::MILLISECONDS);
  EXPECT_EQ(host.join(), 2);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

// Greets an in-process host as a client would, over the raw socket; returns once the host's
// hello has been read.
void greetAsClient(int fd) {
  WireHello hello = makeHello(HelloRole::Client);
  ASSERT_EQ(::write(fd, &hello, sizeof(hello)), static_cast<ssize_t>(sizeof(hello)));
  WireHello answer{};
  ASSERT_EQ(::read(fd, &answer, sizeof(answer)), static_cast<ssize_t>(sizeof(answer)));
}

TEST(HostConnection, MalformedFrameDropsTheClientAsAnError) {
  SocketPair pair;
  HostThread host(pair.take(1));
  greetAsClient(pair.fds[0]);
  // A Cap'n Proto frame header announcing 1000 segments: over the limit, rejected at once.
  const uint32_t frame[2] = {999, 1};
  ASSERT_EQ(::write(pair.fds[0], frame, sizeof(frame)), static_cast<ssize_t>(sizeof(frame)));
  // Our end stays open: the host must end the connection itself, and say why (exit code 4).
  EXPECT_EQ(host.join(), 4);
}

TEST(HostConnection, PrivateHostRefusesAnOversizedFrameFromItsHeader) {
  // The same bound as a shared host's (HostOptions::maxMessageBytes, 64 MiB by default): a
  // header announcing 512 MiB is refused at once, before anything is buffered; the old
  // reader reserved the whole size and then waited for the bytes.
  SocketPair pair;
  HostThread host(pair.take(1));
  greetAsClient(pair.fds[0]);
  const uint32_t frame[2] = {0, (512u << 20) / 8};
  auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(::write(pair.fds[0], frame, sizeof(frame)), static_cast<ssize_t>(sizeof(frame)));
  EXPECT_EQ(host.join(), 4);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST(HostConnection, ClientLeavingIsAnOrdinaryDisconnect) {
  SocketPair pair;
  HostThread host(pair.take(1));
  greetAsClient(pair.fds[0]);
  pair.close(0);
  EXPECT_EQ(host.join(), 0);
}

class ClientHandshake : public ::testing::Test {
 protected:
  Error handshakeError(ErrorKind kind, kj::Duration timeout = 2 * kj::SECONDS) {
    auto& io = *io_;
    auto stream = io.lowLevelProvider->wrapSocketFd(pair.take(0),
                                                    kj::LowLevelAsyncIoProvider::TAKE_OWNERSHIP);
    return expectError(kind, [&] {
      try {
        exchangeHello(*stream, io.provider->getTimer(), HelloRole::Client, "peer", timeout)
            .wait(io.waitScope);
      } catch (const kj::Exception& e) {
        throw fromKjException(e);
      }
    });
  }
  std::unique_ptr<kj::AsyncIoContext> io_ = std::make_unique<kj::AsyncIoContext>(kj::setupAsyncIo());
  SocketPair pair;
};

TEST_F(ClientHandshake, GarbageIsAMalformedPeer) {
  const char junk[] = "SSH-2.0-OpenSSH_9.2p1 Debian\r\n";
  ASSERT_GT(::write(pair.fds[1], junk, sizeof(junk) - 1), 0);
  handshakeError(ErrorKind::MalformedPeer);
}

TEST_F(ClientHandshake, SilenceTimesOut) {
  auto start = std::chrono::steady_clock::now();
  Error e = handshakeError(ErrorKind::TimedOut, 150 * kj::MILLISECONDS);
  EXPECT_CONTAINS(e.message(), "150 ms");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST_F(ClientHandshake, EarlyCloseIsADisconnection) {
  const char partial[] = "BitB";
  ASSERT_EQ(::write(pair.fds[1], partial, 4), 4);
  ::close(pair.take(1));
  Error e = handshakeError(ErrorKind::Disconnected);
  EXPECT_CONTAINS(e.message(), "after 4 of 24 bytes");
}

}  // namespace
}  // namespace bitbridge
