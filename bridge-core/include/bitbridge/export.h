// BITBRIDGE_API marks what libbitbridge-core exports: the public API in these headers. The same
// mark, spelled BITBRIDGE_INTERNAL_API (common/internal_api.h), exports bitbridge's internal
// interfaces for its own host library, CLI and tests; nothing else of bitbridge's is exported,
// on either platform, and these marks are the one list of what is.
//
// Linux: the library is built with -fvisibility=hidden and the mark is visibility("default"),
// so only marked declarations (a marked class: its members, vtable and typeinfo) are in its
// dynamic symbol table. Applications and components see nothing else and cannot interpose on it.
// Windows (mingw): PE has no visibility; while bitbridge-core.dll itself is compiled
// (BITBRIDGE_BUILDING_CORE, set on that target only) the mark is __declspec(dllexport), so the
// compiler names each marked symbol in an `-export:` directive of its object, and the DLL
// exports those plus KJ, Cap'n Proto and the generated protocol code (listed before the link by
// cmake/BitbridgeWindowsExports.cmake, so that a process has one copy of them).
// Everywhere else (host library, CLI, tests, users' programs and components) the mark is empty,
// not dllimport: calls go through the import library, and data (vtables, typeinfo, statics) is
// auto-imported by the mingw linker as before. A component DLL that saw dllexport would
// re-export bitbridge's names as its own.
#pragma once

#if defined(_WIN32)
#if defined(BITBRIDGE_BUILDING_CORE)
#define BITBRIDGE_API __declspec(dllexport)
#else
#define BITBRIDGE_API
#endif
#else
#define BITBRIDGE_API __attribute__((visibility("default")))
#endif
