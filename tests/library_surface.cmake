# What libbitbridge-core offers the processes that load it (docs/architecture.md, "The source
# tree"): its public API and the internal interfaces of bitbridge's own host, and nothing of the
# host process's code. Run by ctest in each Linux build:
#   cmake -DNM=<nm> -DREADELF=<readelf> -DLIBRARY=<libbitbridge-core.so> -P library_surface.cmake
# Fails naming each symbol that should (not) be exported, so a lost BITBRIDGE_API mark, a host
# file moved into the core, or a dropped -fvisibility=hidden shows up here first.
foreach(var NM READELF LIBRARY)
  if(NOT ${var})
    message(FATAL_ERROR "library_surface.cmake: -D${var}=... is required")
  endif()
endforeach()
execute_process(COMMAND "${NM}" -DC --defined-only "${LIBRARY}"
  OUTPUT_VARIABLE exported RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${NM} -DC ${LIBRARY} failed (${rc})")
endif()
execute_process(COMMAND "${READELF}" -d "${LIBRARY}" OUTPUT_VARIABLE dynamic RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${READELF} -d ${LIBRARY} failed (${rc})")
endif()

set(problems "")
# The public API (include/bitbridge/), one symbol of each header, and an internal interface the
# host library links against.
foreach(symbol
    "bitbridge::Host::open(" "bitbridge::Host::allocate(" "bitbridge::Runtime::Runtime("
    "bitbridge::BulkBuffer::view(" "bitbridge::fromWire(" "bitbridge::Error::Error("
    "bitbridge::fromKjException(" "bitbridge::inspectBinary(" "bitbridge::archName("
    "typeinfo for bitbridge::Error" "bitbridge::exchangeHello(" "bitbridge::BulkSegment::open("
    "bitbridge::proxy::Proxy::call(" "bitbridge::proxy::planMethod("
    "bitbridge::ComObject::invoke(" "typeinfo for bitbridge::ComObjectHandle"
    "bitbridge::variantFromWire(")
  string(FIND "${exported}" "${symbol}" at)
  if(at EQUAL -1)
    string(APPEND problems "\n  not exported: ${symbol}")
  endif()
endforeach()
# Host-process code (src/host) and client internals that nothing outside the library uses.
foreach(symbol
    "bitbridge::HostService" "bitbridge::BulkRegistry" "bitbridge::ComponentRegistry"
    "bitbridge::HostWatchdog" "bitbridge::runHost" "bitbridge::LibraryThread" " ffi_call"
    "bitbridge::selectHost(" "bitbridge::spawnPrivateHost(" "bitbridge::HeartbeatMonitor::"
    "bitbridge::connectSharedHost(")
  string(FIND "${exported}" "${symbol}" at)
  if(NOT at EQUAL -1)
    string(APPEND problems "\n  exported but internal: ${symbol}")
  endif()
endforeach()
# libffi and libdl are the host's: an application that loads the core does not load them.
if(dynamic MATCHES "NEEDED[^\n]*libffi")
  string(APPEND problems "\n  needs libffi (the host library's dependency)")
endif()
if(problems)
  message(FATAL_ERROR "${LIBRARY}:${problems}")
endif()
message(STATUS "${LIBRARY}: public API and internal interfaces exported, host code not")
