// The KJ stream over a connected named pipe (wrapPipe, named_pipe-win32.h), and its cutter.
//
// Why it is shaped this way (docs/windows.md, "The pipe stream"; figures in
// docs/performance.md): under Wine every ReadFile, WriteFile and every I/O completion dequeued
// from the port is a round trip to wineserver, and those round trips, not the bytes, are what
// a small call costs. So the stream
//   - reads into a buffer of its own (kReadBufferBytes) and serves tryRead from it: Cap'n Proto
//     reads a message as a segment table then its segments, and RPC sends Finish right before
//     the next Call, so one ReadFile usually fetches several reads' worth; reads of at least
//     the buffer's size go straight into the caller's memory (large messages are not copied);
//   - asks for no completion packet when an operation completes at once
//     (FILE_SKIP_COMPLETION_PORT_ON_SUCCESS): a write into the pipe's buffer and a read of data
//     already there then cost one request, not three (issue, dequeue, wake-up);
//   - gathers the pieces of a small message into one WriteFile;
//   - on a client's end (PipeWrites::PerLoopTurn), also gathers the small messages written in
//     one run of the event loop into one WriteFile, issued when the loop is about to wait
//     (kj::evalLast). A client's RPC writes the last call's `Finish` and the next `Call`
//     in the same run (the response is dropped between two waits): one WriteFile for both, and
//     the host finds both in one read. Such a write completes at once for its caller; what it
//     leaves unsent when the stream goes is written, within a bound, by the destructor.
//     A host's end writes at once: it writes one message per call, and deferring its `Return`
//     behind its next read's ReadFile would delay the answer.
// Semantics are those of a socket stream: EOF when the peer closes its end; a cut (cutter)
// fails pending and later operations DISCONNECTED; cancelling a promise cancels its I/O (KJ's
// IoPromiseAdapter waits for the cancellation before the OVERLAPPED and buffer can go).
//
// Thread: the event loop's thread only. At most one read and one write are pending at a time
// (KJ's stream contract; with PerLoopTurn, a write is pending while an earlier turn's batch
// waits for room in the pipe); each has its own OVERLAPPED inside KJ's IoOperation.
//
// Counters: with BITBRIDGE_PIPE_STATS=<file> in the environment, each stream appends one line of
// counts to <file> when it is destroyed (reads/writes issued, completed at once, pending,
// served from the buffer, bytes): how the I/O of a run was measured.
#include <windows.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <kj/async.h>
#include <kj/debug.h>
#include <kj/vector.h>

#include "common/platform/text-win32.h"
#include "common/transport/named_pipe-win32.h"

namespace bitbridge {
namespace {

// Bigger than any small message and than the default pipe buffer's typical chunk; reads of at
// least this many bytes bypass it.
constexpr size_t kReadBufferBytes = 64 * 1024;
// Messages up to this size are gathered into one WriteFile; larger ones are written piece by
// piece (copying them would cost more than the extra completions).
constexpr size_t kGatherLimit = 64 * 1024;
// PerLoopTurn: a batch is written before it grows past this (a turn that sends many calls at
// once must not copy them all first).
constexpr size_t kBatchLimit = 256 * 1024;

bool isEndOfStream(DWORD error) {
  return error == ERROR_BROKEN_PIPE || error == ERROR_PIPE_NOT_CONNECTED || error == ERROR_NO_DATA ||
         error == ERROR_HANDLE_EOF;
}

class PipeCutter final : public ChannelCutter {
 public:
  explicit PipeCutter(std::shared_ptr<PipeCutState> state) : state_(std::move(state)) {}
  void cut() override {
    state_->cut = true;
    // Pending reads and writes complete with ERROR_OPERATION_ABORTED, and fail as cut.
    if (state_->handle != nullptr) ::CancelIoEx(state_->handle, nullptr);
  }

