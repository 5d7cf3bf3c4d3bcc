// Windows private channel: a named pipe with a random name. The host creates it (first
// instance, current user only, local only: named_pipe-win32.h) when it starts; the client connects,
// retrying until it exists, and requires its server to be the process it spawned. Nothing is
// inherited; when the host dies the pipe breaks and the client reads EOF.
#include <windows.h>

#include <kj/debug.h>

#include "bitbridge/error.h"
#include "common/process/child_process.h"
#include "common/transport/channel.h"
#include "common/transport/named_pipe-win32.h"
#include "wire/host_flags.h"

namespace bitbridge {
namespace {

class PipeChannel final : public PrivateChannel {
 public:
  PipeChannel() : name_(newPipeName("host")), state_(std::make_shared<PipeCutState>()) {}

  int childHandle() const override { return -1; }
  std::string hostSpec() const override { return host_flags::kPipePrefix + name_; }
  kj::Own<ChannelCutter> makeCutter() override { return makePipeCutter(state_); }

  kj::Own<kj::AsyncIoStream> connect(kj::AsyncIoContext& io, ChildProcess& host,
                                     std::chrono::milliseconds timeout) override {
    KJ_REQUIRE(!connected_, "PrivateChannel::connect called twice");
    connected_ = true;
    std::string label = "the host (pid " + std::to_string(host.pid()) + ")";
    auto stillStarting = [&]() {
      if (auto status = host.waitFor(std::chrono::milliseconds(0))) {
        std::string tail = host.outputTail();
        throw Error(ErrorKind::Disconnected,
                    label + " " + status->describe(" before opening its pipe") +
                        (tail.empty() ? std::string() : "; last host output:\n" + tail));
      }
    };
    auto pipe = connectPipeClient(name_, static_cast<uint32_t>(host.pid()), timeout, stillStarting,
                                  label);
    return wrapPipe(io.win32EventPort, kj::mv(pipe), state_, PipeWrites::PerLoopTurn);
  }

 private:
  std::string name_;
  std::shared_ptr<PipeCutState> state_;
  bool connected_ = false;
};

}  // namespace

kj::Own<PrivateChannel> makePrivateChannel(int) { return kj::heap<PipeChannel>(); }

kj::Own<kj::AsyncIoStream> openHostChannel(const std::string& spec, kj::AsyncIoContext& io,
                                           std::chrono::milliseconds connectTimeout) {
  const std::string prefix = host_flags::kPipePrefix;
  if (spec.compare(0, prefix.size(), prefix) != 0 || spec.size() == prefix.size()) {
    throw Error(ErrorKind::BadConfiguration, "unknown channel '" + spec + "'",
                "hosts are started by the bitbridge client library, which passes "
                "--channel pipe:<name>");
  }
  std::string name = spec.substr(prefix.size());
  auto pipe = createPipeServer(name);
  if (!waitForPipeClient(pipe.get(), connectTimeout)) {
    throw Error(ErrorKind::TimedOut,
                "no client connected to " + name + " within " +
                    std::to_string(connectTimeout.count()) + " ms",
                "hosts are started by the bitbridge client library, which connects at once");
  }
  return wrapPipe(io.win32EventPort, kj::mv(pipe));
}

}  // namespace bitbridge
