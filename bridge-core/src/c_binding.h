// Host::bind on the host side: a plain C library served as a Cap'n Proto object whose methods
// call its functions, described by the client's schema and its /bitbridge/c.capnp annotations
// (c_binding_plan.h), with no component.
//
// Thread assumption: bound and called on the host's RPC thread; a long call holds that thread
// (the watchdog thread keeps answering heartbeats meanwhile, host_watchdog.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <capnp/capability.h>

#include "bitbridge/detail/capnp_schema.h"  // before schema-loader.h: see there
#include <capnp/schema-loader.h>
#include <spdlog/logger.h>

namespace bitbridge {

struct BoundLibrary {
  capnp::Capability::Client object = nullptr;
  uint32_t functions = 0;
};

/// Opens `path` (CLibrary::open), plans every method of interface `interfaceId` in `schemas`
/// (which the object keeps alive), resolves every symbol and prepares every call, all before
/// returning: a schema mistake or a missing symbol is an Error here, naming the method.
/// Every build has libffi (Linux: Debian's; Windows: built by scripts/setup-windows.sh).
BoundLibrary bindCLibrary(const std::string& path, std::shared_ptr<capnp::SchemaLoader> schemas,
                          uint64_t interfaceId, std::shared_ptr<spdlog::logger> logger);

}  // namespace bitbridge