 private:
  std::shared_ptr<PipeCutState> state_;
};

struct PipeCounters {
  uint64_t tryReads = 0;        // tryRead calls
  uint64_t fromBuffer = 0;      // ... satisfied from the buffer without a ReadFile
  uint64_t readFiles = 0;       // ReadFile calls
  uint64_t readsAtOnce = 0;     // ... completed at once (no completion packet)
  uint64_t readsPending = 0;    // ... completed through the port
  uint64_t bytesRead = 0;
  uint64_t writeFiles = 0;
  uint64_t writesAtOnce = 0;
  uint64_t writesPending = 0;
  uint64_t bytesWritten = 0;
  uint64_t batched = 0;         // writes held for the loop turn's batch (PerLoopTurn)
  uint64_t batches = 0;         // ... batches written
};

// How long a stream being destroyed waits for room in the pipe to write what its callers were
// told was written (PerLoopTurn). Only a full pipe waits at all (a peer that has left the pipe's
// whole buffer unread); such a peer loses the rest, as it would lose a write still pending when
// the stream goes, and the destructor does not hang on it.
constexpr DWORD kCloseFlushWaitMs = 250;

class PipeStream final : public kj::AsyncIoStream, private kj::TaskSet::ErrorHandler {
 public:
  PipeStream(kj::Win32EventPort& port, UniqueHandle pipe, std::shared_ptr<PipeCutState> state,
             PipeWrites writes)
      : batching_(writes == PipeWrites::PerLoopTurn),
        pipe_(kj::mv(pipe)),
        observer_(port.observeIo(pipe_.get())),
        state_(state ? std::move(state) : std::make_shared<PipeCutState>()),
        readBuffer_(kj::heapArray<kj::byte>(kReadBufferBytes)) {
    state_->handle = pipe_.get();
    // After observeIo (the handle is on the port). If the mode cannot be set, operations that
    // complete at once still queue a packet, and we wait for it as for any other.
    skipPacketOnSuccess_ = ::SetFileCompletionNotificationModes(
                               pipe_.get(), FILE_SKIP_COMPLETION_PORT_ON_SUCCESS |
                                                FILE_SKIP_SET_EVENT_ON_HANDLE) != 0;
    if (const char* file = std::getenv("BITBRIDGE_PIPE_STATS")) statsFile_ = file;
    auto paf = kj::newPromiseAndFulfiller<void>();
    disconnected_ = paf.promise.fork();
    onDisconnect_ = kj::mv(paf.fulfiller);
  }
  ~PipeStream() noexcept(false) {
    writeBatchBeforeClose();
    state_->handle = nullptr;
    if (!statsFile_.empty()) writeStats();
  }

  kj::Promise<size_t> tryRead(void* buffer, size_t minBytes, size_t maxBytes) override {
    ++counters_.tryReads;
    checkNotCut();  // also with bytes buffered: a cut channel fails every read
    auto* out = static_cast<kj::byte*>(buffer);
    size_t done = takeBuffered(out, maxBytes);
    if (done >= minBytes && done > 0) ++counters_.fromBuffer;
    return readMore(out, minBytes, maxBytes, done);
  }

  kj::Promise<void> write(const void* buffer, size_t size) override {
    auto* bytes = static_cast<const kj::byte*>(buffer);
    if (batching_) {
      // The piece list must outlive a write that waits (the bytes are the caller's to keep).
      auto piece = kj::heapArray<kj::ArrayPtr<const kj::byte>>(1);
      piece[0] = kj::arrayPtr(bytes, size);
      auto promise = batchedWrite(piece, size);
      return promise.attach(kj::mv(piece));
    }
    return writeAll(bytes, size);
  }

  kj::Promise<void> write(kj::ArrayPtr<const kj::ArrayPtr<const kj::byte>> pieces) override {
    // Cap'n Proto writes a message as a segment table plus segments: one WriteFile instead of
    // one per piece, by gathering small messages into one buffer.
    size_t total = 0;
    for (auto& piece : pieces) total += piece.size();
    if (batching_) return batchedWrite(pieces, total);
    if (pieces.size() == 1) return writeAll(pieces[0].begin(), pieces[0].size());
    if (total <= kGatherLimit) {
      auto gathered = kj::heapArray<kj::byte>(total);
      size_t at = 0;
      for (auto& piece : pieces) {
        std::memcpy(gathered.begin() + at, piece.begin(), piece.size());
        at += piece.size();
      }
      auto promise = writeAll(gathered.begin(), gathered.size());
      return promise.attach(kj::mv(gathered));
    }
    return writePieces(pieces, 0);
  }

  kj::Promise<void> whenWriteDisconnected() override { return disconnected_.addBranch(); }

  // Pipes have no half-close; the peer reads EOF once this stream is destroyed.
  void shutdownWrite() override {}

  HANDLE handle() const { return pipe_.get(); }

