// A COM-activated host's log (Windows only; com_server-win32.cpp). COM starts the host with
// -Embedding and no standard handles of its client's, so the host's stderr, where a spawned host
// writes its log, would go nowhere. Instead the host names a log pipe in its activation endpoint
// (com_ids.h); until its client connects to that pipe the log lines are kept in memory, and once
// it is connected the pipe becomes this process's stdout and stderr (the C runtime's descriptors
// 1 and 2 and the Win32 standard handles), the kept lines are written to it first, and the logger
// writes there from then on. So do the crash handler (host_platform-win32.cpp), libbitbridge-core's
// exit announcement (exit_announcement.h) and whatever a component prints: the client reads the
// pipe exactly as it reads a spawned host's output pipe.
//
// Lifetime: one per COM host process, created first thing in the -Embedding mode and kept until
// the process exits. Thread: sendTo() on the main thread before serving (the logger itself may
// be used from any thread, before and after).
#pragma once

#include <memory>

#include <spdlog/logger.h>
#include <spdlog/sinks/dist_sink.h>
#include <spdlog/sinks/ringbuffer_sink.h>

#include "common/platform/handle-win32.h"

namespace bitbridge {

/// Writes all of `data` to `handle` with blocking WriteFile calls; stops quietly when the reader
/// is gone (a log has nobody else to tell).
void writeAll(HANDLE handle, const char* data, size_t size);

class ComHostLog {
 public:
  /// The host's logger (level from $BITBRIDGE_LOG, as makeHostLogger's), keeping its lines.
  ComHostLog();
  ~ComHostLog();
  ComHostLog(const ComHostLog&) = delete;
  ComHostLog& operator=(const ComHostLog&) = delete;

  const std::shared_ptr<spdlog::logger>& logger() const { return logger_; }

  /// Makes `pipe` (the connected server end of a PipeMode::BlockingLog pipe, taken over) this
  /// process's stdout and stderr and the logger's only sink, after writing the lines kept so far
  /// to it. Throws Error{BadConfiguration} when the C runtime refuses the handle (the log then
  /// stays in memory only).
  void sendTo(UniqueHandle pipe);

 private:
  std::shared_ptr<spdlog::sinks::dist_sink_mt> sinks_;
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> kept_;
  std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace bitbridge
