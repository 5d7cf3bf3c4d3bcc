#include "common/transport/handshake.h"

#include "bitbridge/error.h"
#include "common/fresh_timer.h"

namespace bitbridge {

kj::Promise<WireHello> exchangeHello(kj::AsyncIoStream& stream, kj::Timer& timer, HelloRole role,
                                     std::string peerName, kj::Duration timeout) {
  auto mine = kj::heap<WireHello>(makeHello(role));
  auto theirs = kj::heap<WireHello>();
  HelloRole expected = role == HelloRole::Client ? HelloRole::Host : HelloRole::Client;
  // Both directions start at once; the peer's hello is judged first, so a peer that closes
  // early is reported as such rather than as a failed write of ours.
  // evalNow: KJ may throw a write error synchronously; keep it inside the promise.
  auto write = kj::evalNow([&] { return stream.write(mine.get(), sizeof(WireHello)); }).fork();
  auto exchange =
      stream.tryRead(theirs.get(), sizeof(WireHello), sizeof(WireHello))
          .then([&hello = *theirs, expected, peerName](size_t n) {
            if (n < sizeof(WireHello)) {
              throwAsKj(Error(ErrorKind::Disconnected,
                              peerName + " closed the channel during the handshake (after " +
                                  std::to_string(n) + " of " + std::to_string(sizeof(WireHello)) +
                                  " bytes)"));
            }
            try {
              validateHello(hello, expected, peerName);
            } catch (const Error& error) {
              throwAsKj(error);
            }
            return hello;
          })
          .then([write = kj::mv(write)](WireHello hello) mutable {
            return write.addBranch().then([hello]() { return hello; });
          });
  auto millis = timeout / kj::MILLISECONDS;
  // The hint names the real cause: a host that does not answer may be stuck starting; a
  // client that does not greet a host is not a bitbridge client, or has stopped.
  std::string hint =
      role == HelloRole::Client
          ? "the host may be stuck starting (a legacy library's initialisation?) or the machine "
            "is overloaded; raise HostOptions::startTimeout if it is slow"
          : "a bitbridge client sends its hello as soon as it connects: this peer is not one, "
            "or it stopped; a shared host closes such a connection after "
            "HostOptions::sharedHelloTimeout";
  auto expire = deadlineFromNow(timer, timeout).then([peerName, millis, hint]() -> WireHello {
    throwAsKj(Error(ErrorKind::TimedOut,
                    peerName + " did not complete the handshake within " +
                        std::to_string(millis) + " ms",
                    hint));
  });
  return exchange.exclusiveJoin(kj::mv(expire)).attach(kj::mv(mine), kj::mv(theirs));
}

}  // namespace bitbridge