 private:
  // PerLoopTurn: a small write joins this turn's batch and completes at once; the batch is
  // written when the loop is about to wait. A large one waits for the batch, then goes alone.
  // While an earlier batch waits for room in the pipe, a write waits for it too, so a peer
  // that reads nothing holds up the writer instead of growing the batch.
  kj::Promise<void> batchedWrite(kj::ArrayPtr<const kj::ArrayPtr<const kj::byte>> pieces, size_t total) {
    checkNotCut();
    KJ_IF_MAYBE(e, writeError_) { return kj::cp(*e); }
    forgetFinishedBatch();
    if (total > kGatherLimit || batchInFlight_ != nullptr || batch_.size() + total > kBatchLimit) {
      return writeBatchNow().then([this, pieces, total]() -> kj::Promise<void> {
        if (total > kGatherLimit) return writePieces(pieces, 0);
        return batchedWrite(pieces, total);
      });
    }
    for (auto& piece : pieces) batch_.addAll(piece);
    ++counters_.batched;
    if (!batchScheduled_) {
      batchScheduled_ = true;
      tasks_.add(kj::evalLast([this]() {
        batchScheduled_ = false;
        return writeBatchNow();
      }));
    }
    return kj::READY_NOW;
  }

  // Writes the batch (after the one in flight, if any); resolves when it is in the pipe.
  kj::Promise<void> writeBatchNow() {
    forgetFinishedBatch();
    KJ_IF_MAYBE(inFlight, batchInFlight_) {
      return inFlight->addBranch().then([this]() { return writeBatchNow(); });
    }
    if (batch_.empty()) return kj::READY_NOW;
    KJ_IF_MAYBE(e, writeError_) { return kj::cp(*e); }
    auto bytes = batch_.releaseAsArray();
    ++counters_.batches;
    KJ_IF_MAYBE(rest, startWrite(bytes.begin(), bytes.size())) {
      // Waits for room in the pipe (or failed): later writes wait behind it.
      batchFinished_ = false;
      batchInFlight_ = rest->attach(kj::mv(bytes))
                           .then([this]() { batchFinished_ = true; },
                                 [this](kj::Exception&& e) {
                                   batchFinished_ = true;
                                   kj::throwFatalException(kj::mv(e));
                                 })
                           .fork();
      return KJ_ASSERT_NONNULL(batchInFlight_).addBranch();
    }
    return kj::READY_NOW;  // in the pipe already: the usual case
  }

  // A finished batch's fork is dropped here, not in its own continuation (which runs inside it).
  void forgetFinishedBatch() {
    if (batchFinished_) {
      batchInFlight_ = nullptr;
      batchFinished_ = false;
    }
  }

  // A batch write that failed with nobody waiting for it: later writes fail with its error (the
  // reads see the broken pipe too).
  void taskFailed(kj::Exception&& exception) override {
    if (writeError_ == nullptr) writeError_ = kj::mv(exception);
  }

  // In the destructor: what callers were told was written goes out now, waiting at most
  // kCloseFlushWaitMs for room. Not through the port (the stream is going): an event whose low
  // bit is set keeps the completion off the port. A batch still waiting for room is cancelled
  // with the stream, as a pending write always was.
  void writeBatchBeforeClose() {
    forgetFinishedBatch();
    if (!batching_ || batch_.empty() || state_->cut || writeError_ != nullptr ||
        batchInFlight_ != nullptr) {
      return;
    }
    HANDLE event = ::CreateEventW(nullptr, TRUE, FALSE, nullptr);
    if (event == nullptr) return;
    const kj::byte* data = batch_.begin();
    size_t size = batch_.size();
    while (size > 0) {
      OVERLAPPED overlapped{};
      overlapped.hEvent = reinterpret_cast<HANDLE>(reinterpret_cast<ULONG_PTR>(event) | 1);
      DWORD bytes = 0;
      if (!::WriteFile(pipe_.get(), data, static_cast<DWORD>(std::min<size_t>(size, 1u << 30)),
                       nullptr, &overlapped)) {
        if (::GetLastError() != ERROR_IO_PENDING) break;
        if (::WaitForSingleObject(event, kCloseFlushWaitMs) != WAIT_OBJECT_0) {
          ::CancelIoEx(pipe_.get(), &overlapped);
        }
      }
      if (!::GetOverlappedResult(pipe_.get(), &overlapped, &bytes, TRUE) || bytes == 0) break;
      data += bytes;
      size -= bytes;
    }
    ::CloseHandle(event);
    batch_.clear();
  }
  void checkNotCut() {
    if (state_->cut) {
      kj::throwFatalException(KJ_EXCEPTION(DISCONNECTED, "bitbridge: channel cut (peer gone)"));
    }
  }

  void sawDisconnect() {
    if (onDisconnect_->isWaiting()) onDisconnect_->fulfill();
  }

