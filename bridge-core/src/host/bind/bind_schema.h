// The schema a client sends with Host::bind: its nodes (each a serialized schema.capnp Node)
// loaded into a Cap'n Proto SchemaLoader, which checks them. Host side; also what the c_binding
// fuzz target feeds (tests/fuzz/fuzz_c_binding.cpp).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "bitbridge/detail/capnp_schema.h"  // before schema-loader.h: see there
#include <capnp/schema-loader.h>

namespace bitbridge {

/// Loads `nodes` and checks that `interfaceId` is among them. Throws Error{MalformedPeer}
/// naming `library` for a node that is not whole words, not a valid schema node, or a missing
/// interface. The loader is what the bound object keeps (its schemas point into it).
std::shared_ptr<capnp::SchemaLoader> loadBindSchema(capnp::List<capnp::Data>::Reader nodes,
                                                    uint64_t interfaceId,
                                                    const std::string& library);

}  // namespace bitbridge
