// COM exists on Windows only: a Linux host refuses Host.createComObject with a clear error.
#include "host/com/com_host.h"

#include "bitbridge/error.h"

namespace bitbridge {
namespace {

class NoComHost final : public ComHost {
 public:
  kj::Promise<capnp::Capability::Client> create(const std::string& classId,
                                                const std::string&, const std::string&) override {
    throwAsKj(Error(ErrorKind::Unimplemented,
                    "cannot create COM class " + classId + ": COM objects are served by "
                    "Windows hosts only",
                    "run the client on Windows (or under Wine) with a Windows host"));
  }
};

}  // namespace

std::shared_ptr<ComHostState> makeComHostState() { return std::make_shared<ComHostState>(); }

std::unique_ptr<ComHost> makeComHost(std::shared_ptr<spdlog::logger>,
                                     std::shared_ptr<ComHostState>) {
  return std::make_unique<NoComHost>();
}

}  // namespace bitbridge
