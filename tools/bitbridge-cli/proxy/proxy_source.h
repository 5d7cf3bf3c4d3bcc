// `bitbridge proxy`: the C++ source of a drop-in proxy library, written from a bind schema's
// interface (docs/reference.md "Drop-in proxy libraries"). One exported C function per method,
// defined with the vendor header's own types (decltype of its declaration) and forwarding to
// bitbridge::proxy::Proxy (bridge-core/include/bitbridge/proxy.h).
#pragma once

#include <string>

#include "bitbridge/detail/capnp_schema.h"

namespace bitbridge::proxygen {

struct ProxySourceOptions {
  std::string name;           // the proxy's name: its log lines, BITBRIDGE_PROXY_<NAME>_LIBRARY
  std::string header;         // the vendor header, as the generated source #includes it
  std::string schemaInclude;  // the schema's generated C++ header ("calc.capnp.h")
  std::string schemaFile;     // the schema's file name, for messages
  std::string library;        // the library the host binds by default (may be empty)
  std::string cxxNamespace;   // the schema's $Cxx.namespace ("" for none)
};

/// The proxy's source. Throws Error{BadConfiguration} naming the method and parameter for
/// what a proxy cannot convert (proxy_plan.h).
std::string proxySource(capnp::InterfaceSchema iface, const ProxySourceOptions& options);

}  // namespace bitbridge::proxygen
