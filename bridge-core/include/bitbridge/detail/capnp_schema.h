// capnp/schema.h whatever was included before it. <windows.h> (which spdlog and others pull in
// on Windows) defines CONST, and capnp/schema.capnp.h has an enumerant of that name; kj's
// windows-sanity.h undoes VOID and ERROR but not CONST. Once read here, the header's include
// guard makes later includes harmless.
#pragma once

#pragma push_macro("CONST")
#undef CONST
#include <capnp/schema.h>
#pragma pop_macro("CONST")
