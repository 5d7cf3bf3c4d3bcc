// The shared-memory transport (shm_ring.h, shm_stream.h): ring arithmetic, the stream between
// two threads (each with its own KJ event loop, as two processes would have), EOF, peer death,
// untrusted segments and counters, and Cap'n Proto RPC (the real host service) running over it.
// No timing is asserted here; bench/ measures latency.
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <thread>
#include <vector>

#include <capnp/rpc-twoparty.h>
#include <gtest/gtest.h>
#include <kj/async-io.h>

#include "bitbridge/host.capnp.h"
#include "common/logging.h"
#include "common/transport/handshake.h"
#include "common/transport/shm_ring.h"
#include "common/transport/shm_stream.h"
#include "host/host_service.h"
#include "probe.capnp.h"
#include "support/socket_pair.h"
#include "support/test_support.h"

namespace bitbridge {
namespace {

using test::expectError;

// Runs a kj promise and turns a kj::Exception into a bitbridge::Error (as the client does).
template <typename Promise>
auto waitOrThrow(Promise&& promise, kj::WaitScope& waitScope) {
  try {
    return promise.wait(waitScope);
  } catch (const kj::Exception& e) {
    throw fromKjException(e);
  }
}

using test::SocketPair;

std::vector<kj::byte> pattern(size_t size, unsigned seed) {
  std::vector<kj::byte> bytes(size);
  uint32_t x = seed * 2654435761u + 1;
  for (auto& b : bytes) {
    x = x * 1664525u + 1013904223u;
    b = static_cast<kj::byte>(x >> 24);
  }
  return bytes;
}

kj::Own<kj::AsyncCapabilityStream> wrapControl(kj::AsyncIoContext& io, int fd) {
  return toControlChannel(
      io.lowLevelProvider->wrapSocketFd(fd, kj::LowLevelAsyncIoProvider::TAKE_OWNERSHIP),
      *io.lowLevelProvider);
}

// ---------------------------------------------------------------------------------------------
// The rings alone

TEST(ShmRing, BytesSurviveWrapAroundInAnyChunking) {
  ShmSegment segment = ShmSegment::create(kShmMinRingCapacity);
  ShmRingProducer producer(segment.control(0), segment.data(0), segment.ringCapacity());
  ShmRingConsumer consumer(segment.control(0), segment.data(0), segment.ringCapacity());
  auto input = pattern(5 * kShmMinRingCapacity + 123, 1);
  std::vector<kj::byte> output(input.size());
  size_t written = 0, read = 0;
  size_t sizes[] = {1, 7, 4095, 4096, 4097, 13, 1000};
  for (unsigned step = 0; read < input.size(); ++step) {
    size_t w = std::min(sizes[step % 7], input.size() - written);
    written += producer.write(input.data() + written, w);
    EXPECT_LE(producer.position() - consumer.position(), kShmMinRingCapacity);
    size_t r = std::min(sizes[(step + 3) % 7], output.size() - read);
    read += consumer.read(output.data() + read, r);
  }
  EXPECT_EQ(input, output);
  EXPECT_EQ(producer.write(input.data(), 0), 0u);
}

TEST(ShmRing, FullAndEmptyAreReportedNotOverrun) {
  ShmSegment segment = ShmSegment::create(kShmMinRingCapacity);
  ShmRingProducer producer(segment.control(1), segment.data(1), segment.ringCapacity());
  ShmRingConsumer consumer(segment.control(1), segment.data(1), segment.ringCapacity());
  auto input = pattern(kShmMinRingCapacity + 10, 2);
  EXPECT_EQ(producer.write(input.data(), input.size()), kShmMinRingCapacity);
  EXPECT_EQ(producer.space(), 0u);
  EXPECT_EQ(producer.write(input.data(), 1), 0u);
  std::vector<kj::byte> output(input.size());
  EXPECT_EQ(consumer.read(output.data(), output.size()), kShmMinRingCapacity);
  EXPECT_EQ(consumer.read(output.data(), output.size()), 0u);
  EXPECT_EQ(memcmp(output.data(), input.data(), kShmMinRingCapacity), 0);
}

TEST(ShmRing, CorruptCountersThrowMalformedPeer) {
  ShmSegment segment = ShmSegment::create(kShmMinRingCapacity);
  ShmRingControl& control = segment.control(0);
  ShmRingProducer producer(control, segment.data(0), segment.ringCapacity());
  ShmRingConsumer consumer(control, segment.data(0), segment.ringCapacity());
  kj::byte buffer[64] = {};
  auto expectMalformed = [](auto&& body) {
    expectError(ErrorKind::MalformedPeer, [&] {
      try {
        body();
      } catch (const kj::Exception& e) {
        throw fromKjException(e);
      }
    });
  };

  // The producer claims more bytes than the ring holds.
  control.head.store(kShmMinRingCapacity + 1);
  expectMalformed([&] { consumer.read(buffer, sizeof(buffer)); });
  // ...or moves its counter backwards after we saw it advance.
  control.head.store(32);
  EXPECT_EQ(consumer.read(buffer, 16), 16u);
  control.head.store(8);
  expectMalformed([&] { consumer.available(); });

  // The consumer claims to have read bytes that were never written.
  ShmSegment other = ShmSegment::create(kShmMinRingCapacity);
  ShmRingProducer writer(other.control(0), other.data(0), other.ringCapacity());
  other.control(0).tail.store(1);
  expectMalformed([&] { writer.write(buffer, 1); });
  other.control(0).tail.store(~uint64_t{0});
  expectMalformed([&] { writer.space(); });
}

// ---------------------------------------------------------------------------------------------
// Segment validation (what a host does with what a client sent)

class ShmSegmentValidation : public ::testing::Test {
 protected:
  // A fresh, valid segment, corrupted by `corrupt`, then opened as a received one would be.
  void expectRejected(const std::function<void(ShmSegmentLayout&)>& corrupt,
                      const std::string& reason) {
    ShmSegment segment = ShmSegment::create(kShmMinRingCapacity);
    corrupt(segment.layout());
    Error e = expectError(ErrorKind::MalformedPeer, [&] {
      try {
        ShmSegment::open(kj::AutoCloseFd(::dup(segment.fd())));
      } catch (const kj::Exception& e) {
        throw fromKjException(e);
      }
    });
    EXPECT_CONTAINS(e.message(), reason);
  }
};

TEST_F(ShmSegmentValidation, AValidSegmentOpensWithItsCapacity) {
  ShmSegment segment = ShmSegment::create(1u << 16);
  ShmSegment opened = ShmSegment::open(kj::AutoCloseFd(::dup(segment.fd())));
  EXPECT_EQ(opened.ringCapacity(), 1u << 16);
  EXPECT_EQ(opened.size(), shmSegmentBytes(1u << 16));
  // Both mappings are the same memory.
  segment.data(1)[5] = 42;
  EXPECT_EQ(opened.data(1)[5], 42);
}

TEST_F(ShmSegmentValidation, CorruptHeadersAreRejected) {
  expectRejected([](ShmSegmentLayout& l) { l.header.magic[0] = 'X'; }, "bad magic");
  expectRejected([](ShmSegmentLayout& l) { l.header.version = 99; }, "version 99");
  expectRejected([](ShmSegmentLayout& l) { l.header.ringCapacity = 4097; }, "ring capacity");
  expectRejected([](ShmSegmentLayout& l) { l.header.ringCapacity = 0; }, "ring capacity");
  expectRejected([](ShmSegmentLayout& l) { l.header.ringCapacity = 1u << 13; },
                 "size does not match");
  expectRejected([](ShmSegmentLayout& l) { l.header.segmentBytes = 1ull << 40; },
                 "size does not match");
  expectRejected([](ShmSegmentLayout& l) { l.header.dataOffset = 64; }, "unexpected layout");
  expectRejected([](ShmSegmentLayout& l) { l.header.ringCount = 3; }, "unexpected layout");
  expectRejected([](ShmSegmentLayout& l) { l.rings[1].head.store(5); }, "used before");
  expectRejected([](ShmSegmentLayout& l) { l.rings[0].readerClosed.store(1); }, "used before");
}

TEST_F(ShmSegmentValidation, UnsealedOrForeignFilesAreRejected) {
  // A memfd of the right size and contents but without seals: the sender could shrink it.
  ShmSegment good = ShmSegment::create(kShmMinRingCapacity);
  int unsealed = ::memfd_create("test", MFD_CLOEXEC);
  ASSERT_GE(unsealed, 0);
  ASSERT_EQ(::ftruncate(unsealed, static_cast<off_t>(good.size())), 0);
  ASSERT_EQ(::pwrite(unsealed, &good.layout(), sizeof(ShmSegmentLayout), 0),
            static_cast<ssize_t>(sizeof(ShmSegmentLayout)));
  auto open = [](int fd) {
    try {
      ShmSegment::open(kj::AutoCloseFd(fd));
    } catch (const kj::Exception& e) {
      throw fromKjException(e);
    }
  };
  Error e = expectError(ErrorKind::MalformedPeer, [&] { open(unsealed); });
  EXPECT_CONTAINS(e.message(), "not sealed");

  SocketPair pair;
  e = expectError(ErrorKind::MalformedPeer, [&] { open(pair.take(0)); });
  EXPECT_CONTAINS(e.message(), "not a memory file");
}

TEST(ShmSegment, BadCapacityIsABadConfiguration) {
  expectError(ErrorKind::BadConfiguration, [] { ShmSegment::create(5000); });
  expectError(ErrorKind::BadConfiguration, [] { ShmSegment::create(1024); });
}

// ---------------------------------------------------------------------------------------------
// The stream between two threads

// The host end on its own thread and event loop: accepts the offer on `fd`, then runs `serve`.
class PeerThread {
 public:
  PeerThread(int fd, std::function<void(kj::AsyncIoContext&, kj::AsyncIoStream&)> serve,
             ShmStreamOptions options = {})
      : thread_([this, fd, serve = std::move(serve), options] {
          try {
            auto io = kj::setupAsyncIo();
            auto stream = acceptShmChannel(io.unixEventPort, wrapControl(io, fd), options)
                              .wait(io.waitScope);
            serve(io, *stream);
          } catch (const kj::Exception& e) {
            error_ = e.getDescription().cStr();
          } catch (const std::exception& e) {
            error_ = e.what();
          }
        }) {}
  std::string join() {
    if (thread_.joinable()) thread_.join();
    return error_;
  }
  ~PeerThread() { join(); }

