// `bitbridge import-typelib FILE [-o OUT]`: writes the Cap'n Proto schema of a type library's
// dispatch interfaces, enums, records and classes (typelib_schema.h) to OUT or stdout. Reading
// needs oleaut32: the Windows build's bitbridge.exe does it (under Wine on Linux); the Linux
// build says so and how to run it. Exit status: 0 written, 1 a problem (no type library, not a
// Windows build), 2 a usage error.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace bitbridge::typelib {

/// `args` are the words after "import-typelib".
int runImportTypeLib(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace bitbridge::typelib