  // Moves up to `max` buffered bytes to `out`; returns how many.
  size_t takeBuffered(kj::byte* out, size_t max) {
    size_t n = std::min(max, readEnd_ - readStart_);
    if (n > 0) {
      std::memcpy(out, readBuffer_.begin() + readStart_, n);
      readStart_ += n;
      if (readStart_ == readEnd_) readStart_ = readEnd_ = 0;
    }
    return n;
  }

  // Reads until `done` >= `minBytes` (or EOF). The buffer is empty whenever a ReadFile is issued.
  kj::Promise<size_t> readMore(kj::byte* buffer, size_t minBytes, size_t maxBytes, size_t done) {
    for (;;) {
      if (done >= minBytes || eof_) return done;
      checkNotCut();
      KJ_ASSERT(readStart_ == readEnd_);
      const size_t want = maxBytes - done;
      const bool direct = want >= kReadBufferBytes;
      kj::byte* target = direct ? buffer + done : readBuffer_.begin();
      DWORD chunk = static_cast<DWORD>(direct ? std::min<size_t>(want, 1u << 30) : kReadBufferBytes);
      auto operation = observer_->newOperation(0);
      ++counters_.readFiles;
      if (::ReadFile(pipe_.get(), target, chunk, nullptr, operation->getOverlapped())) {
        if (skipPacketOnSuccess_) {
          // Completed at once and no packet will come: the operation is just dropped.
          ++counters_.readsAtOnce;
          DWORD bytes = static_cast<DWORD>(operation->getOverlapped()->InternalHigh);
          done += absorbCounted(direct, bytes, buffer + done, maxBytes - done);
          continue;
        }
      } else {
        DWORD error = ::GetLastError();
        // Failed at once: no completion will be queued, so the operation is just dropped.
        if (error != ERROR_IO_PENDING) return readFailed(error, done);
      }
      ++counters_.readsPending;
      auto completion = operation->onComplete();
      return completion.attach(kj::mv(operation))
          .then([this, buffer, minBytes, maxBytes, done,
                 direct](kj::Win32EventPort::IoResult result) -> kj::Promise<size_t> {
            if (result.errorCode != ERROR_SUCCESS) return readFailed(result.errorCode, done);
            size_t now = done + absorbCounted(direct, result.bytesTransferred, buffer + done,
                                              maxBytes - done);
            return readMore(buffer, minBytes, maxBytes, now);
          });
    }
  }

  // Takes the bytes a completed ReadFile delivered: already in the caller's memory (`direct`),
  // or in the buffer, of which up to `max` go to `out`. Returns how many the caller got.
  size_t absorbCounted(bool direct, DWORD bytes, kj::byte* out, size_t max) {
    counters_.bytesRead += bytes;
    if (direct) return bytes;
    readStart_ = 0;
    readEnd_ = bytes;
    return takeBuffered(out, max);
  }

  kj::Promise<size_t> readFailed(DWORD error, size_t done) {
    checkNotCut();
    if (isEndOfStream(error)) {
      eof_ = true;
      sawDisconnect();
      return done;
    }
    sawDisconnect();
    return KJ_EXCEPTION(DISCONNECTED, "bitbridge: reading the pipe failed", win32ErrorText(error));
  }

  kj::Promise<void> writeAll(const kj::byte* data, size_t size) {
    KJ_IF_MAYBE(rest, startWrite(data, size)) { return kj::mv(*rest); }
    return kj::READY_NOW;
  }

  // Issues WriteFiles until `data` is all in the pipe (null: done, nothing pending) or one is
  // pending (a promise for the rest; a failure is a rejected promise).
  kj::Maybe<kj::Promise<void>> startWrite(const kj::byte* data, size_t size) {
    for (;;) {
      if (size == 0) return nullptr;
      checkNotCut();
      auto operation = observer_->newOperation(0);
      DWORD chunk = static_cast<DWORD>(std::min<size_t>(size, 1u << 30));
      ++counters_.writeFiles;
      if (::WriteFile(pipe_.get(), data, chunk, nullptr, operation->getOverlapped())) {
        if (skipPacketOnSuccess_) {
          ++counters_.writesAtOnce;
          DWORD bytes = static_cast<DWORD>(operation->getOverlapped()->InternalHigh);
          counters_.bytesWritten += bytes;
          data += bytes;
          size -= bytes;
          continue;
        }
      } else {
        DWORD error = ::GetLastError();
        if (error != ERROR_IO_PENDING) return kj::Maybe<kj::Promise<void>>(writeFailed(error));
      }
      ++counters_.writesPending;
      auto completion = operation->onComplete();
      return kj::Maybe<kj::Promise<void>>(completion.attach(kj::mv(operation))
          .then([this, data, size](kj::Win32EventPort::IoResult result) -> kj::Promise<void> {
            if (result.errorCode != ERROR_SUCCESS) return writeFailed(result.errorCode);
            counters_.bytesWritten += result.bytesTransferred;
            return writeAll(data + result.bytesTransferred, size - result.bytesTransferred);
          }));
    }
  }