 private:
  std::string error_;
  std::thread thread_;
};

// Echoes everything back until EOF, then closes its direction too.
void echo(kj::AsyncIoContext& io, kj::AsyncIoStream& stream) {
  std::vector<kj::byte> buffer(100000);
  for (;;) {
    size_t n = stream.tryRead(buffer.data(), 1, buffer.size()).wait(io.waitScope);
    if (n == 0) break;
    stream.write(buffer.data(), n).wait(io.waitScope);
  }
  stream.shutdownWrite();
}

struct StreamCase {
  uint32_t ringCapacity;
  int64_t spinMicros;
};

class ShmStreamBetweenThreads : public ::testing::TestWithParam<StreamCase> {
 protected:
  ShmStreamOptions options() const {
    ShmStreamOptions o;
    o.ringCapacity = GetParam().ringCapacity;
    o.spin = GetParam().spinMicros * kj::MICROSECONDS;
    return o;
  }
};

TEST_P(ShmStreamBetweenThreads, EchoesEverySizeIncludingMoreThanTheRing) {
  SocketPair pair;
  PeerThread peer(pair.take(1), echo, options());
  auto io = kj::setupAsyncIo();
  auto stream = offerShmChannel(io.unixEventPort, wrapControl(io, pair.take(0)), options())
                    .wait(io.waitScope);
  const uint32_t ring = GetParam().ringCapacity;
  std::vector<size_t> sizes = {1, 2, 3, 8, 63, 64, 65, 4095, 4096, 4097, 65536, 100000,
                               ring - 1, ring, ring + 1, 3u * ring + 17, (5u << 20) + 3};
  unsigned seed = 0;
  for (size_t size : sizes) {
    auto out = pattern(size, ++seed);
    std::vector<kj::byte> in(size);
    // Write and read at once: the echo cannot hold more than two rings' worth.
    auto write = stream->write(out.data(), out.size());
    size_t got = stream->tryRead(in.data(), in.size(), in.size()).wait(io.waitScope);
    write.wait(io.waitScope);
    ASSERT_EQ(got, size);
    ASSERT_TRUE(in == out) << "bytes differ for a message of " << size << " bytes";
  }
  // Many small two-piece messages back to back, as RPC traffic looks, read at the same time.
  auto many = pattern(20000, 99);
  kj::Promise<void> writes = kj::READY_NOW;
  for (size_t at = 0; at < many.size(); at += 20) {
    writes = writes.then([&stream, &many, at]() {
      auto pieces = kj::heapArray<kj::ArrayPtr<const kj::byte>>(2);
      pieces[0] = kj::arrayPtr(many.data() + at, 7);
      pieces[1] = kj::arrayPtr(many.data() + at + 7, 13);
      return stream->write(pieces);  // the list of pieces may go away at once
    });
  }
  std::vector<kj::byte> back(many.size());
  EXPECT_EQ(stream->tryRead(back.data(), back.size(), back.size()).wait(io.waitScope), many.size());
  writes.wait(io.waitScope);
  EXPECT_TRUE(back == many);

  stream->shutdownWrite();
  kj::byte extra;
  EXPECT_EQ(stream->tryRead(&extra, 1, 1).wait(io.waitScope), 0u);  // the echo's EOF
  EXPECT_EQ(peer.join(), "");
}

INSTANTIATE_TEST_SUITE_P(
    Rings, ShmStreamBetweenThreads,
    ::testing::Values(StreamCase{kShmDefaultRingCapacity, 50}, StreamCase{kShmMinRingCapacity, 50},
                      StreamCase{1u << 16, 0}),
    [](const auto& info) {
      return "ring" + std::to_string(info.param.ringCapacity) + "_spin" +
             std::to_string(info.param.spinMicros) + "us";
    });

TEST(ShmStream, ShutdownWriteIsEofAfterTheLastByte) {
  SocketPair pair;
  std::string seen;
  PeerThread peer(pair.take(1), [&](kj::AsyncIoContext& io, kj::AsyncIoStream& stream) {
    char buffer[16] = {};
    // Asks for 10, gets the 3 that came before the EOF: a short count.
    size_t n = stream.tryRead(buffer, 10, sizeof(buffer)).wait(io.waitScope);
    seen.assign(buffer, n);
    EXPECT_EQ(stream.tryRead(buffer, 1, 1).wait(io.waitScope), 0u);
    EXPECT_EQ(stream.tryRead(buffer, 1, 1).wait(io.waitScope), 0u);  // and stays at EOF
    stream.write("bye", 3).wait(io.waitScope);  // the other direction still works
  });
  auto io = kj::setupAsyncIo();
  auto stream =
      offerShmChannel(io.unixEventPort, wrapControl(io, pair.take(0))).wait(io.waitScope);
  stream->write("abc", 3).wait(io.waitScope);
  stream->shutdownWrite();
  char buffer[3];
  EXPECT_EQ(stream->tryRead(buffer, 3, 3).wait(io.waitScope), 3u);
  EXPECT_EQ(std::string(buffer, 3), "bye");
  EXPECT_EQ(peer.join(), "");
  EXPECT_EQ(seen, "abc");
  // The peer's stream is gone: clean EOF on our side (it closed its direction first).
  EXPECT_EQ(stream->tryRead(buffer, 1, 1).wait(io.waitScope), 0u);
}

// ---------------------------------------------------------------------------------------------
// Peer death and corruption, with the peer played by the test itself (one event loop)

// One real stream end ("client") whose peer is the test: the test holds the peer's control
// socket and a mapping of the segment, and can close or corrupt either.
struct OneSidedStream {
  explicit OneSidedStream(ShmStreamOptions options = {}) : io(kj::setupAsyncIo()) {
    ShmSegment segment = ShmSegment::create(kShmMinRingCapacity);
    peerView = kj::heap<ShmSegment>(ShmSegment::open(kj::AutoCloseFd(::dup(segment.fd()))));
    SocketPair pair;
    peerControl = pair.take(1);
    kj::AutoCloseFd ownBell = makeShmDoorbell();
    streamsBell = kj::AutoCloseFd(::dup(ownBell.get()));
    auto control = io.lowLevelProvider->wrapSocketFd(pair.take(0),
                                                     kj::LowLevelAsyncIoProvider::TAKE_OWNERSHIP);
    stream = makeShmStream(io.unixEventPort, kj::mv(segment), ShmSide::Client, kj::mv(ownBell),
                           makeShmDoorbell(), kj::mv(control), options);
  }
  ~OneSidedStream() noexcept(false) {
    stream = nullptr;
    if (peerControl >= 0) ::close(peerControl);
  }
  // What the peer does after publishing while the stream is parked.
  void ringTheStream() {
    uint64_t one = 1;
    ASSERT_EQ(::write(streamsBell.get(), &one, sizeof(one)), 8);
  }
  void peerDies() {
    ::close(peerControl);
    peerControl = -1;
  }
  // The peer's side of the host -> client ring.
  ShmRingProducer peerWriter() {
    return ShmRingProducer(peerView->control(kShmHostToClient), peerView->data(kShmHostToClient),
                           peerView->ringCapacity());
  }

