#include "handshake.h"

#include "bitbridge/error.h"

namespace bitbridge {

kj::Promise<WireHello> exchangeHello(kj::AsyncIoStream& stream, kj::Timer& timer, HelloRole role,
                                     std::string peerName, kj::Duration timeout) {
  auto mine = kj::heap<WireHello>(makeHello(role));
  auto theirs = kj::heap<WireHello>();
  HelloRole expected = role == HelloRole::Client ? HelloRole::Host : HelloRole::Client;
  auto write = stream.write(mine.get(), sizeof(WireHello));
  auto read = stream.tryRead(theirs.get(), sizeof(WireHello), sizeof(WireHello));
  auto exchange =
      write.then([read = kj::mv(read)]() mutable { return kj::mv(read); })
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
          });
  auto millis = timeout / kj::MILLISECONDS;
  auto expire = timer.afterDelay(timeout).then([peerName, millis]() -> WireHello {
    throwAsKj(Error(ErrorKind::TimedOut,
                    peerName + " did not complete the handshake within " +
                        std::to_string(millis) + " ms",
                    "the host may be stuck starting (a legacy library's initialisation?) or "
                    "the machine is overloaded; raise HostOptions::startTimeout if it is slow"));
  });
  return exchange.exclusiveJoin(kj::mv(expire)).attach(kj::mv(mine), kj::mv(theirs));
}

}  // namespace bitbridge
