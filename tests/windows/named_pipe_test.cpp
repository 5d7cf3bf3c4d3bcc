// The named-pipe layer on its own, in one process: the security rules (a name already taken, a
// pipe served by another process) and the KJ stream over a connected pipe (bytes both ways,
// EOF when the peer closes, a cut channel failing pending reads), including its read buffer
// (pipe_stream-win32.cpp): many small messages and large ones across the buffer's size, partial
// reads served from it, EOF and cuts while bytes are buffered, a cancelled read; and a client
// end's writes batched per loop turn (PipeWrites::PerLoopTurn): one WriteFile per turn, order kept
// around large writes and while the peer reads nothing, nothing lost when the stream goes right
// after a write, a write to a closed peer failing.
#include <windows.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <kj/async-io.h>

#include "bitbridge/error.h"
#include "common/transport/named_pipe-win32.h"
#include "support/scoped_env.h"
#include "support/temp_dir.h"
#include "support/test_support.h"

namespace bitbridge {
namespace {

using test::expectError;

TEST(NamedPipe, NamesAreRandomAndCarryThePid) {
  std::string a = newPipeName("host"), b = newPipeName("host");
  EXPECT_NE(a, b);
  EXPECT_CONTAINS(a, "\\\\.\\pipe\\bitbridge-host-" + std::to_string(::GetCurrentProcessId()) + "-");
}

TEST(NamedPipe, ANameThatExistsAlreadyIsNotShared) {
  std::string name = newPipeName("squat");
  UniqueHandle first = createPipeServer(name);
  Error e = expectError(ErrorKind::BadConfiguration, [&] { createPipeServer(name); });
  EXPECT_CONTAINS(e.message(), "already exists");
}

TEST(NamedPipe, APipeServedByAnotherProcessIsRefused) {
  // We serve it ourselves, and the client expects some other pid: as if a squatter had created
  // the name before the host.
  std::string name = newPipeName("impostor");
  UniqueHandle server = createPipeServer(name);
  uint32_t expected = ::GetCurrentProcessId() + 4;
  Error e = expectError(ErrorKind::MalformedPeer, [&] {
    connectPipeClient(name, expected, std::chrono::seconds(2), [] {}, "the host (pid 4)");
  });
  EXPECT_CONTAINS(e.message(), "served by process " + std::to_string(::GetCurrentProcessId()));
}

TEST(NamedPipe, AMissingPipeTimesOutNamingIt) {
  std::string name = newPipeName("nobody");
  auto started = std::chrono::steady_clock::now();
  Error e = expectError(ErrorKind::TimedOut, [&] {
    connectPipeClient(name, 0, std::chrono::milliseconds(200), [] {}, "the host");
  });
  EXPECT_CONTAINS(e.message(), name);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
}

TEST(NamedPipe, GivingUpWhileStartingIsPassedThrough) {
  std::string name = newPipeName("dead");
  Error e = expectError(ErrorKind::Disconnected, [&] {
    connectPipeClient(name, 0, std::chrono::seconds(10),
                      [] { throw Error(ErrorKind::Disconnected, "host exited"); }, "the host");
  });
  EXPECT_CONTAINS(e.message(), "host exited");
}

// The log pipe of a COM host (PipeMode::BlockingLog): one way, blocking, as the C runtime and a
// drain thread use it.
TEST(LogPipe, LinesFlowFromServerToClientAndNotBack) {
  std::string name = newPipeName("log");
  UniqueHandle server = createPipeServer(name, PipeMode::BlockingLog);
  UniqueHandle client = connectPipeClient(name, ::GetCurrentProcessId(), std::chrono::seconds(5),
                                          [] {}, "this test", PipeMode::BlockingLog);
  EXPECT_TRUE(waitForBlockingPipeClient(server.get(), name, std::chrono::seconds(5)));
  const char line[] = "info|hello\n";
  DWORD n = 0;
  ASSERT_TRUE(::WriteFile(server.get(), line, sizeof(line) - 1, &n, nullptr));
  char got[64] = {};
  ASSERT_TRUE(::ReadFile(client.get(), got, sizeof(got), &n, nullptr));
  EXPECT_EQ(std::string(got, n), "info|hello\n");
  EXPECT_FALSE(::WriteFile(client.get(), line, 1, &n, nullptr)) << "the client end is read-only";
  // The server's end closed: buffered bytes are still read, then the end of the pipe.
  ASSERT_TRUE(::WriteFile(server.get(), line, sizeof(line) - 1, &n, nullptr));
  server.reset();
  ASSERT_TRUE(::ReadFile(client.get(), got, sizeof(got), &n, nullptr));
  EXPECT_EQ(std::string(got, n), "info|hello\n");
  EXPECT_FALSE(::ReadFile(client.get(), got, sizeof(got), &n, nullptr));
  EXPECT_EQ(::GetLastError(), static_cast<DWORD>(ERROR_BROKEN_PIPE));
}

TEST(LogPipe, AClientThatNeverConnectsIsWaitedForOnlyUntilTheTimeout) {
  std::string name = newPipeName("log");
  UniqueHandle server = createPipeServer(name, PipeMode::BlockingLog);
  auto started = std::chrono::steady_clock::now();
  EXPECT_FALSE(waitForBlockingPipeClient(server.get(), name, std::chrono::milliseconds(300)));
  auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_GE(waited, std::chrono::milliseconds(250));
  EXPECT_LT(waited, std::chrono::seconds(3));
  // The wait released itself by taking the one instance: a late client is not served.
  Error e = expectError(ErrorKind::TimedOut, [&] {
    connectPipeClient(name, 0, std::chrono::milliseconds(200), [] {}, "the host",
                      PipeMode::BlockingLog);
  });
}

TEST(LogPipe, ALogPipeServedByAnotherProcessIsRefused) {
  std::string name = newPipeName("log");
  UniqueHandle server = createPipeServer(name, PipeMode::BlockingLog);
  uint32_t expected = ::GetCurrentProcessId() + 4;
  Error e = expectError(ErrorKind::MalformedPeer, [&] {
    connectPipeClient(name, expected, std::chrono::seconds(2), [] {}, "the host's log",
                      PipeMode::BlockingLog);
  });
  EXPECT_CONTAINS(e.message(), "is served by process " + std::to_string(::GetCurrentProcessId()));
}

// KJ objects' destructors may throw; a fixture's must not: they live behind a unique_ptr.
struct ConnectedPipe {
  explicit ConnectedPipe(PipeWrites clientWrites = PipeWrites::AtOnce) {
    std::string name = newPipeName("stream");
    UniqueHandle server = createPipeServer(name);
    std::thread accept([&] { EXPECT_TRUE(waitForPipeClient(server.get(), std::chrono::seconds(5))); });
    UniqueHandle client = connectPipeClient(name, ::GetCurrentProcessId(), std::chrono::seconds(5),
                                            [] {}, "this test");
    accept.join();
    clientStream = wrapPipe(io.win32EventPort, std::move(client), clientCut, clientWrites);
    serverStream = wrapPipe(io.win32EventPort, std::move(server));
  }
  kj::AsyncIoContext io = kj::setupAsyncIo();
  std::shared_ptr<PipeCutState> clientCut = std::make_shared<PipeCutState>();
  kj::Own<kj::AsyncIoStream> clientStream, serverStream;
};

class PipeStreams : public ::testing::Test {
 protected:
  std::unique_ptr<ConnectedPipe> pipe = std::make_unique<ConnectedPipe>();
  kj::AsyncIoContext& io = pipe->io;
  kj::Own<kj::AsyncIoStream>& clientStream = pipe->clientStream;
  kj::Own<kj::AsyncIoStream>& serverStream = pipe->serverStream;
  std::shared_ptr<PipeCutState>& clientCut = pipe->clientCut;
};

TEST_F(PipeStreams, BytesArriveInOrderBothWays) {
  // More than the pipe's buffer, so writes complete only as the other side reads.
  std::vector<kj::byte> sent(3 << 20);
  for (size_t i = 0; i < sent.size(); ++i) sent[i] = static_cast<kj::byte>(i * 7 + (i >> 12));
  std::vector<kj::byte> received(sent.size());
  auto write = clientStream->write(sent.data(), sent.size());
  auto read = serverStream->read(received.data(), received.size());
  read.wait(io.waitScope);
  write.wait(io.waitScope);
  EXPECT_EQ(sent, received);

  // Gathered pieces, as Cap'n Proto writes a message.
  const kj::byte a[] = {1, 2, 3}, b[] = {4, 5};
  kj::ArrayPtr<const kj::byte> pieces[] = {kj::arrayPtr(a, 3), kj::arrayPtr(b, 2)};
  serverStream->write(kj::arrayPtr(pieces, 2)).wait(io.waitScope);
  kj::byte back[5] = {};
  EXPECT_EQ(clientStream->tryRead(back, 5, 5).wait(io.waitScope), 5u);
  EXPECT_EQ(back[0], 1);
  EXPECT_EQ(back[4], 5);
}

TEST_F(PipeStreams, ThePeerClosingIsEndOfStream) {
  kj::byte buffer[16];
  auto read = clientStream->tryRead(buffer, 1, sizeof(buffer));
  serverStream = nullptr;
  EXPECT_EQ(read.wait(io.waitScope), 0u);
  auto write = clientStream->write(buffer, sizeof(buffer));
  EXPECT_ANY_THROW(write.wait(io.waitScope));
}

TEST_F(PipeStreams, CuttingFailsAPendingReadAtOnce) {
  kj::byte buffer[16];
  auto read = clientStream->tryRead(buffer, 1, sizeof(buffer));
  makePipeCutter(clientCut)->cut();
  try {
    read.wait(io.waitScope);
    ADD_FAILURE() << "a read on a cut channel returned";
  } catch (const kj::Exception& e) {
    EXPECT_EQ(e.getType(), kj::Exception::Type::DISCONNECTED) << e.getDescription().cStr();
  }
}

// A message as Cap'n Proto frames one: a 4-byte length, then the body.
std::vector<kj::byte> frame(uint32_t size, uint32_t seed) {
  std::vector<kj::byte> bytes(4 + size);
  std::memcpy(bytes.data(), &size, 4);
  for (uint32_t i = 0; i < size; ++i) bytes[4 + i] = static_cast<kj::byte>(seed * 31 + i);
  return bytes;
}

TEST_F(PipeStreams, ManySmallMessagesAndLargeOnesAcrossTheReadBuffer) {
  // Sizes around the 64 KiB read buffer (smaller, equal, larger), between runs of small ones,
  // all written before any is read, so reads find several messages (or a part of one) buffered.
  std::vector<uint32_t> sizes;
  for (uint32_t i = 0; i < 300; ++i) sizes.push_back(1 + (i * 37) % 200);
  for (uint32_t large : {65535u, 65536u, 65537u, 200000u, 3u << 20}) {
    sizes.push_back(large);
    for (uint32_t i = 0; i < 20; ++i) sizes.push_back(8 + i);
  }
  std::vector<kj::byte> stream;
  for (uint32_t i = 0; i < sizes.size(); ++i) {
    auto bytes = frame(sizes[i], i);
    stream.insert(stream.end(), bytes.begin(), bytes.end());
  }
  auto write = serverStream->write(stream.data(), stream.size());
  for (uint32_t i = 0; i < sizes.size(); ++i) {
    uint32_t size = 0;
    ASSERT_EQ(clientStream->tryRead(&size, 4, 4).wait(io.waitScope), 4u) << "message " << i;
    ASSERT_EQ(size, sizes[i]) << "message " << i;
    std::vector<kj::byte> body(size);
    clientStream->read(body.data(), size).wait(io.waitScope);
    auto expected = frame(size, i);
    ASSERT_TRUE(std::equal(body.begin(), body.end(), expected.begin() + 4)) << "message " << i;
  }
  write.wait(io.waitScope);
}

TEST_F(PipeStreams, APartialReadKeepsTheRestForTheNext) {
  std::vector<kj::byte> sent(100);
  for (size_t i = 0; i < sent.size(); ++i) sent[i] = static_cast<kj::byte>(i);
  serverStream->write(sent.data(), sent.size()).wait(io.waitScope);
  kj::byte first[10] = {};
  EXPECT_EQ(clientStream->tryRead(first, 1, sizeof(first)).wait(io.waitScope), 10u);
  EXPECT_EQ(first[9], 9);
  // The other 90 are buffered: a read wanting at least 1 and up to 200 gets them without more
  // data arriving (it would hang otherwise).
  kj::byte rest[200] = {};
  EXPECT_EQ(clientStream->tryRead(rest, 1, sizeof(rest)).wait(io.waitScope), 90u);
  EXPECT_EQ(rest[0], 10);
  EXPECT_EQ(rest[89], 99);
}

TEST_F(PipeStreams, EndOfStreamComesAfterTheBufferedBytes) {
  kj::byte sent[50];
  for (int i = 0; i < 50; ++i) sent[i] = static_cast<kj::byte>(i + 1);
  serverStream->write(sent, sizeof(sent)).wait(io.waitScope);
  kj::byte buffer[64] = {};
  EXPECT_EQ(clientStream->tryRead(buffer, 10, 10).wait(io.waitScope), 10u);
  serverStream = nullptr;
  // The 40 buffered bytes first, then EOF; a read wanting more than is left gets what is left.
  EXPECT_EQ(clientStream->tryRead(buffer, 60, 60).wait(io.waitScope), 40u);
  EXPECT_EQ(buffer[0], 11);
  EXPECT_EQ(buffer[39], 50);
  EXPECT_EQ(clientStream->tryRead(buffer, 1, sizeof(buffer)).wait(io.waitScope), 0u);
}

TEST_F(PipeStreams, ACutChannelFailsReadsEvenWithBytesBuffered) {
  kj::byte sent[50] = {};
  serverStream->write(sent, sizeof(sent)).wait(io.waitScope);
  kj::byte buffer[10];
  EXPECT_EQ(clientStream->tryRead(buffer, 10, 10).wait(io.waitScope), 10u);
  makePipeCutter(clientCut)->cut();
  try {
    clientStream->tryRead(buffer, 1, sizeof(buffer)).wait(io.waitScope);
    ADD_FAILURE() << "a read on a cut channel returned buffered bytes";
  } catch (const kj::Exception& e) {
    EXPECT_EQ(e.getType(), kj::Exception::Type::DISCONNECTED) << e.getDescription().cStr();
  }
}

TEST_F(PipeStreams, ACancelledReadLosesNothingWrittenAfterIt) {
  kj::byte buffer[16] = {};
  {
    auto read = clientStream->tryRead(buffer, 1, sizeof(buffer));
    // Dropped while pending: its ReadFile is cancelled (and waited for) before it goes.
  }
  const kj::byte sent[] = {7, 8, 9};
  serverStream->write(sent, sizeof(sent)).wait(io.waitScope);
  EXPECT_EQ(clientStream->tryRead(buffer, 3, sizeof(buffer)).wait(io.waitScope), 3u);
  EXPECT_EQ(buffer[0], 7);
  EXPECT_EQ(buffer[2], 9);
}

// The client's end as the RPC clients open it: small writes batched per loop turn.
class BatchedPipeStreams : public ::testing::Test {
 protected:
  std::unique_ptr<ConnectedPipe> pipe = std::make_unique<ConnectedPipe>(PipeWrites::PerLoopTurn);
  kj::AsyncIoContext& io = pipe->io;
  kj::Own<kj::AsyncIoStream>& clientStream = pipe->clientStream;
  kj::Own<kj::AsyncIoStream>& serverStream = pipe->serverStream;

