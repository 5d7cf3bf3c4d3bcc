# What libbitbridge-core offers the processes that load it (docs/architecture.md, "The source
# tree"): its public API and the internal interfaces of bitbridge's own host, and nothing of the
# host process's code. Run by ctest in each build:
#   Linux:   cmake -DNM=<nm> -DREADELF=<readelf> -DLIBRARY=<libbitbridge-core.so> -P library_surface.cmake
#   Windows: cmake -DOBJDUMP=<mingw objdump> -DCXXFILT=<c++filt> -DLIBRARY=<libbitbridge-core.dll> -P ...
# Fails naming each symbol that should (not) be exported, so a lost BITBRIDGE_API mark, a host
# file moved into the core, a dropped -fvisibility=hidden (Linux), or (Windows) a .def that takes
# bitbridge's names again or dllexport leaking to every name (cmake/BitbridgeWindowsExports.cmake,
# bitbridge/export.h) shows up here first.
if(NOT LIBRARY)
  message(FATAL_ERROR "library_surface.cmake: -DLIBRARY=... is required")
endif()

set(problems "")
if(LIBRARY MATCHES "\\.dll$")
  foreach(var OBJDUMP CXXFILT)
    if(NOT ${var})
      message(FATAL_ERROR "library_surface.cmake: -D${var}=... is required for a DLL")
    endif()
  endforeach()
  # The export table's names ("[ n] name" after "[Ordinal/Name Pointer] Table"), demangled.
  execute_process(COMMAND "${OBJDUMP}" -p "${LIBRARY}" OUTPUT_VARIABLE headers RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${OBJDUMP} -p ${LIBRARY} failed (${rc})")
  endif()
  string(FIND "${headers}" "Name Pointer] Table" table_at)
  if(table_at EQUAL -1)
    message(FATAL_ERROR "${LIBRARY}: no export table")
  endif()
  string(SUBSTRING "${headers}" ${table_at} -1 table)
  string(REGEX MATCHALL "\n[\t ]+\\[[ 0-9]+\\] [^\n]+" rows "${table}")
  set(names "")
  foreach(row IN LISTS rows)
    string(REGEX REPLACE "^\n[\t ]+\\[[ 0-9]+\\] " "" name "${row}")
    string(APPEND names "${name}\n")
  endforeach()
  file(WRITE "${LIBRARY}.exports" "${names}")
  execute_process(COMMAND "${CXXFILT}" INPUT_FILE "${LIBRARY}.exports"
                  OUTPUT_VARIABLE exported RESULT_VARIABLE rc)
  file(REMOVE "${LIBRARY}.exports")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${CXXFILT} failed (${rc})")
  endif()
  set(exported "\n${exported}")
  # Not the libraries' and the compiler's: libuuid's GUIDs, header-only spdlog/fmt and std::
  # template instances (each module has its own), and KJ is (one copy per process).
  foreach(symbol "\nIID_" "\nCLSID_" "\nGUID_" "\nspdlog::" "\nfmt::" "\nstd::" "\nvoid std::")
    string(FIND "${exported}" "${symbol}" at)
    if(NOT at EQUAL -1)
      string(REPLACE "\n" "" symbol "${symbol}")
      string(APPEND problems "\n  exported but not bitbridge's: ${symbol}...")
    endif()
  endforeach()
  foreach(symbol "kj::Exception::Exception(" "typeinfo for kj::Exception" "capnp::TwoPartyVatNetwork::")
    string(FIND "${exported}" "${symbol}" at)
    if(at EQUAL -1)
      string(APPEND problems "\n  not exported (one KJ and Cap'n Proto per process): ${symbol}")
    endif()
  endforeach()
  # bitbridge's own names are those marked dllexport (BITBRIDGE_API, BITBRIDGE_INTERNAL_API), as
  # on Linux: client internals that the Linux library hides are not exported here either, nor
  # KJ's template instances on them (each module compiles its own).
  set(client_internals "bitbridge::ClientLane::" "bitbridge::activateComHost("
                       "bitbridge::proxy::HandleTable::" "<bitbridge::HeartbeatMonitor>")
else()
  foreach(var NM READELF)
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
  # libffi and libdl are the host's: an application that loads the core does not load them.
  if(dynamic MATCHES "NEEDED[^\n]*libffi")
    string(APPEND problems "\n  needs libffi (the host library's dependency)")
  endif()
  set(client_internals "bitbridge::connectSharedHost(")
endif()

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
# Host-process code (src/host), and client internals that nothing outside the library uses
# (hidden on Linux, not dllexport on Windows).
foreach(symbol
    "bitbridge::HostService" "bitbridge::BulkRegistry" "bitbridge::ComponentRegistry"
    "bitbridge::HostWatchdog" "bitbridge::runHost" "bitbridge::LibraryThread" " ffi_call"
    "bitbridge::selectHost(" "bitbridge::HeartbeatMonitor::" "bitbridge::startPrivateHost("
    "bitbridge::HostProcess::" ${client_internals})
  string(FIND "${exported}" "${symbol}" at)
  if(NOT at EQUAL -1)
    string(APPEND problems "\n  exported but internal: ${symbol}")
  endif()
endforeach()
if(problems)
  message(FATAL_ERROR "${LIBRARY}:${problems}")
endif()
message(STATUS "${LIBRARY}: public API and internal interfaces exported, host code and client internals not")