  kj::Promise<void> writePieces(kj::ArrayPtr<const kj::ArrayPtr<const kj::byte>> pieces, size_t i) {
    if (i == pieces.size()) return kj::READY_NOW;
    return writeAll(pieces[i].begin(), pieces[i].size()).then([this, pieces, i]() {
      return writePieces(pieces, i + 1);
    });
  }

  kj::Promise<void> writeFailed(DWORD error) {
    checkNotCut();
    sawDisconnect();
    return KJ_EXCEPTION(DISCONNECTED, "bitbridge: writing the pipe failed", win32ErrorText(error));
  }

  void writeStats() const {
    std::FILE* out = std::fopen(statsFile_.c_str(), "a");
    if (out == nullptr) return;
    const PipeCounters& c = counters_;
    std::fprintf(out,
                 "pid %lu bits %u skip %d: tryRead %llu (from buffer %llu) ReadFile %llu (at once "
                 "%llu, pending %llu) bytes %llu; WriteFile %llu (at once %llu, pending %llu) "
                 "bytes %llu; batched writes %llu in %llu batches\n",
                 static_cast<unsigned long>(::GetCurrentProcessId()),
                 static_cast<unsigned>(sizeof(void*) * 8), skipPacketOnSuccess_ ? 1 : 0,
                 static_cast<unsigned long long>(c.tryReads),
                 static_cast<unsigned long long>(c.fromBuffer),
                 static_cast<unsigned long long>(c.readFiles),
                 static_cast<unsigned long long>(c.readsAtOnce),
                 static_cast<unsigned long long>(c.readsPending),
                 static_cast<unsigned long long>(c.bytesRead),
                 static_cast<unsigned long long>(c.writeFiles),
                 static_cast<unsigned long long>(c.writesAtOnce),
                 static_cast<unsigned long long>(c.writesPending),
                 static_cast<unsigned long long>(c.bytesWritten),
                 static_cast<unsigned long long>(c.batched),
                 static_cast<unsigned long long>(c.batches));
    std::fclose(out);
  }

  const bool batching_;  // PipeWrites::PerLoopTurn
  UniqueHandle pipe_;
  kj::Own<kj::Win32EventPort::IoObserver> observer_;
  std::shared_ptr<PipeCutState> state_;
  bool skipPacketOnSuccess_ = false;
  // Bytes read ahead of the caller: [readStart_, readEnd_) of readBuffer_.
  kj::Array<kj::byte> readBuffer_;
  size_t readStart_ = 0;
  size_t readEnd_ = 0;
  bool eof_ = false;
  kj::ForkedPromise<void> disconnected_ = nullptr;
  kj::Own<kj::PromiseFulfiller<void>> onDisconnect_;
  PipeCounters counters_;
  std::string statsFile_;
  // PerLoopTurn: this turn's batch; the batch written earlier while it waits for room in the
  // pipe (batchFinished_ once it is done: dropped at the next use); a write that failed with
  // nobody waiting; whether the loop-turn write is scheduled.
  kj::Vector<kj::byte> batch_;
  kj::Maybe<kj::ForkedPromise<void>> batchInFlight_;
  bool batchFinished_ = false;
  kj::Maybe<kj::Exception> writeError_;
  bool batchScheduled_ = false;
  // Last: destroyed first, cancelling a scheduled batch write before the members it uses go.
  kj::TaskSet tasks_{*this};
};

}  // namespace

kj::Own<ChannelCutter> makePipeCutter(std::shared_ptr<PipeCutState> state) {
  return kj::heap<PipeCutter>(std::move(state));
}

kj::Own<kj::AsyncIoStream> wrapPipe(kj::Win32EventPort& port, UniqueHandle pipe,
                                    std::shared_ptr<PipeCutState> state, PipeWrites writes) {
  return kj::heap<PipeStream>(port, kj::mv(pipe), std::move(state), writes);
}

HANDLE pipeHandleOf(kj::AsyncIoStream& stream) {
  auto* pipe = dynamic_cast<PipeStream*>(&stream);
  return pipe == nullptr ? nullptr : pipe->handle();
}

}  // namespace bitbridge
