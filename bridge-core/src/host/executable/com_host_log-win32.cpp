// A COM-activated host's log: kept in memory, then sent into the client's log pipe (see
// com_host_log-win32.h for why).
#include "host/executable/com_host_log-win32.h"

#include <windows.h>
#include <fcntl.h>
#include <io.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>

#include <spdlog/sinks/base_sink.h>

#include "bitbridge/error.h"
#include "common/logging.h"
#include "common/platform/text-win32.h"

namespace bitbridge {
namespace {

// The logger's sink once the log pipe is connected: each record formatted and written with one
// WriteFile on the pipe's handle. Not spdlog's stderr sink, nor anything through the C runtime's
// stdio: a process started without standard handles (as COM starts a server) has its stdout and
// stderr FILEs marked "no console" by msvcrt at start-up, and making descriptor 2 the pipe later
// does not repair them. `handle` stays open as long as the process (it is descriptor 2's).
class PipeSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit PipeSink(HANDLE handle) : handle_(handle) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& message) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(message, formatted);
    writeAll(handle_, formatted.data(), formatted.size());
  }
  void flush_() override {}  // WriteFile on a pipe does not buffer

 private:
  HANDLE handle_;
};

// Lines kept until the client connects: the start-up says little (a COM host logs a handful of
// lines before its client connects), and a host nobody connects to has nobody to tell.
constexpr size_t kKeptLines = 64;
// The host's line format, which the client parses (parseHostLogLine): "<level>|<message>".
constexpr const char* kHostPattern = "%l|%v";

}  // namespace

void writeAll(HANDLE handle, const char* data, size_t size) {
  while (size > 0) {
    DWORD written = 0;
    DWORD chunk = static_cast<DWORD>(std::min<size_t>(size, 1u << 20));
    if (!::WriteFile(handle, data, chunk, &written, nullptr) || written == 0) return;  // gone
    data += written;
    size -= written;
  }
}

ComHostLog::ComHostLog()
    : sinks_(std::make_shared<spdlog::sinks::dist_sink_mt>()),
      kept_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(kKeptLines)) {
  // makeHostLogger's logger (level, flushing), its sink replaced by ours: nothing logs yet.
  logger_ = makeHostLogger();
  sinks_->add_sink(kept_);
  logger_->sinks().assign(1, sinks_);
  logger_->set_pattern(kHostPattern);
}

ComHostLog::~ComHostLog() = default;

void ComHostLog::sendTo(UniqueHandle pipe) {
  int fd = ::_open_osfhandle(reinterpret_cast<intptr_t>(pipe.get()), _O_WRONLY | _O_BINARY);
  if (fd < 0) {
    throw Error(ErrorKind::BadConfiguration,
                "the C runtime refused the log pipe's handle (_open_osfhandle)");
  }
  pipe.release();  // `fd` owns it now
  std::fflush(stdout);
  std::fflush(stderr);
  bool redirected = ::_dup2(fd, 1) == 0 && ::_dup2(fd, 2) == 0;
  ::_close(fd);
  if (!redirected) {
    throw Error(ErrorKind::BadConfiguration, "cannot make the log pipe stderr (_dup2)");
  }
  // The Win32 handles too: what writes without the C runtime (the exit announcement in
  // libbitbridge-core's DllMain, the crash handler) asks GetStdHandle.
  ::SetStdHandle(STD_OUTPUT_HANDLE, reinterpret_cast<HANDLE>(::_get_osfhandle(1)));
  HANDLE err = reinterpret_cast<HANDLE>(::_get_osfhandle(2));
  ::SetStdHandle(STD_ERROR_HANDLE, err);
  // What writes through the C runtime's stdio (a legacy DLL's printf): msvcrt marked the
  // stdout/stderr FILEs of a process started without standard handles "no console" (_file -2),
  // which _dup2 does not change; point them at descriptors 1 and 2. (The UCRT's FILE is opaque,
  // and bitbridge's own writes do not depend on this.)
#if !defined(_UCRT)
  stdout->_file = 1;
  stderr->_file = 2;
#endif
  // The kept lines first, then the pipe as the logger's sink.
  for (const std::string& line : kept_->last_formatted()) writeAll(err, line.data(), line.size());
  auto sink = std::make_shared<PipeSink>(err);
  sink->set_pattern(kHostPattern);
  sinks_->set_sinks({sink});
}

}  // namespace bitbridge
