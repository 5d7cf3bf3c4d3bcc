// shared-counter-client32 / shared-counter-client64: the same client, built for each bitness,
// adding to the one counter of a shared 32-bit host.
//
//   shared-counter-client64 [--name NAME] [--add N] [--idle-timeout MS] [component.so]
//
// The first client of NAME (default "shared-counter") starts the shared bitbridge-host32;
// every later one, of either bitness, connects to the same host and sees the count the others
// left. The host exits on its own once it has had no client for its idle timeout (default
// 5000 ms). Output (one fact per line, for people and for the example's test):
//   client: 64-bit pid 1234
//   host: 32-bit pid 1240 (shared host "shared-counter")
//   count: 3 -> 4 (+1)
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <bitbridge/host.h>

#include "counter.capnp.h"

#ifndef SHARED_COUNTER_COMPONENT
#error "SHARED_COUNTER_COMPONENT must be defined (path of libshared_counter_component.so)"
#endif

namespace {

void usage(const char* argv0) {
  std::fprintf(stderr, "usage: %s [--name NAME] [--add N] [--idle-timeout MS] [component.so]\n",
               argv0);
}

}  // namespace

int main(int argc, char** argv) {
  bitbridge::HostOptions options;
  options.component = SHARED_COUNTER_COMPONENT;
  options.sharedName = "shared-counter";
  int64_t add = 1;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--name" && i + 1 < argc) {
      options.sharedName = argv[++i];
    } else if (arg == "--add" && i + 1 < argc) {
      add = std::strtoll(argv[++i], nullptr, 10);
    } else if (arg == "--idle-timeout" && i + 1 < argc) {
      options.idleTimeout = std::chrono::milliseconds(std::strtol(argv[++i], nullptr, 10));
    } else if (!arg.empty() && arg[0] != '-') {
      options.component = arg;
    } else {
      usage(argv[0]);
      return 64;
    }
  }

  try {
    bitbridge::Runtime runtime;
    std::printf("client: %u-bit pid %u\n", unsigned(sizeof(void*) * 8), unsigned(getpid()));
    auto host = bitbridge::Host::connectShared(runtime, options);
    auto counter = host.activate<shared_counter::Counter>("counter");

    // Where the count lives, as the component itself reports it.
    auto before = host.wait(counter.getRequest().send());
    std::printf("host: %u-bit pid %u (shared host \"%s\")\n", unsigned(before.getPointerBits()),
                unsigned(before.getHostPid()), options.sharedName.c_str());

    auto increment = counter.incrementRequest();
    increment.setBy(add);
    int64_t after = host.wait(increment.send()).getCount();
    std::printf("count: %lld -> %lld (%+lld)\n", static_cast<long long>(before.getCount()),
                static_cast<long long>(after), static_cast<long long>(add));
    return 0;  // leaving only disconnects: the host keeps the count for the next client
  } catch (const std::exception& e) {  // bitbridge::Error too: its what() names cause and fix
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  } catch (const kj::Exception& e) {  // not expected (Host::wait translates); never uncaught
    std::fprintf(stderr, "error: %s\n", e.getDescription().cStr());
    return 1;
  }
}
