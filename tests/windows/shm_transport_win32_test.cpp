// The shared-memory transport on Windows, in one process (the Linux counterpart is
// tests/unit/shm_stream_test.cpp): the section's validation (what a host does with what a client
// hands it), the stream between two threads over a real pipe pair, the peer's death seen through
// its process handle while its end of the pipe is still open, corrupt counters, and offers that
// are not what they claim (garbled, impossible or foreign handle values, handles of the wrong
// kind), each refused on the wire with a malformed-peer error on the host. Real hosts of both
// bitnesses over this transport: windows_host_test.cpp (every case runs over both transports).
#include <windows.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <kj/async-io.h>

#include "bitbridge/error.h"
#include "common/transport/named_pipe-win32.h"
#include "common/transport/shm_ring.h"
#include "common/transport/shm_stream.h"
#include "support/start_process-win32.h"
#include "support/test_support.h"
#include "wire/shm_offer.h"

namespace bitbridge {
namespace {

using test::expectError;

template <typename Promise>
auto waitOrThrow(Promise&& promise, kj::WaitScope& waitScope) {
  try {
    return promise.wait(waitScope);
  } catch (const kj::Exception& e) {
    throw fromKjException(e);
  }
}

template <typename Body>
Error expectMalformed(Body&& body) {
  return expectError(ErrorKind::MalformedPeer, [&] {
    try {
      body();
    } catch (const kj::Exception& e) {
      throw fromKjException(e);
    }
  });
}

std::vector<kj::byte> pattern(size_t size, unsigned seed) {
  std::vector<kj::byte> bytes(size);
  uint32_t x = seed * 2654435761u + 1;
  for (auto& b : bytes) {
    x = x * 1664525u + 1013904223u;
    b = static_cast<kj::byte>(x >> 24);
  }
  return bytes;
}

UniqueHandle duplicate(HANDLE handle) {
  HANDLE copy = nullptr;
  EXPECT_TRUE(::DuplicateHandle(::GetCurrentProcess(), handle, ::GetCurrentProcess(), &copy, 0,
                                FALSE, DUPLICATE_SAME_ACCESS));
  return UniqueHandle(copy);
}

// Both ends of a connected private pipe (server = the host's end), as raw handles.
struct RawPipePair {
  RawPipePair() {
    std::string name = newPipeName("shm-test");
    server = createPipeServer(name);
    std::thread accept(
        [&] { EXPECT_TRUE(waitForPipeClient(server.get(), std::chrono::seconds(5))); });
    client = connectPipeClient(name, ::GetCurrentProcessId(), std::chrono::seconds(5), [] {},
                               "this test");
    accept.join();
  }
  UniqueHandle server, client;
};

// ---------------------------------------------------------------------------------------------
// The section

TEST(ShmSectionValidation, AValidSectionOpensAsTheSameMemory) {
  ShmSegment segment = ShmSegment::create(1u << 16);
  ShmSegment opened = ShmSegment::open(duplicate(segment.section()));
  EXPECT_EQ(opened.ringCapacity(), 1u << 16);
  EXPECT_EQ(opened.size(), shmSegmentBytes(1u << 16));
  segment.data(1)[5] = 42;
  EXPECT_EQ(opened.data(1)[5], 42);
  EXPECT_EQ(segment.layout().header.creatorPid, ::GetCurrentProcessId());
  EXPECT_EQ(segment.layout().header.creatorPointerBits, sizeof(void*) * 8);
}

TEST(ShmSectionValidation, CorruptHeadersAreRejected) {
  auto expectRejected = [](const std::function<void(ShmSegmentLayout&)>& corrupt,
                           const std::string& reason) {
    ShmSegment segment = ShmSegment::create(kShmMinRingCapacity);
    corrupt(segment.layout());
    Error e = expectMalformed([&] { ShmSegment::open(duplicate(segment.section())); });
    EXPECT_CONTAINS(e.message(), reason);
  };
  expectRejected([](ShmSegmentLayout& l) { l.header.magic[0] = 'X'; }, "bad magic");
  expectRejected([](ShmSegmentLayout& l) { l.header.version = 99; }, "version 99");
  expectRejected([](ShmSegmentLayout& l) { l.header.ringCapacity = 4097; }, "ring capacity");
  expectRejected([](ShmSegmentLayout& l) { l.header.ringCapacity = 1u << 13; },
                 "size does not match");
  expectRejected([](ShmSegmentLayout& l) { l.header.segmentBytes = 1ull << 40; },
                 "size does not match");
  expectRejected([](ShmSegmentLayout& l) { l.header.dataOffset = 64; }, "unexpected layout");
  expectRejected([](ShmSegmentLayout& l) { l.rings[1].head.store(5); }, "used before");
  expectRejected([](ShmSegmentLayout& l) { l.rings[0].readerClosed.store(1); }, "used before");
}

// A section made by hand, with a valid header for `capacity` copied in.
UniqueHandle handMadeSection(uint64_t bytes, DWORD flags, uint32_t capacity, bool commitHeader) {
  UniqueHandle section(::CreateFileMappingW(INVALID_HANDLE_VALUE, nullptr, PAGE_READWRITE | flags,
                                            static_cast<DWORD>(bytes >> 32),
                                            static_cast<DWORD>(bytes), nullptr));
  EXPECT_TRUE(section.valid());
  void* view = ::MapViewOfFile(section.get(), FILE_MAP_WRITE, 0, 0, 0);
  EXPECT_NE(view, nullptr);
  if (commitHeader) {
    if (flags & SEC_RESERVE) {
      EXPECT_NE(::VirtualAlloc(view, 4096, MEM_COMMIT, PAGE_READWRITE), nullptr);
    }
    ShmSegment model = ShmSegment::create(capacity);
    std::memcpy(view, &model.layout(), sizeof(ShmSegmentLayout));
  }
  ::UnmapViewOfFile(view);
  return section;
}

TEST(ShmSectionValidation, SectionsThatAreNotWhatTheyClaimAreRejected) {
  const uint64_t size = shmSegmentBytes(kShmMinRingCapacity);
  // Reserved, with only the header's page committed: touching the rings would fault.
  Error e = expectMalformed([&] {
    ShmSegment::open(handMadeSection(size, SEC_RESERVE, kShmMinRingCapacity, true));
  });
  EXPECT_CONTAINS(e.message(), "size does not match");
  // Larger than its header says.
  e = expectMalformed([&] {
    ShmSegment::open(handMadeSection(size + 65536, SEC_COMMIT, kShmMinRingCapacity, true));
  });
  EXPECT_CONTAINS(e.message(), "size does not match");
  // A handle that may only read it.
  ShmSegment good = ShmSegment::create(kShmMinRingCapacity);
  HANDLE readOnly = nullptr;
  ASSERT_TRUE(::DuplicateHandle(::GetCurrentProcess(), good.section(), ::GetCurrentProcess(),
                                &readOnly, FILE_MAP_READ, FALSE, 0));
  e = expectMalformed([&] { ShmSegment::open(UniqueHandle(readOnly)); });
  EXPECT_CONTAINS(e.message(), "cannot be mapped");
  // Not a section at all.
  e = expectMalformed([&] { ShmSegment::open(makeShmDoorbell()); });
  EXPECT_CONTAINS(e.message(), "cannot be mapped");
}

TEST(ShmSection, BadCapacityIsABadConfiguration) {
  expectError(ErrorKind::BadConfiguration, [] { ShmSegment::create(5000); });
  expectError(ErrorKind::BadConfiguration, [] { ShmSegment::create(1024); });
}

// ---------------------------------------------------------------------------------------------
// The stream between two threads, over a real pipe pair

// The host end on its own thread and event loop: accepts the offer, then runs `serve`.
class HostThread {
 public:
  HostThread(UniqueHandle pipe, std::function<void(kj::AsyncIoContext&, kj::AsyncIoStream&)> serve,
             ShmStreamOptions options = {})
      : thread_([this, raw = pipe.release(), serve = std::move(serve), options] {
          try {
            auto io = kj::setupAsyncIo();
            auto control = wrapPipe(io.win32EventPort, UniqueHandle(raw));
            auto stream =
                acceptShmChannel(io.win32EventPort,
                                 toControlChannel(kj::mv(control), *io.lowLevelProvider), options)
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
  ~HostThread() { join(); }

 private:
  std::string error_;
  std::thread thread_;
};

void echo(kj::AsyncIoContext& io, kj::AsyncIoStream& stream) {
  std::vector<kj::byte> buffer(100000);
  for (;;) {
    size_t n = stream.tryRead(buffer.data(), 1, buffer.size()).wait(io.waitScope);
    if (n == 0) break;
    stream.write(buffer.data(), n).wait(io.waitScope);
  }
  stream.shutdownWrite();
}

class ShmStreamWin32 : public ::testing::TestWithParam<int64_t> {};

TEST_P(ShmStreamWin32, EchoesEverySizeIncludingMoreThanTheRing) {
  ShmStreamOptions options;
  options.ringCapacity = kShmMinRingCapacity;
  options.spin = GetParam() * kj::MICROSECONDS;
  RawPipePair pipe;
  HostThread host(kj::mv(pipe.server), echo, options);
  auto io = kj::setupAsyncIo();
  auto control = wrapPipe(io.win32EventPort, kj::mv(pipe.client));
  auto stream = offerShmChannel(io.win32EventPort,
                                toControlChannel(kj::mv(control), *io.lowLevelProvider), options)
                    .wait(io.waitScope);
  const size_t ring = kShmMinRingCapacity;
  unsigned seed = 0;
  for (size_t size : {size_t{1}, size_t{63}, size_t{4095}, ring, ring + 1, 3 * ring + 17,
                      size_t{1} << 20}) {
    auto out = pattern(size, ++seed);
    std::vector<kj::byte> in(size);
    auto write = stream->write(out.data(), out.size());
    size_t got = stream->tryRead(in.data(), in.size(), in.size()).wait(io.waitScope);
    write.wait(io.waitScope);
    ASSERT_EQ(got, size);
    ASSERT_TRUE(in == out) << "bytes differ for a message of " << size << " bytes";
  }
  // Many small round trips: with spin 0 each one parks and is woken by a doorbell.
  for (int i = 0; i < 200; ++i) {
    kj::byte b = static_cast<kj::byte>(i), back = 0;
    stream->write(&b, 1).wait(io.waitScope);
    ASSERT_EQ(stream->tryRead(&back, 1, 1).wait(io.waitScope), 1u);
    ASSERT_EQ(back, b);
  }
  stream->shutdownWrite();
  kj::byte extra;
  EXPECT_EQ(stream->tryRead(&extra, 1, 1).wait(io.waitScope), 0u);
  EXPECT_EQ(host.join(), "");
}

INSTANTIATE_TEST_SUITE_P(Spin, ShmStreamWin32, ::testing::Values(int64_t{50}, int64_t{0}),
                         [](const auto& info) {
                           return "spin" + std::to_string(info.param) + "us";
                         });

// ---------------------------------------------------------------------------------------------
// Peer death and corruption, the peer played by the test

// A process that lives until it is terminated: this program, started suspended.
struct SuspendedProcess {
  SuspendedProcess() {
    wchar_t path[MAX_PATH];
    ::GetModuleFileNameW(nullptr, path, MAX_PATH);
    std::wstring command = L"\"" + std::wstring(path) + L"\" --gtest_list_tests";
    STARTUPINFOW startup{};
    startup.cb = sizeof(startup);
    PROCESS_INFORMATION info{};
    EXPECT_TRUE(test::startProcess(path, command.data(), FALSE, CREATE_SUSPENDED, &startup, &info));
    process = UniqueHandle(info.hProcess);
    ::CloseHandle(info.hThread);
  }
  ~SuspendedProcess() {
    if (process.valid()) ::TerminateProcess(process.get(), 1);
  }
  UniqueHandle process;
};

// One real stream end (the client's) whose peer is the test: it holds the peer's end of the
// pipe, a mapping of the segment, the stream's own doorbell, and the "peer process" the stream
// watches.
struct OneSidedStream {
  explicit OneSidedStream(ShmStreamOptions options = {}) : io(kj::setupAsyncIo()) {
    ShmSegment segment = ShmSegment::create(kShmMinRingCapacity);
    peerView = kj::heap<ShmSegment>(ShmSegment::open(duplicate(segment.section())));
    RawPipePair pipe;
    peerPipe = kj::mv(pipe.server);
    UniqueHandle ownBell = makeShmDoorbell();
    streamsBell = duplicate(ownBell.get());
    auto control = wrapPipe(io.win32EventPort, kj::mv(pipe.client));
    stream = makeShmStream(io.win32EventPort, kj::mv(segment), ShmSide::Client, kj::mv(ownBell),
                           makeShmDoorbell(), kj::mv(control), options,
                           duplicate(peer.process.get()));
  }
  ~OneSidedStream() noexcept(false) { stream = nullptr; }
  void ringTheStream() { ASSERT_TRUE(::SetEvent(streamsBell.get())); }
  ShmRingProducer peerWriter() {
    return ShmRingProducer(peerView->control(kShmHostToClient), peerView->data(kShmHostToClient),
                           peerView->ringCapacity());
  }

  kj::AsyncIoContext io;
  SuspendedProcess peer;
  kj::Own<ShmSegment> peerView;
  UniqueHandle peerPipe;
  UniqueHandle streamsBell;
  kj::Own<kj::AsyncIoStream> stream;
};

TEST(ShmStreamWin32PeerDeath, AProcessThatEndsFailsAPendingReadWhileItsPipeStaysOpen) {
  ShmStreamOptions noSpin;
  noSpin.spin = 0 * kj::MICROSECONDS;
  OneSidedStream s(noSpin);
  char buffer[8];
  auto read = s.stream->tryRead(buffer, 1, sizeof(buffer));
  EXPECT_FALSE(read.poll(s.io.waitScope));
  EXPECT_EQ(s.peerView->control(kShmHostToClient).readerParked.load(), 1u);
  auto killed = std::chrono::steady_clock::now();
  ASSERT_TRUE(::TerminateProcess(s.peer.process.get(), 9));
  Error e = expectError(ErrorKind::Disconnected, [&] { waitOrThrow(read, s.io.waitScope); });
  // The same bound as a host killed mid-call on Linux.
  EXPECT_LT(std::chrono::steady_clock::now() - killed, std::chrono::milliseconds(250));
  EXPECT_CONTAINS(e.message(), "its process ended, exit status 9");
  expectError(ErrorKind::Disconnected,
              [&] { waitOrThrow(s.stream->write("x", 1), s.io.waitScope); });
  // The pipe was never closed: only the process handle told.
  EXPECT_TRUE(s.peerPipe.valid());
}

TEST(ShmStreamWin32PeerDeath, AClosedPipeFailsAPendingWrite) {
  OneSidedStream s;
  auto big = pattern(3 * kShmMinRingCapacity, 5);
  auto write = s.stream->write(big.data(), big.size());
  EXPECT_FALSE(write.poll(s.io.waitScope));
  s.peerPipe.reset();
  expectError(ErrorKind::Disconnected, [&] { waitOrThrow(write, s.io.waitScope); });
}

TEST(ShmStreamWin32PeerDeath, AParkedReaderIsWokenByThePeersDoorbell) {
  ShmStreamOptions noSpin;
  noSpin.spin = 0 * kj::MICROSECONDS;
  OneSidedStream s(noSpin);
  char buffer[4];
  auto read = s.stream->tryRead(buffer, 4, 4);
  EXPECT_FALSE(read.poll(s.io.waitScope));
  auto writer = s.peerWriter();
  ASSERT_EQ(writer.write(reinterpret_cast<const uint8_t*>("ab"), 2), 2u);
  ASSERT_TRUE(writer.takeParkedReader());
  s.ringTheStream();
  ::Sleep(50);  // the stream's thread passes the ring on; 2 of 4 bytes: it parks again
  EXPECT_FALSE(read.poll(s.io.waitScope));
  ASSERT_EQ(writer.write(reinterpret_cast<const uint8_t*>("cd"), 2), 2u);
  ASSERT_TRUE(writer.takeParkedReader());
  s.ringTheStream();
  EXPECT_EQ(read.wait(s.io.waitScope), 4u);
  EXPECT_EQ(std::string(buffer, 4), "abcd");
}

TEST(ShmStreamWin32Corruption, ACorruptWriteCounterBreaksTheStream) {
  OneSidedStream s;
  char buffer[16];
  auto read = s.stream->tryRead(buffer, 1, sizeof(buffer));
  EXPECT_FALSE(read.poll(s.io.waitScope));
  s.peerView->control(kShmHostToClient).head.store(2ull * kShmMinRingCapacity);
  s.ringTheStream();
  Error e = expectMalformed([&] { read.wait(s.io.waitScope); });
  EXPECT_CONTAINS(e.message(), "corrupt");
  s.peerView->control(kShmHostToClient).head.store(0);
  expectMalformed([&] { s.stream->write("x", 1).wait(s.io.waitScope); });
}

TEST(ShmStreamWin32Corruption, DataOnThePipeIsAProtocolViolation) {
  OneSidedStream s;
  char buffer[4];
  auto read = s.stream->tryRead(buffer, 1, sizeof(buffer));
  OVERLAPPED overlapped{};
  overlapped.hEvent = ::CreateEventW(nullptr, TRUE, FALSE, nullptr);
  DWORD n = 0;
  if (!::WriteFile(s.peerPipe.get(), "?", 1, &n, &overlapped)) {
    ASSERT_EQ(::GetLastError(), static_cast<DWORD>(ERROR_IO_PENDING));
  }
  ASSERT_TRUE(::GetOverlappedResult(s.peerPipe.get(), &overlapped, &n, TRUE));
  ::CloseHandle(overlapped.hEvent);
  expectMalformed([&] { read.wait(s.io.waitScope); });
}

// ---------------------------------------------------------------------------------------------
// Offers that are not what they claim: the host refuses each on the wire

struct RawOffer {
  WireShmOffer offer{};
  WireShmHandles handles{};
};

// The client's objects, valid unless a case replaces one.
struct ClientObjects {
  ShmSegment segment = ShmSegment::create(kShmMinRingCapacity);
  UniqueHandle clientBell = makeShmDoorbell();
  UniqueHandle hostBell = makeShmDoorbell();
  RawOffer valid() const {
    RawOffer raw;
    std::memcpy(raw.offer.magic, kOfferMagic, sizeof(kOfferMagic));
    raw.offer.version = kShmVersion;
    raw.offer.ringCapacity = segment.ringCapacity();
    raw.offer.segmentBytes = segment.size();
    raw.offer.descriptorCount = kOfferDescriptors;
    raw.handles.section = reinterpret_cast<uintptr_t>(segment.section());
    raw.handles.clientBell = reinterpret_cast<uintptr_t>(clientBell.get());
    raw.handles.hostBell = reinterpret_cast<uintptr_t>(hostBell.get());
    return raw;
  }
};

// Sends `raw` to a host-side acceptShmChannel on another thread; returns the host's error
// ("" if it accepted) and whether the answer said accepted.
std::pair<std::string, bool> offer(const RawOffer& raw) {
  RawPipePair pipe;
  std::string hostError;
  std::thread host([&hostError, raw = pipe.server.release()] {
    auto io = kj::setupAsyncIo();
    try {
      auto control = wrapPipe(io.win32EventPort, UniqueHandle(raw));
      acceptShmChannel(io.win32EventPort, toControlChannel(kj::mv(control), *io.lowLevelProvider))
          .wait(io.waitScope);
    } catch (const kj::Exception& e) {
      hostError = fromKjException(e).what();
    }
  });
  auto io = kj::setupAsyncIo();
  auto client = wrapPipe(io.win32EventPort, kj::mv(pipe.client));
  client->write(&raw, sizeof(raw)).wait(io.waitScope);
  WireShmAnswer answer{};
  size_t n = client->tryRead(&answer, sizeof(answer), sizeof(answer)).wait(io.waitScope);
  client = nullptr;  // an accepted host stream ends at once
  host.join();
  EXPECT_EQ(n, sizeof(answer));
  EXPECT_EQ(std::memcmp(answer.magic, kAnswerMagic, sizeof(kAnswerMagic)), 0);
  return {hostError, answer.status == kAnswerAccepted};
}

void expectRefused(const RawOffer& raw, const std::string& reason) {
  auto [error, accepted] = offer(raw);
  EXPECT_FALSE(accepted) << "the host must refuse (" << reason << ")";
  EXPECT_CONTAINS(error, "malformed-peer");
  EXPECT_CONTAINS(error, reason);
}

TEST(ShmOfferWin32, AValidOfferIsAccepted) {
  ClientObjects objects;
  auto [error, accepted] = offer(objects.valid());
  EXPECT_TRUE(accepted) << error;
}

TEST(ShmOfferWin32, GarbledOffersAreRefused) {
  ClientObjects objects;
  RawOffer raw = objects.valid();
  raw.offer.magic[0] = 'X';
  expectRefused(raw, "offer is garbled");
  raw = objects.valid();
  raw.offer.version = 7;
  expectRefused(raw, "has version 7");
  raw = objects.valid();
  raw.offer.descriptorCount = 2;
  expectRefused(raw, "names 2 handles");
  raw = objects.valid();
  raw.offer.ringCapacity *= 2;
  expectRefused(raw, "does not match its segment");
}

TEST(ShmOfferWin32, HandleValuesThatNameNothingOfTheClientsAreRefused) {
  ClientObjects objects;
  RawOffer raw = objects.valid();
  raw.handles.section = 0;
  expectRefused(raw, "impossible section handle");
  raw = objects.valid();
  raw.handles.hostBell = 1ull << 40;
  expectRefused(raw, "impossible doorbell handle");
  raw = objects.valid();
  raw.handles.clientBell = 0x7ffffff0;  // not open in the client
  expectRefused(raw, "cannot be taken from the client");
}

TEST(ShmOfferWin32, HandlesOfTheWrongKindAreRefused) {
  ClientObjects objects;
  // A doorbell where the section should be.
  RawOffer raw = objects.valid();
  raw.handles.section = raw.handles.hostBell;
  expectRefused(raw, "cannot be mapped");
  // The section where a doorbell should be.
  raw = objects.valid();
  raw.handles.clientBell = raw.handles.section;
  expectRefused(raw, "not an event");
  // A manual-reset event: the host's waiting thread would spin on it.
  UniqueHandle manual(::CreateEventW(nullptr, TRUE, FALSE, nullptr));
  raw = objects.valid();
  raw.handles.hostBell = reinterpret_cast<uintptr_t>(manual.get());
  expectRefused(raw, "manual-reset");
  // This process itself (a pseudo-handle would name the client process).
  raw = objects.valid();
  raw.handles.clientBell = 0xffffffffu;
  expectRefused(raw, "doorbell");
}

TEST(ShmOfferWin32, AClientThatHangsUpDuringTheOfferIsDisconnected) {
  RawPipePair pipe;
  pipe.client.reset();
  auto io = kj::setupAsyncIo();
  auto control = wrapPipe(io.win32EventPort, kj::mv(pipe.server));
  expectError(ErrorKind::Disconnected, [&] {
    waitOrThrow(acceptShmChannel(io.win32EventPort,
                                 toControlChannel(kj::mv(control), *io.lowLevelProvider)),
                io.waitScope);
  });
}

}  // namespace
}  // namespace bitbridge
