// What libbitbridge-core exports beyond its public API (bitbridge/export.h), for bitbridge's
// own host library, CLI, tests and benchmarks: the declarations between
// BITBRIDGE_INTERNAL_API_BEGIN and BITBRIDGE_INTERNAL_API_END. They are not a stable API and
// their headers are not installed; applications and components cannot include them.
//
// A region rather than a mark per declaration: these headers are used across the library
// boundary whole (the host library needs the transport, the bulk segments, the hello), and a
// region keeps a forgotten mark from turning into a link error in one build only.
// Windows: bitbridge-core.dll exports every name of namespace bitbridge (bitbridge/export.h), so
// the region is empty.
#pragma once

#if defined(_WIN32)
#define BITBRIDGE_INTERNAL_API_BEGIN
#define BITBRIDGE_INTERNAL_API_END
#else
#define BITBRIDGE_INTERNAL_API_BEGIN _Pragma("GCC visibility push(default)")
#define BITBRIDGE_INTERNAL_API_END _Pragma("GCC visibility pop")
#endif