  kj::AsyncIoContext io;
  kj::Own<ShmSegment> peerView;
  int peerControl = -1;
  kj::AutoCloseFd streamsBell;  // the doorbell the stream sleeps on
  kj::Own<kj::AsyncIoStream> stream;
};

TEST(ShmStreamPeerDeath, PendingReadFailsDisconnected) {
  OneSidedStream s;
  char buffer[8];
  auto read = s.stream->tryRead(buffer, 1, sizeof(buffer));
  EXPECT_FALSE(read.poll(s.io.waitScope));  // nothing there: it waits
  s.peerDies();
  Error e = expectError(ErrorKind::Disconnected, [&] { waitOrThrow(read, s.io.waitScope); });
  EXPECT_CONTAINS(e.message(), "peer is gone");
  // Later operations fail the same way.
  expectError(ErrorKind::Disconnected,
              [&] { waitOrThrow(s.stream->write("x", 1), s.io.waitScope); });
}

TEST(ShmStreamPeerDeath, PendingWriteOnAFullRingFailsDisconnected) {
  OneSidedStream s;
  auto big = pattern(3 * kShmMinRingCapacity, 5);
  auto write = s.stream->write(big.data(), big.size());
  EXPECT_FALSE(write.poll(s.io.waitScope));  // nobody reads: it waits for space
  s.peerDies();
  expectError(ErrorKind::Disconnected, [&] { waitOrThrow(write, s.io.waitScope); });
}

TEST(ShmStreamPeerDeath, BytesWrittenBeforeDeathAreStillDelivered) {
  OneSidedStream s;
  auto writer = s.peerWriter();
  ASSERT_EQ(writer.write(reinterpret_cast<const uint8_t*>("last words"), 10), 10u);
  s.peerDies();
  char buffer[10];
  EXPECT_EQ(s.stream->tryRead(buffer, 10, 10).wait(s.io.waitScope), 10u);
  EXPECT_EQ(std::string(buffer, 10), "last words");
  expectError(ErrorKind::Disconnected,
              [&] { waitOrThrow(s.stream->tryRead(buffer, 1, 1), s.io.waitScope); });
}

TEST(ShmStreamPeerDeath, ParkedReaderIsWokenByThePeersDoorbellAndByDeath) {
  ShmStreamOptions noSpin;
  noSpin.spin = 0 * kj::MICROSECONDS;
  OneSidedStream s(noSpin);
  char buffer[4];
  auto read = s.stream->tryRead(buffer, 4, 4);
  EXPECT_FALSE(read.poll(s.io.waitScope));
  // Parked: the flag is up for the peer to see.
  EXPECT_EQ(s.peerView->control(kShmHostToClient).readerParked.load(), 1u);
  // The peer publishes 2 bytes and rings: woken, but 2 of 4 is not enough, so it parks again.
  auto writer = s.peerWriter();
  ASSERT_EQ(writer.write(reinterpret_cast<const uint8_t*>("ab"), 2), 2u);
  ASSERT_TRUE(writer.takeParkedReader());
  s.ringTheStream();
  EXPECT_FALSE(read.poll(s.io.waitScope));
  EXPECT_EQ(s.peerView->control(kShmHostToClient).readerParked.load(), 1u);
  ASSERT_EQ(writer.write(reinterpret_cast<const uint8_t*>("cd"), 2), 2u);
  ASSERT_TRUE(writer.takeParkedReader());
  s.ringTheStream();
  EXPECT_EQ(read.wait(s.io.waitScope), 4u);
  EXPECT_EQ(std::string(buffer, 4), "abcd");
  // Parked again on a new read; then the peer dies.
  read = s.stream->tryRead(buffer, 1, 1);
  EXPECT_FALSE(read.poll(s.io.waitScope));
  s.peerDies();
  expectError(ErrorKind::Disconnected, [&] { waitOrThrow(read, s.io.waitScope); });
}

TEST(ShmStreamCorruption, ACorruptWriteCounterBreaksTheStream) {
  OneSidedStream s;
  char buffer[16];
  auto read = s.stream->tryRead(buffer, 1, sizeof(buffer));
  EXPECT_FALSE(read.poll(s.io.waitScope));
  // The "peer" claims twice the ring: never an out-of-bounds copy, a malformed-peer error.
  s.peerView->control(kShmHostToClient).head.store(2ull * kShmMinRingCapacity);
  s.ringTheStream();
  Error e = expectError(ErrorKind::MalformedPeer, [&] { waitOrThrow(read, s.io.waitScope); });
  EXPECT_CONTAINS(e.message(), "corrupt");
  // Broken for good, in both directions, even if the counter is put back.
  s.peerView->control(kShmHostToClient).head.store(0);
  expectError(ErrorKind::MalformedPeer,
              [&] { waitOrThrow(s.stream->tryRead(buffer, 1, 1), s.io.waitScope); });
  expectError(ErrorKind::MalformedPeer,
              [&] { waitOrThrow(s.stream->write("x", 1), s.io.waitScope); });
}

TEST(ShmStreamCorruption, ACorruptReadCounterBreaksWrites) {
  OneSidedStream s;
  s.peerView->control(kShmClientToHost).tail.store(12345);  // ahead of anything written
  expectError(ErrorKind::MalformedPeer,
              [&] { waitOrThrow(s.stream->write("x", 1), s.io.waitScope); });
}

TEST(ShmStreamCorruption, DataOnTheControlSocketIsAProtocolViolation) {
  OneSidedStream s;
  char buffer[4];
  auto read = s.stream->tryRead(buffer, 1, sizeof(buffer));
  ASSERT_EQ(::write(s.peerControl, "?", 1), 1);
  expectError(ErrorKind::MalformedPeer, [&] { waitOrThrow(read, s.io.waitScope); });
}

TEST(ShmStreamSetup, AnOfferThatIsNotOneIsRefusedAndTheClientIsTold) {
  SocketPair pair;
  std::string hostError;
  std::thread host([&, fd = pair.take(1)] {
    auto io = kj::setupAsyncIo();
    try {
      acceptShmChannel(io.unixEventPort, wrapControl(io, fd)).wait(io.waitScope);
    } catch (const kj::Exception& e) {
      hostError = fromKjException(e).what();
    }
  });
  // 32 bytes of junk where the offer should be, no descriptors.
  char junk[32];
  std::memset(junk, 'j', sizeof(junk));
  ASSERT_EQ(::write(pair.fds[0], junk, sizeof(junk)), static_cast<ssize_t>(sizeof(junk)));
  char answer[16] = {};
  ASSERT_EQ(::read(pair.fds[0], answer, sizeof(answer)), 16);
  EXPECT_EQ(std::string(answer, 8), "BBshmAns");
  EXPECT_NE(answer[8], 0) << "the host must refuse";
  host.join();
  EXPECT_CONTAINS(hostError, "malformed-peer");
  EXPECT_CONTAINS(hostError, "offer is garbled");
}

TEST(ShmStreamSetup, AHostThatHangsUpIsDisconnected) {
  SocketPair pair;
  ::close(pair.take(1));
  auto io = kj::setupAsyncIo();
  expectError(ErrorKind::Disconnected, [&] {
    waitOrThrow(offerShmChannel(io.unixEventPort, wrapControl(io, pair.take(0))), io.waitScope);
  });
}

// ---------------------------------------------------------------------------------------------
// Cap'n Proto RPC over the stream: the real host service on a thread of this process

TEST(ShmStreamRpc, TheHostServiceAnswersOverSharedMemory) {
  SocketPair pair;
  int exitCode = -1;
  std::thread host([&, fd = pair.take(1)] {
    auto io = kj::setupAsyncIo();
    auto stream =
        io.lowLevelProvider->wrapSocketFd(fd, kj::LowLevelAsyncIoProvider::TAKE_OWNERSHIP);
    exitCode = runHost(io, kj::mv(stream), makeHostLogger(), 5 * kj::SECONDS,
                       Transport::SharedMemory);
  });
  {
    auto io = kj::setupAsyncIo();
    auto socket = io.lowLevelProvider->wrapSocketFd(pair.take(0),
                                                    kj::LowLevelAsyncIoProvider::TAKE_OWNERSHIP);
    exchangeHello(*socket, io.provider->getTimer(), HelloRole::Client, "in-process host",
                  5 * kj::SECONDS)
        .wait(io.waitScope);
    auto stream = offerShmChannel(io.unixEventPort,
                                  toControlChannel(kj::mv(socket), *io.lowLevelProvider))
                      .wait(io.waitScope);
    capnp::TwoPartyClient client(*stream);
    auto hostCap = client.bootstrap().castAs<proto::Host>();

    auto info = hostCap.infoRequest().send().wait(io.waitScope);
    EXPECT_EQ(info.getInfo().getPid(), static_cast<uint32_t>(::getpid()));
    EXPECT_EQ(std::string(info.getInfo().getTransport().cStr()), "shm");

    auto load = hostCap.loadRequest();
    load.setPath(test::testComponent("probe_component"));
    load.send().wait(io.waitScope);
    auto activate = hostCap.activateRequest();
    activate.setClassName("probe");
    auto probe = activate.send().wait(io.waitScope).getObject().castAs<probe::Probe>();
    // Small and large (many times the ring) calls, one after another and pipelined.
    for (size_t size : {size_t{0}, size_t{1}, size_t{1000}, size_t{3} << 20}) {
      auto payload = pattern(size, static_cast<unsigned>(size));
      auto request = probe.echoRequest();
      request.setData(kj::arrayPtr(payload.data(), payload.size()));
      auto response = request.send().wait(io.waitScope);
      auto echoed = response.getData();
      ASSERT_EQ(echoed.size(), size);
      if (size > 0) {  // memcmp must not get the null pointer of an empty Data
        EXPECT_EQ(memcmp(echoed.begin(), payload.data(), size), 0);
      }
    }
    kj::Vector<capnp::RemotePromise<probe::Probe::WhoamiResults>> calls;
    for (int i = 0; i < 100; ++i) calls.add(probe.whoamiRequest().send());
    for (auto& call : calls) EXPECT_EQ(call.wait(io.waitScope).getPointerBits(), sizeof(void*) * 8);
  }  // the client's stream closes: the host sees EOF and exits cleanly
  host.join();
  EXPECT_EQ(exitCode, 0);
}

}  // namespace
}  // namespace bitbridge
