// BITBRIDGE_INTERNAL_API marks what libbitbridge-core exports beyond its public API
// (bitbridge/export.h), for bitbridge's own host library, CLI, tests and benchmarks: not a
// stable API; their headers are not installed, and applications and components cannot include
// them. It expands as BITBRIDGE_API does (visibility("default") on Linux, dllexport while the
// Windows DLL is compiled, nothing for its users), so one set of marks states the library's
// interface on both platforms; the name says which marks are not public.
//
// Mark each declaration the core defines and something outside it uses: a free function, or a
// class or struct with out-of-line members or a vtable (marking the class exports its members,
// vtable and typeinfo). Inline functions, templates and constants need no mark: each module
// compiles its own. A use of an unmarked one from the host library, the CLI or a test is a link
// error in that build (Linux and Windows alike); tests/library_surface.cmake checks that
// internal-only names stay unexported in every build.
//
// Per declaration rather than a region (#pragma GCC visibility, as before): PE has no visibility,
// and dllexport can only be given to a declaration.
#pragma once

#include "bitbridge/export.h"

#define BITBRIDGE_INTERNAL_API BITBRIDGE_API
