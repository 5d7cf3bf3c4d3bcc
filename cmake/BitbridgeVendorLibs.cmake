# Build-time steps of bitbridge_add_component for vendor libraries given by absolute path in
# LINK_LIBRARIES (see BitbridgeHelpers.cmake, _bitbridge_link_libraries). Installed next to
# BitbridgeHelpers.cmake and run as a script:
#
#   cmake -DACTION=implib -DDLL=<vendor.dll> -DDEF=<out.def> -DIMPLIB=<out.dll.a>
#         -DOBJDUMP=<objdump> -DDLLTOOL=<dlltool> -DARCH=<x86|x86_64> [-DSTDCALL=<X@N|...>]
#         -P BitbridgeVendorLibs.cmake
#       Windows: writes a .def from the DLL's export table and makes an import library of it.
#
#   cmake -DACTION=after-link -DCOMPONENT=<file> -DOS=<linux|windows> [-DREADELF=<readelf>]
#         [-DVENDOR_LIBS=<file|...>] -P BitbridgeVendorLibs.cmake
#       After the component is linked: copies each vendor library next to it, under the name
#       the component records for it; on Linux first checks that the component records no
#       dependency by path (then it deletes the component, so that the build fails every time).
#
# Lists are passed with "|" between items (a ";" would need quoting through every generator).
cmake_minimum_required(VERSION 3.20)

function(_fail)  # the arguments, joined; by ARGV<n>, since ${ARGN} would drop each ";" in them
  set(text "")
  math(EXPR last "${ARGC} - 1")
  foreach(i RANGE ${last})
    string(APPEND text "${ARGV${i}}")
  endforeach()
  message(FATAL_ERROR "bitbridge: ${text}")
endfunction()

