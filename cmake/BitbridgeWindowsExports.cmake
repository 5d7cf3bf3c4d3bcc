# Writes the module-definition (.def) file that says what bitbridge-core.dll exports; run with
# `cmake -P` as the DLL's pre-link step (bridge-core/CMakeLists.txt).
#
#   -DNM=<mingw nm>
#   -DINPUTS=<file listing the KJ and Cap'n Proto archives and the generated protocol's
#            objects, one per line>
#   -DUNDERSCORE=ON|OFF (i686: C symbols carry a leading '_' in the objects, not in a .def)
#   -DOUTPUT=<.def file>
#
# What bitbridge-core.dll exports, the linker taking the union of two sources:
#   - bitbridge's own names: the declarations marked BITBRIDGE_API (the public API) and
#     BITBRIDGE_INTERNAL_API (the internal interfaces of its host library, CLI and tests), which
#     are __declspec(dllexport) while the DLL is compiled (bitbridge/export.h), so each object
#     names them in its `.drectve` `-export:` directives (data with ",data"). The same marks
#     are visibility("default") on Linux, so both platforms export the same list of ours.
#     This script adds none of the library's own objects' names.
#   - this .def: every global symbol of an entity of the namespaces kj and capnp in the KJ and
#     Cap'n Proto archives, which the DLL takes whole so that a host, its components and a
#     client share one KJ (cmake/BitbridgeWindows.cmake), and every such symbol of kj, capnp
#     and bitbridge (bitbridge::proto, bitbridge::c, capnp::schemas) in the generated protocol
#     code, which components and hosts compile against as on Linux (default visibility there).
#     Read from the Itanium-mangled names: functions, data, vtables, typeinfo, thunks, guard
#     variables.
# Why not `--export-all-symbols`: it put ~6 700 names in the DLL, among them 350 GUIDs from
# libuuid, the header-only spdlog/fmt and std:: template instances compiled into it, and C
# runtime wrappers; and until the marks, this list took every name of namespace bitbridge too,
# internal helpers included (~750 names). A user's program linking the import library could bind
# those instead of its own, and nothing said what the DLL's interface was.
# Not exported: std::, spdlog::, fmt:: and other template instances (each module compiles its
# own, as each Linux module does with hidden inline functions), kj:: and capnp:: template
# instances compiled into bitbridge's own objects (the same), libuuid's GUIDs, C wrappers.
# Data (vtables, typeinfo, statics) is marked DATA: without it the import library would give a
# user's module a code thunk under the data's name (a crash reading it); with it the module
# auto-imports the data as it did when everything was exported.
cmake_minimum_required(VERSION 3.20)

foreach(var NM INPUTS OUTPUT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "BitbridgeWindowsExports.cmake: -D${var}=... is required")
  endif()
endforeach()

file(STRINGS "${INPUTS}" inputs)
set(object_files "")
set(archive_files "")
foreach(input IN LISTS inputs)
  if(input MATCHES "\\.a$")
    list(APPEND archive_files "${input}")
  elseif(NOT input STREQUAL "")
    list(APPEND object_files "${input}")
  endif()
endforeach()

# `nm -g --defined-only -P`: "name type value size" per global defined symbol. Each name comes
# back with its kind appended ("name DATA" for data, bss and read-only data; "name" for code).
function(global_symbols out)
  if(NOT ARGN)
    set(${out} "" PARENT_SCOPE)
    return()
  endif()
  execute_process(COMMAND "${NM}" -g --defined-only -P ${ARGN}
                  OUTPUT_VARIABLE listing ERROR_VARIABLE errors RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "BitbridgeWindowsExports.cmake: ${NM} failed (${rc}): ${errors}")
  endif()
  string(REGEX MATCHALL "(^|\n)[^ \n:]+ [TDBR] " lines "${listing}")
  set(names "")
  foreach(line IN LISTS lines)
    string(STRIP "${line}" line)
    string(REGEX REPLACE "^([^ ]+) ([TDBR])$" "\\1;\\2" fields "${line}")
    list(GET fields 0 name)
    list(GET fields 1 type)
    if(type STREQUAL "T")
      list(APPEND names "${name}")
    else()
      list(APPEND names "${name} DATA")
    endif()
  endforeach()
  set(${out} "${names}" PARENT_SCOPE)
endfunction()

global_symbols(from_archives ${archive_files})
global_symbols(from_objects ${object_files})

# An Itanium-mangled name of an entity of namespace bitbridge, kj or capnp: an optional special
# prefix (vtable TV, VTT TT, typeinfo TI/TS, TLS init/wrapper TH/TW, guard variable GV,
# reference temporary GR, construction vtable TC, thunks Th<offset>_ / Tv<offset>_<offset>_),
# Z for each level of local entity (a lambda in a function), then the (nested) name itself. A
# template of another namespace instantiated on our types (std::vector<kj::Foo>, also compiled
# into the KJ archives) does not match: its name starts with that namespace.
set(prefix "")
if(UNDERSCORE)
  set(prefix "_")
endif()
set(special "(T[VTISHW]|GV|GR|TC|Thn?[0-9]+_|Tvn?[0-9]+_n?[0-9]+_)?")
set(ours "^${prefix}_Z${special}N?Z*N?[rVKRO]*(2kj|5capnp|9bitbridge)[A-Za-z0-9_]")

set(exports "")
foreach(name IN LISTS from_archives from_objects)
  if(name MATCHES "${ours}")
    list(APPEND exports "${name}")
  endif()
endforeach()
list(REMOVE_DUPLICATES exports)
list(SORT exports)
# An empty list would make ld fall back to exporting everything, silently.
list(LENGTH exports count)
if(count LESS 1000)
  message(FATAL_ERROR "BitbridgeWindowsExports.cmake: only ${count} exports found in ${INPUTS}; "
                      "is ${NM} the mingw nm of this build?")
endif()

set(text "; Generated by cmake/BitbridgeWindowsExports.cmake: what bitbridge-core.dll exports.\nEXPORTS\n")
foreach(name IN LISTS exports)
  if(UNDERSCORE)  # (not REGEX REPLACE "^_": CMake applies it again at each new start)
    string(SUBSTRING "${name}" 1 -1 name)
  endif()
  string(APPEND text "  ${name}\n")
endforeach()
file(WRITE "${OUTPUT}.tmp" "${text}")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
