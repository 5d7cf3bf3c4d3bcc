// greeter_bind_client LIBRARY: a 64-bit program calling the greeter vendor library with no
// component: the host of the library's bitness (picked from its header) binds it from
// greeter_bind.capnp and calls its functions through libffi. Linux and Windows.
#include <cstdio>
#include <string>

#include <bitbridge/error.h>
#include <bitbridge/host.h>

#include "greeter_bind.capnp.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: greeter_bind_client LIBRARY\n");
    return 2;
  }
  try {
    bitbridge::Runtime runtime;
    bitbridge::HostOptions options;
    options.legacyLibrary = argv[1];
    auto host = bitbridge::Host::spawn(runtime, options);
    std::printf("host: %u-bit pid %u\n", host.info().pointerBits, unsigned(host.pid()));
    {
      auto library = host.bind<greeter_bind::GreeterLibrary>(argv[1]);
      std::printf("library: %d-bit\n", host.wait(library.bitsRequest().send()).getResult());
      auto request = library.shoutRequest();
      request.setText("bound without a component");
      request.setOutlen(64);
      auto reply = host.wait(request.send());
      std::printf("shout: %s (%d)\n", reply.getOut().cStr(), reply.getResult());

      // The unhappy paths a user meets first: each is an Error naming the cause, and the
      // host serves on.
      try {
        host.bind<greeter_bind::GreeterMisnamed>(argv[1]);
        std::printf("misnamed: bound (unexpected)\n");
      } catch (const bitbridge::Error& e) {
        std::printf("misnamed: %s\n", e.what());
      }
      try {
        auto bad = library.shoutRequest();
        bad.setText("x");
        bad.setOutlen(-1);
        host.wait(bad.send());
        std::printf("negative length: accepted (unexpected)\n");
      } catch (const bitbridge::Error& e) {
        std::printf("negative length: %s\n", e.what());
      }
      std::printf("after errors: %d-bit\n", host.wait(library.bitsRequest().send()).getResult());
    }
    host.shutdown();
    return 0;
  } catch (const bitbridge::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