  // Lets the loop go idle (where a turn's batch is written).
  void idle() { io.provider->getTimer().afterDelay(20 * kj::MILLISECONDS).wait(io.waitScope); }

  std::vector<kj::byte> readExactly(size_t size) {
    std::vector<kj::byte> got(size);
    serverStream->read(got.data(), size).wait(io.waitScope);
    return got;
  }
};

TEST(BatchedPipeStreamCounts, TheWritesOfOneTurnGoAsOneWriteFile) {
  test::TempDir dir("bitbridge-pipe-stats");
  std::string stats = dir / "stats.txt";
  std::unique_ptr<ConnectedPipe> batched;
  {
    test::ScopedEnv counting("BITBRIDGE_PIPE_STATS", stats);  // read when a stream is made
    batched = std::make_unique<ConnectedPipe>(PipeWrites::PerLoopTurn);
  }
  // Three messages in one turn, as RPC writes a Finish and the next Call.
  std::vector<kj::byte> sent;
  for (uint32_t i = 0; i < 3; ++i) {
    auto bytes = frame(40 + i, i);
    sent.insert(sent.end(), bytes.begin(), bytes.end());
  }
  auto one = frame(40, 0), two = frame(41, 1), three = frame(42, 2);
  batched->clientStream->write(one.data(), one.size())
      .then([&] { return batched->clientStream->write(two.data(), two.size()); })
      .then([&] {
        kj::ArrayPtr<const kj::byte> pieces[] = {kj::arrayPtr(three.data(), 4),
                                                 kj::arrayPtr(three.data() + 4, three.size() - 4)};
        return batched->clientStream->write(kj::arrayPtr(pieces, 2));
      })
      .wait(batched->io.waitScope);
  std::vector<kj::byte> got(sent.size());
  batched->serverStream->read(got.data(), got.size()).wait(batched->io.waitScope);
  EXPECT_EQ(got, sent);
  batched.reset();  // each stream appends its counters
  std::ifstream in(stats);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_CONTAINS(text, "WriteFile 1 (at once 1, pending 0) bytes " + std::to_string(sent.size()) +
                            "; batched writes 3 in 1 batches");
}

TEST_F(BatchedPipeStreams, BytesWrittenRightBeforeTheStreamGoesArrive) {
  auto sent = frame(100, 5);
  clientStream->write(sent.data(), sent.size()).wait(io.waitScope);  // batched, not yet written
  clientStream = nullptr;
  EXPECT_EQ(readExactly(sent.size()), sent);
  kj::byte more[4];
  EXPECT_EQ(serverStream->tryRead(more, 1, sizeof(more)).wait(io.waitScope), 0u);  // then EOF
}

TEST_F(BatchedPipeStreams, OrderHoldsAroundLargeWritesAndWhileThePeerReadsNothing) {
  // Small and large (> the 64 KiB gather limit) messages, 8 MiB in all: far more than the
  // pipe's buffer, written in a chain while the peer reads nothing for 200 ms, so batches wait
  // for room and later writes wait behind them.
  std::vector<uint32_t> sizes;
  for (uint32_t i = 0; i < 3000; ++i) sizes.push_back(i % 97 == 0 ? 70000 + i : 1 + (i * 53) % 2000);
  std::vector<std::vector<kj::byte>> messages;
  std::vector<kj::byte> sent;
  for (uint32_t i = 0; i < sizes.size(); ++i) {
    messages.push_back(frame(sizes[i], i));
    sent.insert(sent.end(), messages.back().begin(), messages.back().end());
  }
  kj::Promise<void> chain = kj::READY_NOW;
  for (auto& m : messages) {
    chain = chain.then([&] { return clientStream->write(m.data(), m.size()); });
  }
  auto writes = chain.fork();
  io.provider->getTimer().afterDelay(200 * kj::MILLISECONDS).wait(io.waitScope);
  EXPECT_FALSE(writes.addBranch().poll(io.waitScope)) << "8 MiB went into a pipe nobody reads";
  EXPECT_EQ(readExactly(sent.size()), sent);
  writes.addBranch().wait(io.waitScope);
}

TEST_F(BatchedPipeStreams, AWriteToAClosedPeerFails) {
  serverStream = nullptr;
  kj::byte buffer[16] = {};
  EXPECT_EQ(clientStream->tryRead(buffer, 1, sizeof(buffer)).wait(io.waitScope), 0u);
  // The first write may be taken into the turn's batch; writing the batch fails, and every
  // write after that fails with it.
  try {
    clientStream->write(buffer, sizeof(buffer)).wait(io.waitScope);
  } catch (const kj::Exception&) {
  }
  idle();
  EXPECT_ANY_THROW(clientStream->write(buffer, sizeof(buffer)).wait(io.waitScope));
}

}  // namespace
}  // namespace bitbridge
