// The probe component: a real component (built for x86 and x86_64) whose methods let tests
// observe the host process it runs in and provoke each failure mode on purpose.
#include <chrono>
#include <stdexcept>
#include <thread>

#include <bitbridge/bulk.h>
#include <bitbridge/component.h>
#include <spdlog/logger.h>

#include "probe.capnp.h"
#include "probe_pattern.h"
#include "probe_platform.h"

using probe::probeChecksum;
using probe::probeFill;

namespace {

class ProbeImpl final : public probe::Probe::Server {
 public:
  explicit ProbeImpl(bitbridge::ComponentContext& context) : context_(context) {}

 protected:
  kj::Promise<void> whoami(WhoamiContext context) override {
    context.getResults().setPid(probe::processId());
    context.getResults().setPointerBits(static_cast<uint8_t>(sizeof(void*) * 8));
    return kj::READY_NOW;
  }
  kj::Promise<void> echo(EchoContext context) override {
    context.getResults().setData(context.getParams().getData());
    return kj::READY_NOW;
  }
  kj::Promise<void> fail(FailContext context) override {
    throw std::runtime_error(std::string(context.getParams().getMessage().cStr()));
  }
  kj::Promise<void> crash(CrashContext context) override {
    context_.logger().error("probe: about to raise signal {}", context.getParams().getSignal());
    probe::crashWith(context.getParams().getSignal());
  }
  kj::Promise<void> sleep(SleepContext context) override {
    std::this_thread::sleep_for(std::chrono::milliseconds(context.getParams().getMilliseconds()));
    return kj::READY_NOW;
  }
  kj::Promise<void> log(LogContext context) override {
    context_.logger().info("probe: {}", context.getParams().getMessage().cStr());
    return kj::READY_NOW;
  }
  kj::Promise<void> exitNow(ExitNowContext context) override {
    probe::exitAtOnce(context.getParams().getCode());
  }
  kj::Promise<void> sleepOffThread(SleepOffThreadContext context) override {
    unsigned ms = context.getParams().getMilliseconds();
    return bitbridge::offload(context_,
                              [ms] {
                                std::this_thread::sleep_for(std::chrono::milliseconds(ms));
                                return probe::threadId();
                              })
        .then([context](uint32_t tid) mutable { context.getResults().setThreadId(tid); });
  }
  kj::Promise<void> forkSleeper(ForkSleeperContext context) override {
    context.getResults().setPid(probe::startSleeper(context.getParams().getMilliseconds()));
    return kj::READY_NOW;
  }
  kj::Promise<void> checksum(ChecksumContext context) override {
    auto ref = bitbridge::fromWire(context.getParams().getData());
    uint64_t sum = 0, windows = 0;
    context_.bulk().forEachWindow(ref, context.getParams().getWindow(),
                                  [&](bitbridge::BulkView& view, uint64_t offset) {
                                    sum += probeChecksum(view.bytes(), offset);
                                    ++windows;
                                  });
    context.getResults().setSum(sum);
    context.getResults().setWindows(windows);
    return kj::READY_NOW;
  }
  kj::Promise<void> fill(FillContext context) override {
    auto ref = bitbridge::fromWire(context.getParams().getData());
    uint64_t seed = context.getParams().getSeed();
    context_.bulk().forEachWindow(ref, 0, [&](bitbridge::BulkView& view, uint64_t offset) {
      probeFill(view.bytes(), offset, seed);
    });
    return kj::READY_NOW;
  }
  kj::Promise<void> fillLater(FillLaterContext context) override {
    uint32_t ms = context.getParams().getMilliseconds();
    return bitbridge::offload(context_,
                              [ms] { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); })
        .then([this, context]() mutable {
          auto ref = bitbridge::fromWire(context.getParams().getData());
          uint64_t seed = context.getParams().getSeed();
          context_.bulk().forEachWindow(ref, 0, [&](bitbridge::BulkView& view, uint64_t offset) {
            probeFill(view.bytes(), offset, seed);
          });
        });
  }
  kj::Promise<void> viewWhole(ViewWholeContext context) override {
    auto view = context_.bulk().view(bitbridge::fromWire(context.getParams().getData()));
    context.getResults().setFirstByte(view.size() ? view.data()[0] : 0);
    return kj::READY_NOW;
  }

 private:
  bitbridge::ComponentContext& context_;
};

}  // namespace

// "probe-alias" declares itself thread-safe: its offloaded work may overlap (kClassConcurrent).
BITBRIDGE_COMPONENT(bitbridge::serve<ProbeImpl>("probe"),
                    bitbridge::serve<ProbeImpl>("probe-alias", bitbridge::kClassConcurrent))
