// The reader limits every Cap'n Proto message bitbridge receives is read under, in both
// directions (client and host read their peer's messages with the same bounds).
#pragma once

#include <capnp/message.h>

namespace bitbridge {

/// 64 Mi words = 512 MiB traversal per message: generous for calls, bounded against a peer that
/// sends a pathological message (bulk data goes through shared memory, not messages). Nesting
/// 64: deeper than any schema of ours or a user's needs.
inline capnp::ReaderOptions rpcReaderOptions() {
  capnp::ReaderOptions options;
  options.traversalLimitInWords = 64ull * 1024 * 1024;
  options.nestingLimit = 64;
  return options;
}

}  // namespace bitbridge
