#include "bitbridge/error.h"

#include <kj/exception.h>

#include <optional>
#include <string>

#include "wire/error_text.h"

namespace bitbridge {
namespace {

using error_text::kHintSeparator;
using error_text::kWhatHint;
using error_text::kWhatPrefix;
using error_text::kWirePrefix;

// Cap'n Proto prefixes exceptions that crossed the RPC boundary with this.
constexpr std::string_view kRemotePrefix = "remote exception: ";
// KJ's description of a std::exception (e.g. a bitbridge::Error thrown by a component).
constexpr std::string_view kStdExceptionPrefix = "std::exception: ";

constexpr ErrorKind kAllKinds[] = {
    ErrorKind::BadConfiguration, ErrorKind::WrongBitness,  ErrorKind::NotFound,
    ErrorKind::Disconnected,     ErrorKind::TimedOut,      ErrorKind::Remote,
    ErrorKind::MalformedPeer,    ErrorKind::Unimplemented, ErrorKind::Overloaded,
};

std::string composeWhat(ErrorKind kind, const std::string& message, const std::string& hint) {
  std::string what(kWhatPrefix);
  what += errorKindName(kind);
  what += ": ";
  what += message;
  if (!hint.empty()) {
    what += kWhatHint;
    what += hint;
    what += ")";
  }
  return what;
}

bool startsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// Cuts "<separator><hint><terminator>" off the end of `message` and returns the hint ("" if
// absent). `last`: the hint is the last occurrence of the separator (what() form), else the
// first (wire form, where the separator is a line break no message contains).
std::string splitHint(std::string& message, std::string_view separator,
                      std::string_view terminator, bool last) {
  auto at = last ? message.rfind(separator) : message.find(separator);
  if (at == std::string::npos) return {};
  std::string_view tail = std::string_view(message).substr(at + separator.size());
  if (tail.size() < terminator.size() || tail.substr(tail.size() - terminator.size()) != terminator) {
    return {};
  }
  std::string hint(tail.substr(0, tail.size() - terminator.size()));
  message.resize(at);
  return hint;
}

// Decodes "<prefix><kind>: <message>[hint]" into an Error, if `text` has that form with a
// known kind; `takeHint` cuts the hint off the message.
template <typename TakeHint>
std::optional<Error> decodeKind(std::string_view text, std::string_view prefix, TakeHint&& takeHint) {
  if (!startsWith(text, prefix)) return std::nullopt;
  std::string_view rest = text.substr(prefix.size());
  for (ErrorKind kind : kAllKinds) {
    std::string_view name = errorKindName(kind);
    if (startsWith(rest, name) && rest.substr(name.size(), 2) == ": ") {
      std::string message(rest.substr(name.size() + 2));
      std::string hint = takeHint(message);
      return Error(kind, std::move(message), std::move(hint));
    }
  }
  return std::nullopt;
}

}  // namespace

std::string_view errorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::BadConfiguration: return "bad-configuration";
    case ErrorKind::WrongBitness: return "wrong-bitness";
    case ErrorKind::NotFound: return "not-found";
    case ErrorKind::Disconnected: return "disconnected";
    case ErrorKind::TimedOut: return "timed-out";
    case ErrorKind::Remote: return "remote";
    case ErrorKind::MalformedPeer: return "malformed-peer";
    case ErrorKind::Unimplemented: return "unimplemented";
    case ErrorKind::Overloaded: return "overloaded";
  }
  return "unknown";
}

Error::Error(ErrorKind kind, std::string message, std::string hint)
    : std::runtime_error(composeWhat(kind, message, hint)),
      kind_(kind),
      message_(std::move(message)),
      hint_(std::move(hint)) {}

std::string toWireDescription(const Error& error) {
  std::string text(kWirePrefix);
  text += errorKindName(error.kind());
  text += ": ";
  text += error.message();
  if (!error.hint().empty()) {
    text += kHintSeparator;
    text += error.hint();
  }
  return text;
}

void throwAsKj(const Error& error) {
  kj::Exception::Type type = kj::Exception::Type::FAILED;
  if (error.kind() == ErrorKind::Disconnected) type = kj::Exception::Type::DISCONNECTED;
  if (error.kind() == ErrorKind::Overloaded) type = kj::Exception::Type::OVERLOADED;
  if (error.kind() == ErrorKind::Unimplemented) type = kj::Exception::Type::UNIMPLEMENTED;
  kj::throwFatalException(
      kj::Exception(type, __FILE__, __LINE__, kj::heapString(toWireDescription(error))));
}

Error fromKjException(const kj::Exception& exception, std::string_view context) {
  std::string_view text(exception.getDescription().cStr());
  bool remote = startsWith(text, kRemotePrefix);
  if (remote) text.remove_prefix(kRemotePrefix.size());

  if (startsWith(text, kStdExceptionPrefix)) text.remove_prefix(kStdExceptionPrefix.size());

  // A bitbridge::Error thrown as a C++ exception by a component: decode its what().
  // A bitbridge::Error thrown as a C++ exception by a component (its what()), or encoded by
  // host-side code for the wire: either way the kind, message and hint survive.
  std::optional<Error> decoded = decodeKind(text, kWhatPrefix, [](std::string& message) {
    return splitHint(message, kWhatHint, ")", /*last=*/true);
  });
  if (!decoded) {
    decoded = decodeKind(text, kWirePrefix, [](std::string& message) {
      return splitHint(message, kHintSeparator, "", /*last=*/false);
    });
  }
  if (decoded) {
    if (decoded->kind() != ErrorKind::Disconnected || context.empty()) return *decoded;
    return Error(decoded->kind(), decoded->message() + "; " + std::string(context), decoded->hint());
  }

  std::string message(text);
  switch (exception.getType()) {
    case kj::Exception::Type::DISCONNECTED:
      // With context (the host's exit status and output), KJ's own text is dropped: it says
      // only which system call noticed first ("Peer disconnected.", a read() error), which
      // varies from run to run for the same death and names no cause.
      if (!context.empty()) message = context;
      return Error(ErrorKind::Disconnected, std::move(message),
                   "the host process ended or closed its channel; its log tail above usually "
                   "names the cause (a crash in the legacy library, a missing dependency)");
    case kj::Exception::Type::OVERLOADED:
      return Error(ErrorKind::Overloaded, std::move(message));
    case kj::Exception::Type::UNIMPLEMENTED:
      return Error(ErrorKind::Unimplemented, std::move(message),
                   "the host or component is older than the schema the client was built with");
    case kj::Exception::Type::FAILED:
      break;
  }
  if (remote) return Error(ErrorKind::Remote, std::move(message));
  // A local FAILED from Cap'n Proto means it rejected what the peer sent (bad framing, limits).
  return Error(ErrorKind::MalformedPeer, std::move(message),
               "the peer is not a bitbridge host of this version, or its data was corrupted");
}

}  // namespace bitbridge
