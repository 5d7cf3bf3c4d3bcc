#include <kj/async-io.h>
#include <spdlog/logger.h>

#include "bitbridge/host.h"
#include "common/bulk/bulk_segment.h"
#include "common/logging.h"

namespace bitbridge {

struct Runtime::Impl {
  kj::AsyncIoContext io;
  std::shared_ptr<spdlog::logger> logger;
};

Runtime::Runtime(RuntimeOptions options)
    : impl_(new Impl{kj::setupAsyncIo(),
                     options.logger ? std::move(options.logger) : makeStderrLogger("bitbridge")}) {
  // Shared-memory names left by bitbridge processes that died mid-allocation.
  if (int removed = removeStaleBulkNames()) {
    impl_->logger->info("removed {} stale bulk segment name(s) from /dev/shm", removed);
  }
}

Runtime::~Runtime() = default;

kj::WaitScope& Runtime::waitScope() { return impl_->io.waitScope; }
kj::AsyncIoContext& Runtime::io() { return impl_->io; }
const std::shared_ptr<spdlog::logger>& Runtime::logger() const { return impl_->logger; }

}  // namespace bitbridge
