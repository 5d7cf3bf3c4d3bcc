#include "wire/hello.h"


#include <cstdio>
#include <cstring>

#include "bitbridge/error.h"
#include "bitbridge/host.capnp.h"
#include "common/process/child_process.h"

namespace bitbridge {

WireHello makeHello(HelloRole role) {
  WireHello hello{};
  std::memcpy(hello.magic, kHelloMagic, sizeof(kHelloMagic));
  hello.protocolVersion = proto::PROTOCOL_VERSION;
  hello.pid = currentProcessId();
  hello.role = static_cast<uint8_t>(role);
  hello.arch = static_cast<uint8_t>(currentArch());
  hello.pointerBits = static_cast<uint8_t>(sizeof(void*) * 8);
  return hello;
}

WireHello makeRefusal(HelloRefusal why, uint32_t limit) {
  WireHello hello = makeHello(HelloRole::Host);
  hello.refusal = static_cast<uint8_t>(why);
  hello.refusalLimit = limit;
  return hello;
}

namespace {

[[noreturn]] void throwRefusal(const WireHello& hello, const std::string& peerName) {
  std::string limit = std::to_string(hello.refusalLimit);
  switch (static_cast<HelloRefusal>(hello.refusal)) {
    case HelloRefusal::TooManyConnections:
      throw Error(ErrorKind::Overloaded,
                  peerName + " refused the connection: it already serves " + limit +
                      " connections, its limit (HostOptions::sharedMaxConnections)",
                  "close connections (Hosts) that are not needed; the limit is set by the "
                  "client that started the host, through HostOptions::sharedMaxConnections");
    case HelloRefusal::TooManyFromThisClient:
      throw Error(ErrorKind::Overloaded,
                  peerName + " refused the connection: this process already has " + limit +
                      " connections to it, the limit per client process "
                      "(HostOptions::sharedMaxConnectionsPerClient)",
                  "share one Host per shared name within a process; the limit is set by the "
                  "client that started the host, through "
                  "HostOptions::sharedMaxConnectionsPerClient");
    case HelloRefusal::OutOfDescriptors:
      throw Error(ErrorKind::Overloaded,
                  peerName + " refused the connection: it has run out of file descriptors "
                             "(ulimit -n) and sheds new connections for a moment",
                  "retry shortly; raise the descriptor limit of the process that starts the "
                  "host, or lower HostOptions::sharedMaxConnections");
    default:
      throw Error(ErrorKind::Overloaded, peerName + " refused the connection (reason " +
                                             std::to_string(hello.refusal) + ", limit " + limit +
                                             ")");
  }
}

}  // namespace

void validateHello(const WireHello& hello, HelloRole expectedRole, const std::string& peerName) {
  if (std::memcmp(hello.magic, kHelloMagic, sizeof(kHelloMagic)) != 0) {
    char bytes[8 * 3 + 1] = {};
    for (size_t i = 0; i < 8; ++i) std::snprintf(bytes + 3 * i, 4, "%02x ", hello.magic[i]);
    throw Error(ErrorKind::MalformedPeer,
                peerName + " is not a bitbridge peer: its first bytes are " + bytes,
                "the channel must connect a bitbridge client to a bitbridge host");
  }
  if (hello.protocolVersion != proto::PROTOCOL_VERSION) {
    throw Error(ErrorKind::BadConfiguration,
                peerName + " speaks bitbridge protocol " + std::to_string(hello.protocolVersion) +
                    ", this side speaks " + std::to_string(proto::PROTOCOL_VERSION),
                "use hosts and client libraries from the same bitbridge build or install");
  }
  if (hello.role != static_cast<uint8_t>(expectedRole)) {
    throw Error(ErrorKind::MalformedPeer,
                peerName + " announced role " + std::to_string(hello.role) + ", expected " +
                    std::to_string(static_cast<int>(expectedRole)));
  }
  if (expectedRole == HelloRole::Host && hello.refusal != 0) throwRefusal(hello, peerName);
  if (!((hello.arch == static_cast<uint8_t>(Arch::x86) && hello.pointerBits == 32) ||
        (hello.arch == static_cast<uint8_t>(Arch::x86_64) && hello.pointerBits == 64))) {
    throw Error(ErrorKind::MalformedPeer, peerName + " announced an inconsistent architecture (" +
                                              std::to_string(hello.arch) + ", " +
                                              std::to_string(hello.pointerBits) + "-bit)");
  }
}

}  // namespace bitbridge
