// greeter_client COMPONENT [LEGACY_LIBRARY]: a 64-bit program calling the greeter library through bitbridge.
//
// It spawns a private host of the component's bitness (picked from its ELF or PE header; found
// from the libbitbridge-core it loaded) with the component loaded, and calls it over Cap'n Proto.
// LEGACY_LIBRARY, the vendor library next to the component, has its header checked too.
#include <unistd.h>

#include <cstdio>
#include <string>

#include <bitbridge/error.h>
#include <bitbridge/host.h>

#include "greeter.capnp.h"

int main(int argc, char** argv) {
  if (argc != 2 && argc != 3) {
    std::fprintf(stderr, "usage: greeter_client COMPONENT [LEGACY_LIBRARY]\n");
    return 2;
  }
  try {
    bitbridge::Runtime runtime;
    std::printf("client: %u-bit pid %u\n", unsigned(sizeof(void*) * 8), unsigned(getpid()));

    bitbridge::HostOptions options;
    options.component = argv[1];
    if (argc == 3) options.legacyLibrary = argv[2];
    auto host = bitbridge::Host::spawn(runtime, options);
    auto info = host.info();
    std::printf("host: %u-bit pid %u\n", info.pointerBits, unsigned(info.pid));

    {
      auto greeter = host.activate<greeter::Greeter>("greeter");
      auto bits = host.wait(greeter.bitsRequest().send());
      std::printf("component: %u-bit\n", unsigned(bits.getPointerBits()));

      auto request = greeter.shoutRequest();
      request.setText("hello from 64-bit");
      auto reply = host.wait(request.send());
      std::printf("shout: %s\n", reply.getShouted().cStr());

      // The component's error arrives as the Error it threw; the host keeps serving.
      auto refusal = greeter.refuseRequest();
      refusal.setText("stranger");
      try {
        host.wait(refusal.send());
        std::printf("refuse: returned instead of failing\n");
        return 1;
      } catch (const bitbridge::Error& e) {
        std::printf("refuse: %s: %s (fix: %s)\n", std::string(bitbridge::errorKindName(e.kind())).c_str(),
                    e.message().c_str(), e.hint().c_str());
      }
      auto again = greeter.shoutRequest();
      again.setText("still here");
      auto second = host.wait(again.send());
      std::printf("after error: %s from host pid %u\n", second.getShouted().cStr(),
                  unsigned(host.info().pid));
    }  // capabilities released before the host is shut down

    host.shutdown();
    return 0;
  } catch (const bitbridge::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
