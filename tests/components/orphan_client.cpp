// A client process for the orphan test (tests/integration/supervision_test.cpp): starts a probe
// host, prints the host's pid on stdout, then keeps the host busy in a 60 s call until the
// test kills this process with SIGKILL.
//   orphan_client <probe component> <socket|shm>
#include <cstdio>
#include <cstring>

#include "bitbridge/host.h"
#include "probe.capnp.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s <probe component> <socket|shm>\n", argv[0]);
    return 64;
  }
  bitbridge::Runtime runtime;
  bitbridge::HostOptions options;
  options.component = argv[1];
  options.transport = std::strcmp(argv[2], "shm") == 0 ? bitbridge::Transport::SharedMemory
                                                        : bitbridge::Transport::Socket;
  auto host = bitbridge::Host::spawn(runtime, options);
  auto probe = host.activate<probe::Probe>("probe");
  std::printf("%u\n", host.pid());
  std::fflush(stdout);
  auto stuck = probe.sleepRequest();
  stuck.setMilliseconds(60000);
  host.wait(stuck.send());
  return 0;
}
