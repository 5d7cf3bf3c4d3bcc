// `bitbridge proxy SCHEMA --header HEADER ...`: writes the C++ source of a drop-in proxy library
// (proxy_source.h). bitbridge_add_proxy (cmake/BitbridgeHelpers.cmake) runs it at build time.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace bitbridge::proxygen {

/// Returns the exit status: 0 written, 1 a problem (the schema does not parse, no such
/// interface, a method a proxy cannot convert), 2 a usage error.
int runProxy(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace bitbridge::proxygen
