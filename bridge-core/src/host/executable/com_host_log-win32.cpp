// A COM-activated host's log: kept in memory, then sent into the client's log pipe (see
// com_host_log-win32.h for why).
#include "host/executable/com_host_log-win32.h"

#include <windows.h>
#include <fcntl.h>
#include <io.h>

#include <cstdio>
#include <cstdint>
#include <string>

#include <spdlog/sinks/stdout_sinks.h>

#include "bitbridge/error.h"
#include "common/logging.h"
#include "common/platform/text-win32.h"

namespace bitbridge {
namespace {

// Lines kept until the client connects: the start-up says little (a COM host logs a handful of
// lines before its client connects), and a host nobody connects to has nobody to tell.
constexpr size_t kKeptLines = 64;
// The host's line format, which the client parses (parseHostLogLine): "<level>|<message>".
constexpr const char* kHostPattern = "%l|%v";

}  // namespace

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
  // libbitbridge-core's DllMain) asks GetStdHandle.
  ::SetStdHandle(STD_OUTPUT_HANDLE, reinterpret_cast<HANDLE>(::_get_osfhandle(1)));
  ::SetStdHandle(STD_ERROR_HANDLE, reinterpret_cast<HANDLE>(::_get_osfhandle(2)));
  // The kept lines first, then the pipe as the logger's sink (made now: spdlog's stderr sink
  // takes stderr's handle when it is made).
  for (const std::string& line : kept_->last_formatted()) {
    std::fwrite(line.data(), 1, line.size(), stderr);
  }
  std::fflush(stderr);
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  sink->set_pattern(kHostPattern);
  sinks_->set_sinks({sink});
}

}  // namespace bitbridge
