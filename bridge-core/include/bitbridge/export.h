// BITBRIDGE_API marks what libbitbridge-core exports: the public API in these headers.
//
// Linux: the library is built with -fvisibility=hidden, so only declarations marked here (and
// bitbridge's internal interfaces for its own host library, CLI and tests, marked in src/ with
// BITBRIDGE_INTERNAL_API_BEGIN/END) are in its dynamic symbol table. Applications and
// components see nothing else, cannot interpose on it, and load fewer symbols.
// Windows (mingw): PE has no hidden visibility; bitbridge-core.dll exports every global name of
// the namespaces bitbridge, kj and capnp (KJ and Cap'n Proto included, so that a process has one
// copy of them) and nothing else, from a list written before its link
// (cmake/BitbridgeWindowsExports.cmake); the mark is empty there.
#pragma once

#if defined(_WIN32)
#define BITBRIDGE_API
#else
#define BITBRIDGE_API __attribute__((visibility("default")))
#endif
