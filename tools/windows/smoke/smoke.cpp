// Windows toolchain smoke test: Cap'n Proto RPC round trips in one process, over an in-memory
// kj::newTwoWayPipe() and over the OS pipe of the async I/O provider (a loopback TCP socket pair
// on Windows, driven by KJ's IOCP event port), logged with header-only spdlog, plus a
// Boost.Interprocess windows_shared_memory segment. Prints the pointer width the server reports.
// Exit status 0 on success. Single-threaded; run under Wine by tools/windows/smoke.sh.
#include <winsock2.h>  // TCP_NODELAY, IPPROTO_TCP; before kj's headers pull in <windows.h>
#include <ws2tcpip.h>

#include <boost/interprocess/mapped_region.hpp>
#include <boost/interprocess/windows_shared_memory.hpp>
#include <capnp/rpc-twoparty.h>
#include <kj/async-io.h>
#include <kj/debug.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdint>
#include <string>

#include "smoke.capnp.h"

namespace {

constexpr unsigned kExpectedBits = SMOKE_POINTER_BITS;
constexpr int kRounds = 200;

class SmokeImpl final : public Smoke::Server {
 protected:
  kj::Promise<void> ping(PingContext context) override {
    auto results = context.getResults();
    results.setValue(context.getParams().getValue() + 1);
    results.setPointerBits(static_cast<uint32_t>(sizeof(void*) * 8));
    return kj::READY_NOW;
  }

  kj::Promise<void> fail(FailContext) override {
    KJ_FAIL_REQUIRE("smoke: expected failure");
  }
};

// Runs kRounds sequential calls from a client on `clientEnd` to a server on `serverEnd`, then one
// call that fails in the server; returns the mean time per successful call in microseconds.
// Throws on a wrong answer.
double roundTrips(const char* label, kj::AsyncIoStream& clientEnd, kj::AsyncIoStream& serverEnd,
                  kj::WaitScope& waitScope) {
  capnp::TwoPartyClient server(serverEnd, kj::heap<SmokeImpl>(), capnp::rpc::twoparty::Side::SERVER);
  capnp::TwoPartyClient client(clientEnd);
  auto smoke = client.bootstrap().castAs<Smoke>();

  auto first = smoke.pingRequest();
  first.setValue(41);
  auto reply = first.send().wait(waitScope);  // includes bootstrap, not timed
  KJ_REQUIRE(reply.getValue() == 42, reply.getValue());
  KJ_REQUIRE(reply.getPointerBits() == kExpectedBits, reply.getPointerBits());

  auto start = std::chrono::steady_clock::now();
  for (uint64_t i = 0; i < kRounds; ++i) {
    auto request = smoke.pingRequest();
    request.setValue(i);
    auto response = request.send().wait(waitScope);
    KJ_REQUIRE(response.getValue() == i + 1, i, response.getValue());
  }
  std::chrono::duration<double, std::micro> elapsed = std::chrono::steady_clock::now() - start;

  // An exception thrown in the server arrives as the failure of the client's call.
  auto failure = kj::runCatchingExceptions([&] { smoke.failRequest().send().wait(waitScope); });
  KJ_IF_MAYBE(e, failure) {
    KJ_REQUIRE(e->getDescription().endsWith("smoke: expected failure"), e->getDescription());
  } else {
    KJ_FAIL_REQUIRE("fail() returned normally");
  }
  double perCall = elapsed.count() / kRounds;
  spdlog::info("{}: {} round trips, {:.1f} us per call, server exception arrived as an RPC error; "
               "server pointer width: {} bits", label, kRounds, perCall, reply.getPointerBits());
  return perCall;
}

// A named shared-memory segment with a fixed-width header, written and read back through two
// mappings (the layout later shared by 32- and 64-bit processes, design.md §5 and §6).
void sharedMemory() {
  namespace bip = boost::interprocess;
  struct Header {
    uint64_t magic;
    uint64_t size;
  };
  static_assert(sizeof(Header) == 16, "fixed-width layout");
  std::string name = "bitbridge-smoke-" + std::to_string(GetCurrentProcessId());
  bip::windows_shared_memory segment(bip::create_only, name.c_str(), bip::read_write, 4096);
  bip::mapped_region writer(segment, bip::read_write);
  *static_cast<Header*>(writer.get_address()) = Header{0x6269746272696467u, 4096};
  bip::windows_shared_memory again(bip::open_only, name.c_str(), bip::read_only);
  bip::mapped_region reader(again, bip::read_only);
  auto* header = static_cast<const Header*>(reader.get_address());
  KJ_REQUIRE(header->magic == 0x6269746272696467u && header->size == 4096);
  spdlog::info("shared memory: windows_shared_memory segment {} mapped twice, header read back", name);
}

}  // namespace

int main() {
  try {
    spdlog::info("smoke: {}-bit process (built for {}-bit)", sizeof(void*) * 8, kExpectedBits);
    KJ_REQUIRE(sizeof(void*) * 8 == kExpectedBits);
    auto io = kj::setupAsyncIo();

    auto memoryPipe = kj::newTwoWayPipe();
    roundTrips("in-memory kj::newTwoWayPipe()", *memoryPipe.ends[0], *memoryPipe.ends[1],
               io.waitScope);

    // Nagle's algorithm plus delayed ACKs cost ~40 ms per call on a loopback TCP pair under
    // Wine (design.md §6); RPC wants every message sent at once.
    auto osPipe = io.provider->newTwoWayPipe();
    int one = 1;
    for (auto& end : osPipe.ends) end->setsockopt(IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    roundTrips("OS pipe (provider->newTwoWayPipe(), IOCP)", *osPipe.ends[0], *osPipe.ends[1],
               io.waitScope);

    sharedMemory();
    spdlog::info("pointer width: {} bits: ok", sizeof(void*) * 8);
    return 0;
  } catch (const kj::Exception& e) {
    spdlog::error("smoke failed: {}", kj::str(e).cStr());
  } catch (const std::exception& e) {
    spdlog::error("smoke failed: {}", e.what());
  }
  return 1;
}
