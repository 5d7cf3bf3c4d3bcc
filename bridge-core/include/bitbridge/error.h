// The one exception type bitbridge throws, with a kind callers can branch on.
//
// Every message names the cause and, where there is one, the fix. Errors raised inside a host
// cross the RPC boundary as Cap'n Proto exceptions whose description starts with
// "bitbridge:<kind>: "; the client turns them back into an Error of the same kind.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include "bitbridge/export.h"

namespace kj {
class Exception;
}

namespace bitbridge {

enum class ErrorKind : uint8_t {
  BadConfiguration,  ///< a setting or file is unusable (not a component, bad ABI, bad option)
  WrongBitness,      ///< a binary's architecture does not match the host that must load it
  NotFound,          ///< a file, host executable, symbol or class does not exist
  Disconnected,      ///< the host died or closed the channel (exit status and log attached)
  TimedOut,          ///< a start-up handshake or call deadline expired
  Remote,            ///< the component threw; the message is the host's
  MalformedPeer,     ///< the peer sent data that is not bitbridge protocol
  Unimplemented,     ///< the peer does not implement the method
  Overloaded,        ///< the peer refused work for lack of resources
};

/// Stable lower-case name of a kind: "bad-configuration", "wrong-bitness", ...
BITBRIDGE_API std::string_view errorKindName(ErrorKind kind);

class BITBRIDGE_API Error : public std::runtime_error {
 public:
  /// `message` says what went wrong; `hint` (optional) says how to fix it.
  Error(ErrorKind kind, std::string message, std::string hint = {});

  ErrorKind kind() const noexcept { return kind_; }
  /// What went wrong, without the kind prefix or the hint.
  const std::string& message() const noexcept { return message_; }
  /// How to fix it; may be empty.
  const std::string& hint() const noexcept { return hint_; }

 private:
  ErrorKind kind_;
  std::string message_;
  std::string hint_;
};

/// Encodes an Error as a kj::Exception description ("bitbridge:<kind>: message\nfix: hint")
/// so that the kind survives the trip through Cap'n Proto RPC.
BITBRIDGE_API std::string toWireDescription(const Error& error);

/// Throws `error` as a kj::Exception carrying its wire description (used inside hosts, where
/// Cap'n Proto turns thrown kj::Exceptions into RPC errors).
[[noreturn]] BITBRIDGE_API void throwAsKj(const Error& error);

/// Turns an exception seen by a client back into an Error: decodes a wire description if
/// present ("remote exception: bitbridge:<kind>: ..."), else maps the kj type (DISCONNECTED,
/// OVERLOADED, UNIMPLEMENTED, FAILED -> Remote). `context` (for example the host's exit status
/// and the tail of its log) is appended to a decoded disconnection message, and replaces KJ's
/// own text of a plain disconnection.
BITBRIDGE_API Error fromKjException(const kj::Exception& exception, std::string_view context = {});

}  // namespace bitbridge