function(_run out)  # _run(<var> COMMAND...): the command's stdout; fails with its stderr.
  execute_process(COMMAND ${ARGN} OUTPUT_VARIABLE stdout ERROR_VARIABLE stderr RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    string(JOIN " " cmd ${ARGN})
    _fail("'${cmd}' failed (${rc}): ${stderr}")
  endif()
  set(${out} "${stdout}" PARENT_SCOPE)
endfunction()

# The DT_NEEDED entries of an ELF file (bare names or paths, as recorded) into <var>, and its
# DT_SONAME (empty when it has none) into <var>_SONAME.
function(_elf_dynamic var file)
  _run(dyn "${READELF}" -d "${file}")
  string(REGEX MATCHALL "\\(NEEDED\\)[^\n]*\\[[^]\n]*\\]" lines "${dyn}")
  set(needed "")
  foreach(line IN LISTS lines)
    string(REGEX REPLACE ".*\\[([^]]*)\\]$" "\\1" entry "${line}")
    list(APPEND needed "${entry}")
  endforeach()
  set(soname "")
  if(dyn MATCHES "\\(SONAME\\)[^\n]*\\[([^]\n]*)\\]")
    set(soname "${CMAKE_MATCH_1}")
  endif()
  set(${var} "${needed}" PARENT_SCOPE)
  set(${var}_SONAME "${soname}" PARENT_SCOPE)
endfunction()

string(REPLACE "|" ";" VENDOR_LIBS "${VENDOR_LIBS}")
string(REPLACE "|" ";" STDCALL "${STDCALL}")

# What a file is, from its PE header (MZ, e_lfanew at 0x3c, "PE\0\0", Machine), into <var>:
# "x86", "x86_64", "PE machine 0x...." or "not a PE file". Read here rather than asked of
# objdump: the i686 objdump does not recognise a 64-bit DLL at all ("file format not
# recognized"), and the point is to say which bitness the file has.
function(_pe_machine var file)
  file(READ "${file}" mz LIMIT 2 HEX)
  if(NOT mz STREQUAL "4d5a")
    set(${var} "not a PE file" PARENT_SCOPE)
    return()
  endif()
  file(READ "${file}" lfanew OFFSET 60 LIMIT 4 HEX)
  string(REGEX REPLACE "^(..)(..)(..)(..)$" "\\4\\3\\2\\1" lfanew "${lfanew}")
  math(EXPR offset "0x${lfanew}" OUTPUT_FORMAT DECIMAL)
  file(READ "${file}" header OFFSET ${offset} LIMIT 6 HEX)
  if(NOT header MATCHES "^50450000(..)(..)$")
    set(${var} "not a PE file" PARENT_SCOPE)
    return()
  endif()
  set(machine "${CMAKE_MATCH_2}${CMAKE_MATCH_1}")
  if(machine STREQUAL "014c")
    set(${var} "x86" PARENT_SCOPE)
  elseif(machine STREQUAL "8664")
    set(${var} "x86_64" PARENT_SCOPE)
  else()
    set(${var} "PE machine 0x${machine}" PARENT_SCOPE)
  endif()
endfunction()

if(ACTION STREQUAL "implib")
  get_filename_component(dll_name "${DLL}" NAME)
  # Refuse a DLL of the other bitness here, by name: the link would only say "file format not
  # recognized" or, worse, produce a component the host cannot load.
  _pe_machine(machine "${DLL}")
  if(NOT machine STREQUAL ARCH)
    if(machine MATCHES "^x86")
      set(machine "a ${machine} DLL")
    endif()
    _fail("${DLL} is not a ${ARCH} DLL (it is ${machine}); a ${ARCH} component needs the ${ARCH} "
          "build of the vendor library")
  endif()
  # The export table, as objdump prints it: "[Ordinal/Name Pointer] Table" then one
  # "\t[   n] name" line per exported name, up to a blank line.
  _run(dump "${OBJDUMP}" -p "${DLL}")
  string(FIND "${dump}" "[Ordinal/Name Pointer] Table" at)
  if(at LESS 0)
    _fail("${DLL} exports nothing (objdump -p shows no export name table); a component can "
          "only link a DLL through its exports")
  endif()
  string(SUBSTRING "${dump}" ${at} -1 table)
  string(REGEX REPLACE "\n[ \t]*\n.*" "" table "${table}")  # up to the first blank line
  string(REGEX MATCHALL "\n\t\\[ *[0-9]+\\] [^\n]+" entries "${table}")
  # STDCALL lists X@N for undecorated __stdcall exports X of a 32-bit DLL: the component's
  # code (its header declares X __stdcall) refers to X@N, the DLL exports X. x86-64 has one
  # calling convention and no such decoration, so the list means nothing there.
  if(NOT ARCH STREQUAL "x86")
    set(STDCALL "")
  endif()
  foreach(decorated IN LISTS STDCALL)
    if(NOT decorated MATCHES "^([^@]+)@[0-9]+$")
      _fail("STDCALL_EXPORTS entry '${decorated}' is not <name>@<argument bytes>, e.g. LegacyAdd@8")
    endif()
    set(stdcall_${CMAKE_MATCH_1} "${decorated}")
  endforeach()
  set(def "; Generated by bitbridge_add_component from the export table of ${dll_name}.\n")
  string(APPEND def "; Left out: the libgcc unwinder and runtime names a mingw-built DLL may export\n")
  string(APPEND def "; (binding them would mix two unwinders in the component).\n")
  string(APPEND def "LIBRARY \"${dll_name}\"\nEXPORTS\n")
  set(count 0)
  foreach(entry IN LISTS entries)
    string(REGEX REPLACE "^\n\t\\[ *[0-9]+\\] " "" export "${entry}")
    string(STRIP "${export}" export)
    if(export MATCHES "^(_Unwind_|__gcc_|__register_frame|__deregister_frame|__frame_state_for|__emutls_)")
      continue()
    endif()
    string(APPEND def "  \"${export}\"\n")
    if(DEFINED stdcall_${export})
      # The import library's symbol is X@N, the name imported from the DLL is X.
      string(APPEND def "  ${stdcall_${export}} == ${export}\n")
    endif()
    math(EXPR count "${count} + 1")
  endforeach()
  # An entry this DLL does not export may belong to another DLL of the component; a wrong one
  # shows up as the link's "undefined reference to `X@N'".
  if(count EQUAL 0)
    _fail("${DLL} exports nothing but libgcc runtime names")
  endif()
  file(WRITE "${DEF}" "${def}")
  _run(ignored "${DLLTOOL}" --input-def "${DEF}" --dllname "${dll_name}" --output-lib "${IMPLIB}")
  return()
endif()

if(ACTION STREQUAL "after-link")
  get_filename_component(dir "${COMPONENT}" DIRECTORY)
  get_filename_component(component_name "${COMPONENT}" NAME)
  if(OS STREQUAL "linux" AND READELF)
    # The host finds a component's libraries through RPATH $ORIGIN, by the names the component
    # records. A path recorded instead (a library without DT_SONAME linked by its path) is
    # looked up at that path only, never next to the component: on another machine, or once
    # the vendor directory moves, the component no longer loads.
    _elf_dynamic(needed "${COMPONENT}")
    set(paths "")
    foreach(entry IN LISTS needed)
      if(entry MATCHES "/")
        list(APPEND paths "${entry}")
      endif()
    endforeach()
    if(paths)
      file(REMOVE "${COMPONENT}")
      list(GET paths 0 first)
      get_filename_component(first_name "${first}" NAME)
      string(JOIN ", " paths ${paths})
      _fail("${component_name} records its dependency ${paths} by path (readelf -d: NEEDED), "
            "so the host would not find the copy next to the component. That happens when a "
            "library without a soname is linked by its path outside bitbridge_add_component's "
            "LINK_LIBRARIES (target_link_libraries, a -Wl flag, an imported target). Fix: pass "
            "it as 'LINK_LIBRARIES ${first}' of bitbridge_add_component, which links it as "
            "-l:${first_name} (recorded as '${first_name}') and copies it next to the component. "
            "The component was deleted.")
    endif()
  endif()
  foreach(lib IN LISTS VENDOR_LIBS)
    get_filename_component(name "${lib}" NAME)
    if(OS STREQUAL "linux" AND READELF)
      # The component records a library's soname when it has one (libfoo.so.3 for a file
      # libfoo.so.3.1), its file name otherwise: the copy must carry that name.
      _elf_dynamic(lib_dyn "${lib}")
      if(lib_dyn_SONAME)
        set(name "${lib_dyn_SONAME}")
      endif()
    endif()
    _run(ignored "${CMAKE_COMMAND}" -E copy_if_different "${lib}" "${dir}/${name}")
  endforeach()
  return()
endif()

_fail("BitbridgeVendorLibs.cmake: unknown ACTION '${ACTION}'")
