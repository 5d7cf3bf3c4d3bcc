# CMake helpers for bitbridge users; installed with the package and used by this tree too.
#
#   bitbridge_generate_schema(<target> SCHEMAS <file.capnp>... [IMPORT_DIRS <dir>...]
#                             [SRC_PREFIX <dir>] [OBJECT])
#       A static library with the C++ code generated from the schemas, for clients and
#       components of the current bitness. Include "<file>.capnp.h" (or, with SRC_PREFIX, the
#       schema's path relative to that directory plus ".h"). OBJECT makes an object library
#       (its code becomes part of whatever links it).
#
#   bitbridge_add_component(<name> ARCH <x86|x86_64>
#                           SOURCES <file>... [SCHEMAS <file.capnp>...]
#                           [LINK_LIBRARIES <lib>...] [INCLUDE_DIRECTORIES <dir>...]
#                           [IMPORT_DIRS <dir>...] [OUTPUT_DIRECTORY <dir>]
#                           [STDCALL_EXPORTS <name>@<bytes>...])
#       Builds lib<name>.so for ARCH. When ARCH is the bitness of the current project it is an
#       ordinary MODULE library target. Otherwise (a 64-bit project wrapping a 32-bit library)
#       a nested build of just this component is configured with the ARCH toolchain and the
#       matching bitbridge package; LINK_LIBRARIES must then be file paths or -l flags (the
#       nested build does not see this project's targets). The result lands in OUTPUT_DIRECTORY
#       (default: this binary dir) in both cases.
#       A LINK_LIBRARIES entry that is an absolute path to a shared library (any name, with or
#       without a soname; on Windows a .dll, with or without an import library) is a vendor
#       library: the component records its bare name and the file is copied next to the
#       component (see _bitbridge_link_libraries). STDCALL_EXPORTS names the undecorated
#       __stdcall exports of a 32-bit vendor DLL with their decoration (LegacyAdd@8).
#
#   bitbridge_copy_runtime(<target>)
#       Windows: after each build of <target> (a program linking bitbridge::client), copies what
#       it needs at run time next to it: libbitbridge-core.dll, the mingw runtime DLLs and the
#       host of its bitness, and the other bitness's host with its own DLLs into
#       <target dir>/<x86|x86_64>/, where the client looks for it. That directory then runs as it
#       is (no PATH), and can be shipped as it is. Linux: does nothing (the RPATH finds the
#       installed libbitbridge-core.so, which finds the hosts).
#
#   bitbridge_add_proxy(<name> SCHEMA <file.capnp> HEADER <vendor header>
#                       [INTERFACE <Name>] [LIBRARY <path>] [OUTPUT_NAME <name>]
#                       [INCLUDE_DIRECTORIES <dir>...] [IMPORT_DIRS <dir>...])
#       A drop-in proxy: a shared library of this build's bitness exporting every function of the
#       bind schema's interface with HEADER's C signature, each forwarded through bitbridge to
#       the real library (LIBRARY, or $BITBRIDGE_PROXY_<NAME>_LIBRARY at run time) bound in a
#       host of that library's bitness. `bitbridge proxy` writes its source at build time.
#       OUTPUT_NAME (default <name>) makes lib<OUTPUT_NAME>.so: the vendor's library name, so a
#       program linked against the vendor's library loads the proxy in its place.
#
# Inputs: BITBRIDGE_ARCH (bitness of this build), BITBRIDGE_SCHEMA_DIR, BITBRIDGE_TOOLCHAIN_DIR,
# BITBRIDGE_OS, BITBRIDGE_CROSS_COMPONENTS, CAPNP_EXECUTABLE / CAPNPC_CXX_EXECUTABLE,
# BITBRIDGE_PREFIX (installed package only).
include_guard(GLOBAL)

# The build-time half of the vendor library handling; installed next to this file.
set(_BITBRIDGE_VENDOR_SCRIPT "${CMAKE_CURRENT_LIST_DIR}/BitbridgeVendorLibs.cmake")

function(bitbridge_generate_schema target)
  cmake_parse_arguments(ARG "OBJECT" "SRC_PREFIX" "SCHEMAS;IMPORT_DIRS" ${ARGN})
  if(NOT ARG_SCHEMAS)
    message(FATAL_ERROR "bitbridge_generate_schema(${target}): SCHEMAS is required")
  endif()
  set(outdir "${CMAKE_CURRENT_BINARY_DIR}/${target}.capnp-gen")
  set(import_flags "-I${CAPNP_INCLUDE_DIRECTORY}")
  foreach(dir IN LISTS ARG_IMPORT_DIRS BITBRIDGE_SCHEMA_DIR)
    list(APPEND import_flags "-I${dir}")
  endforeach()
  set(sources "")
  foreach(schema IN LISTS ARG_SCHEMAS)
    get_filename_component(abs "${schema}" ABSOLUTE)
    if(ARG_SRC_PREFIX)
      get_filename_component(dir "${ARG_SRC_PREFIX}" ABSOLUTE)
      file(RELATIVE_PATH file "${dir}" "${abs}")
    else()
      get_filename_component(dir "${abs}" DIRECTORY)
      get_filename_component(file "${abs}" NAME)
    endif()
    add_custom_command(
      OUTPUT "${outdir}/${file}.h" "${outdir}/${file}.c++"
      COMMAND "${CMAKE_COMMAND}" -E make_directory "${outdir}"
      # PWD is unset because capnp warns when it does not match the working directory.
      COMMAND "${CMAKE_COMMAND}" -E env --unset=PWD
              "${CAPNP_EXECUTABLE}" compile ${import_flags} "--src-prefix=${dir}"
              "-o${CAPNPC_CXX_EXECUTABLE}:${outdir}" "${abs}"
      DEPENDS "${abs}"
      COMMENT "capnp: generating C++ for ${file}"
      VERBATIM)
    list(APPEND sources "${outdir}/${file}.c++")
  endforeach()
  if(ARG_OBJECT)
    add_library(${target} OBJECT ${sources})
  else()
    add_library(${target} STATIC ${sources})
  endif()
  set_source_files_properties(${sources} PROPERTIES LANGUAGE CXX)
  set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  target_include_directories(${target} PUBLIC "$<BUILD_INTERFACE:${outdir}>")
  if(BITBRIDGE_OS STREQUAL "windows")
    # Cap'n Proto's code comes from bitbridge-core.dll on Windows (one copy per process).
    target_include_directories(${target} PUBLIC
      "$<TARGET_PROPERTY:CapnProto::capnp,INTERFACE_INCLUDE_DIRECTORIES>")
  else()
    target_link_libraries(${target} PUBLIC CapnProto::capnp-rpc)
  endif()
  if(NOT ARG_OBJECT)
    # Schemas may import /bitbridge/bulk.capnp: its generated header and code come with
    # bridge-core. (The OBJECT form is how bridge-core builds its own schemas.)
    target_link_libraries(${target} PUBLIC bitbridge::core)
  endif()
endfunction()

function(bitbridge_add_component name)
  cmake_parse_arguments(ARG "" "ARCH;OUTPUT_DIRECTORY"
                        "SOURCES;SCHEMAS;LINK_LIBRARIES;INCLUDE_DIRECTORIES;IMPORT_DIRS;STDCALL_EXPORTS"
                        ${ARGN})
  if(NOT ARG_ARCH)
    set(ARG_ARCH "${BITBRIDGE_ARCH}")
  endif()
  if(NOT ARG_ARCH MATCHES "^(x86|x86_64)$")
    message(FATAL_ERROR "bitbridge_add_component(${name}): ARCH must be x86 or x86_64, not '${ARG_ARCH}'")
  endif()
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "bitbridge_add_component(${name}): SOURCES is required")
  endif()
  # Here, not only in the build that makes the component: a nested build is configured while
  # this project builds, and a mistake should stop this project's configure step.
  _bitbridge_check_link_libraries(${name} ${ARG_LINK_LIBRARIES})

  if(ARG_ARCH STREQUAL BITBRIDGE_ARCH)
    add_library(${name} MODULE ${ARG_SOURCES})
    if(ARG_SCHEMAS)
      bitbridge_generate_schema(${name}_schema SCHEMAS ${ARG_SCHEMAS} IMPORT_DIRS ${ARG_IMPORT_DIRS})
      target_link_libraries(${name} PRIVATE ${name}_schema)
    endif()
    target_include_directories(${name} PRIVATE ${ARG_INCLUDE_DIRECTORIES})
    _bitbridge_link_libraries(${name} STDCALL_EXPORTS ${ARG_STDCALL_EXPORTS}
                              LINK_LIBRARIES ${ARG_LINK_LIBRARIES})
    # A component finds the legacy library it wraps next to itself, and nowhere else: the same
    # RPATH in the build tree as installed, so a missing dependency shows up while testing.
    set_target_properties(${name} PROPERTIES INSTALL_RPATH "$ORIGIN" BUILD_WITH_INSTALL_RPATH ON)
    if(ARG_OUTPUT_DIRECTORY)
      set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${ARG_OUTPUT_DIRECTORY}")
    endif()
  elseif(BITBRIDGE_CROSS_COMPONENTS)
    _bitbridge_nested_component(${name} ${ARGN})
  else()
    message(STATUS "bitbridge: ${name} is for ${ARG_ARCH}; the ${ARG_ARCH} platform build makes it")
  endif()
endfunction()

# A component of the other bitness: a generated one-component project built with that
# bitness's toolchain against the bitbridge package of that bitness from the same prefix.
function(_bitbridge_nested_component name)
  cmake_parse_arguments(ARG "" "ARCH;OUTPUT_DIRECTORY"
                        "SOURCES;SCHEMAS;LINK_LIBRARIES;INCLUDE_DIRECTORIES;IMPORT_DIRS;STDCALL_EXPORTS"
                        ${ARGN})
  include(ExternalProject)
  set(toolchain "${BITBRIDGE_TOOLCHAIN_DIR}/${BITBRIDGE_OS}-${ARG_ARCH}.cmake")
  if(NOT EXISTS "${toolchain}")
    message(FATAL_ERROR "bitbridge_add_component(${name}): no toolchain for ${ARG_ARCH} (${toolchain})")
  endif()
  if(NOT ARG_OUTPUT_DIRECTORY)
    set(ARG_OUTPUT_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}")
  endif()
  set(absolute "")
  foreach(kind SOURCES SCHEMAS INCLUDE_DIRECTORIES IMPORT_DIRS)
    set(list_${kind} "")
    foreach(item IN LISTS ARG_${kind})
      get_filename_component(item "${item}" ABSOLUTE)
      list(APPEND list_${kind} "\"${item}\"")
    endforeach()
    list(JOIN list_${kind} " " list_${kind})
  endforeach()
  set(libs "")
  foreach(item IN LISTS ARG_LINK_LIBRARIES)
    if(TARGET "${item}")
      message(FATAL_ERROR "bitbridge_add_component(${name}): LINK_LIBRARIES '${item}' is a target of "
                          "this ${BITBRIDGE_ARCH} project; a ${ARG_ARCH} component needs a file path")
    endif()
    list(APPEND libs "\"${item}\"")
  endforeach()
  list(JOIN libs " " libs)
  set(dir "${CMAKE_CURRENT_BINARY_DIR}/${name}.${ARG_ARCH}")
  set(prefix_path "${BITBRIDGE_PREFIX}" ${CMAKE_PREFIX_PATH})
  list(JOIN prefix_path "|" prefix_path)
  file(WRITE "${dir}/src/CMakeLists.txt"
"# Generated by bitbridge_add_component: builds ${name} for ${ARG_ARCH}.
cmake_minimum_required(VERSION 3.20)
project(${name}_${ARG_ARCH} LANGUAGES C CXX)
set(CMAKE_CXX_STANDARD 17)
find_package(bitbridge REQUIRED CONFIG)
bitbridge_add_component(${name} ARCH ${ARG_ARCH}
  SOURCES ${list_SOURCES}
  SCHEMAS ${list_SCHEMAS}
  INCLUDE_DIRECTORIES ${list_INCLUDE_DIRECTORIES}
  IMPORT_DIRS ${list_IMPORT_DIRS}
  LINK_LIBRARIES ${libs}
  STDCALL_EXPORTS ${ARG_STDCALL_EXPORTS}
  OUTPUT_DIRECTORY \"${ARG_OUTPUT_DIRECTORY}\")
")
  set(extra_args "")
  if(BITBRIDGE_OS STREQUAL "windows")
    # The package of that bitness by its directory: nothing left to search for. And the same
    # mingw dependency prefixes as this build (Cap'n Proto, spdlog), when they were chosen here.
    list(APPEND extra_args "-Dbitbridge_DIR=${BITBRIDGE_PREFIX}/bin/${ARG_ARCH}/cmake/bitbridge")
    if(BITBRIDGE_WINDOWS_DEPS)
      list(APPEND extra_args "-DBITBRIDGE_WINDOWS_DEPS=${BITBRIDGE_WINDOWS_DEPS}")
    endif()
  endif()
  ExternalProject_Add(${name}
    SOURCE_DIR "${dir}/src"
    BINARY_DIR "${dir}/build"
    # The user's own prefixes too (their Cap'n Proto or spdlog may live elsewhere).
    LIST_SEPARATOR "|"
    CMAKE_ARGS "-DCMAKE_TOOLCHAIN_FILE=${toolchain}" "-DCMAKE_PREFIX_PATH=${prefix_path}"
               "-DCMAKE_BUILD_TYPE=${CMAKE_BUILD_TYPE}" ${extra_args}
    INSTALL_COMMAND ""
    BUILD_ALWAYS ON)
endfunction()

# --- LINK_LIBRARIES of a component ---------------------------------------------------------
#
# A component's RPATH is $ORIGIN only: the host finds the legacy library it wraps next to the
# component, by the name the component records for it (DT_NEEDED on Linux, the import's DLL
# name on Windows). Vendor libraries rarely cooperate with the usual way of linking them:
#   - Linux: most vendor .so files have no DT_SONAME. Linked by path, GNU ld records that path
#     as DT_NEEDED (never found next to the component), and CMake even rewrites a path like
#     /opt/v/vendor32.so into -lvendor32 ("cannot find -lvendor32"). Linked as -l:<file name>
#     from a directory on the -L path, ld records the bare file name instead (or the soname,
#     when there is one). So each vendor library is staged into <name>.vendor/ of this binary
#     directory (only vendor libraries there, so that -L finds nothing else) and linked from it.
#   - Windows: vendor DLLs often come without an import library, and linking the DLL itself
#     lets ld bind whatever it exports, including a static libgcc's unwinder (_Unwind_*,
#     __register_frame_info, ...) that mingw-built DLLs export with --export-all-symbols: the
#     component would then mix two unwinders. So an import library is generated from the DLL's
#     export table without those names (BitbridgeVendorLibs.cmake, ACTION implib).
# In both cases the library itself is copied next to the component after each link.

# The kind of vendor library a LINK_LIBRARIES entry is: "so", "dll" or "" (not one: targets,
# generator expressions, flags, -l names, static and import libraries are linked as given).
function(_bitbridge_vendor_kind item out)
  set(kind "")
  if(NOT item MATCHES "^(-|\\$<)" AND NOT TARGET "${item}" AND IS_ABSOLUTE "${item}"
     AND NOT item MATCHES "\\.([aA]|[lL][iI][bB])$")
    if(BITBRIDGE_OS STREQUAL "windows")
      if(item MATCHES "\\.[dD][lL][lL]$")
        set(kind "dll")
      endif()
    else()
      set(kind "so")
    endif()
  endif()
  set(${out} "${kind}" PARENT_SCOPE)
endfunction()

# Configure-time checks of LINK_LIBRARIES, run by this project and again by a nested build:
# everything that would make the component record a library by path, or collide next to it.
function(_bitbridge_check_link_libraries name)
  set(where "bitbridge_add_component(${name}): LINK_LIBRARIES")
  set(names "")
  foreach(item IN LISTS ARGN)
    _bitbridge_vendor_kind("${item}" kind)
    if(kind)
      if(IS_DIRECTORY "${item}")
        message(FATAL_ERROR "${where} '${item}' is a directory; give the path of the library "
                            "file itself")
      endif()
      get_filename_component(file "${item}" NAME)
      string(TOLOWER "${file}" key)  # Windows file names are case-insensitive
      if(key IN_LIST names)
        message(FATAL_ERROR "${where} has two libraries named '${file}'; both would be copied "
                            "next to the component under that name")
      endif()
      list(APPEND names "${key}")
    elseif(item MATCHES "^(-Wl,|LINKER:)(.*)")
      # A linker flag that hands the linker a shared library by its path: GNU ld records that
      # path as DT_NEEDED when the library has no soname.
      string(REPLACE "," ";" parts "${CMAKE_MATCH_2}")
      foreach(part IN LISTS parts)
        string(REGEX REPLACE "^-l:?" "" part "${part}")
        if(IS_ABSOLUTE "${part}" AND part MATCHES "\\.(so(\\.[0-9]+)*|[dD][lL][lL])$")
          message(FATAL_ERROR "${where} '${item}' passes the library ${part} inside a linker "
                              "flag: the component would record its absolute path (or fail to "
                              "link), and the host would not find the copy next to the component. "
                              "Fix: pass the path itself, 'LINK_LIBRARIES ${part}'; "
                              "bitbridge_add_component then records its bare file name and copies "
                              "it next to the component.")
        endif()
      endforeach()
    elseif(NOT item MATCHES "^(-|\\$<)" AND NOT TARGET "${item}" AND NOT IS_ABSOLUTE "${item}"
           AND item MATCHES "[/\\\\]|\\.(so(\\.[0-9]+)*|[dD][lL][lL])$")
      # A relative path or a bare file name: the linker would look for it in its working
      # directory (the component's build directory), and a nested build has another one.
      message(FATAL_ERROR "${where} '${item}' is a file name or relative path; give the "
                          "absolute path of the library file (e.g. "
                          "\${CMAKE_CURRENT_SOURCE_DIR}/${item})")
    endif()
  endforeach()
endfunction()

# The same-bitness component target ${name}: links bitbridge::component and LINK_LIBRARIES,
# the vendor libraries among them as described above, and copies those next to the component
# after each link. On Linux the step after the link also fails the build (and deletes the
# component) if the component records any dependency by path, however it got linked.
function(_bitbridge_link_libraries name)
  cmake_parse_arguments(ARG "" "" "LINK_LIBRARIES;STDCALL_EXPORTS" ${ARGN})
  set(stage "${CMAKE_CURRENT_BINARY_DIR}/${name}.vendor")
  set(link bitbridge::component)
  set(staged "")  # files the link needs, made at build time
  set(copies "")  # libraries to copy next to the component after the link
  list(JOIN ARG_STDCALL_EXPORTS "|" stdcall)
  foreach(item IN LISTS ARG_LINK_LIBRARIES)
    _bitbridge_vendor_kind("${item}" kind)
    get_filename_component(file "${item}" NAME)
    if(kind STREQUAL "so")
      # Staged by a build step, so a changed vendor library is re-staged and relinked.
      add_custom_command(OUTPUT "${stage}/${file}"
        COMMAND "${CMAKE_COMMAND}" -E copy "${item}" "${stage}/${file}"
        DEPENDS "${item}"
        COMMENT "bitbridge: ${name} links the vendor library ${item} as -l:${file}"
        VERBATIM)
      list(APPEND staged "${stage}/${file}")
      list(APPEND copies "${stage}/${file}")
      list(APPEND link "-l:${file}")
    elseif(kind STREQUAL "dll")
      _bitbridge_binutil(objdump OBJDUMP objdump)
      _bitbridge_binutil(dlltool DLLTOOL dlltool)
      set(implib "${stage}/lib${file}.a")
      add_custom_command(OUTPUT "${implib}" "${stage}/${file}.def"
        COMMAND "${CMAKE_COMMAND}" -DACTION=implib "-DDLL=${item}" "-DARCH=${BITBRIDGE_ARCH}"
                "-DDEF=${stage}/${file}.def" "-DIMPLIB=${implib}" "-DSTDCALL=${stdcall}"
                "-DOBJDUMP=${objdump}" "-DDLLTOOL=${dlltool}" -P "${_BITBRIDGE_VENDOR_SCRIPT}"
        DEPENDS "${item}" "${_BITBRIDGE_VENDOR_SCRIPT}"
        COMMENT "bitbridge: ${name} links the vendor DLL ${item} through an import library of its exports"
        VERBATIM)
      list(APPEND staged "${implib}")
      list(APPEND copies "${item}")
      list(APPEND link "${implib}")
    else()
      list(APPEND link "${item}")
    endif()
  endforeach()
  if(staged)
    add_custom_target(${name}_vendor_libraries DEPENDS ${staged})
    add_dependencies(${name} ${name}_vendor_libraries)
    # Relink when a vendor library changes: CMake does not scan -l: names for dependencies.
    set_property(TARGET ${name} APPEND PROPERTY LINK_DEPENDS ${staged})
    if(BITBRIDGE_OS STREQUAL "linux")
      target_link_directories(${name} PRIVATE "${stage}")
    endif()
  endif()
  target_link_libraries(${name} PRIVATE ${link})
  set(readelf "")
  if(BITBRIDGE_OS STREQUAL "linux")
    _bitbridge_binutil(readelf READELF readelf)
  endif()
  if(copies OR readelf)
    list(JOIN copies "|" copies)
    add_custom_command(TARGET ${name} POST_BUILD
      COMMAND "${CMAKE_COMMAND}" -DACTION=after-link "-DCOMPONENT=$<TARGET_FILE:${name}>"
              "-DOS=${BITBRIDGE_OS}" "-DREADELF=${readelf}" "-DVENDOR_LIBS=${copies}"
              -P "${_BITBRIDGE_VENDOR_SCRIPT}"
      VERBATIM)
  endif()
endfunction()

# A binutils program of this toolchain into <var>: CMake's CMAKE_<VAR> when it found one, else
# <triple>-<tool> (mingw) or <tool>.
function(_bitbridge_binutil var cmake_var tool)
  if(CMAKE_${cmake_var})
    set(${var} "${CMAKE_${cmake_var}}" PARENT_SCOPE)
    return()
  endif()
  find_program(BITBRIDGE_${cmake_var} NAMES ${BITBRIDGE_MINGW_TRIPLE}-${tool} ${tool})
  if(NOT BITBRIDGE_${cmake_var})
    message(FATAL_ERROR "bitbridge: ${tool} not found; it comes with binutils (mingw-w64 for Windows)")
  endif()
  set(${var} "${BITBRIDGE_${cmake_var}}" PARENT_SCOPE)
endfunction()

# --- Windows: the mingw runtime --------------------------------------------------------------
#
# A client, libbitbridge-core.dll, a host and its components throw C++ exceptions to one another
# (a component's bitbridge::Error travels to the client as an error reply, but is thrown and
# caught across DLLs on the way). i686 mingw unwinds with DWARF-2 tables registered per module:
# linked with -static, each module has its own unwinder, an exception cannot leave the module
# that threw it, and the process ends. So -static (and -static-libgcc / -static-libstdc++) in the
# linker flags is refused before anything is built, naming where it came from.
function(_bitbridge_refuse_static_runtime)
  string(TOUPPER "${CMAKE_BUILD_TYPE}" config)
  foreach(kind EXE SHARED MODULE)
    foreach(var CMAKE_${kind}_LINKER_FLAGS CMAKE_${kind}_LINKER_FLAGS_${config})
      if(" ${${var}} " MATCHES " (-static(-libgcc|-libstdc\\+\\+)?) ")
        message(FATAL_ERROR
          "bitbridge: ${var} contains ${CMAKE_MATCH_1}. On Windows, programs and DLLs that use "
          "bitbridge must link the mingw runtime as DLLs: with a static runtime each module has "
          "its own unwinder, and the first error a component throws ends the host. "
          "Fix: remove ${CMAKE_MATCH_1} from ${var} (bitbridge's toolchain files "
          "share/bitbridge/toolchains/windows-*.cmake do not set it; an older copy or your own "
          "toolchain file does), and call bitbridge_copy_runtime(<your program>) to put the "
          "runtime DLLs next to it.")
      endif()
    endforeach()
  endforeach()
endfunction()

function(bitbridge_copy_runtime target)
  if(NOT TARGET "${target}")
    message(FATAL_ERROR "bitbridge_copy_runtime(${target}): no such target")
  endif()
  if(NOT BITBRIDGE_OS STREQUAL "windows")
    return()  # Linux: the RPATH does it
  endif()
  if(NOT BITBRIDGE_PREFIX)
    message(FATAL_ERROR "bitbridge_copy_runtime(${target}) is for projects using an installed "
                        "bitbridge (find_package(bitbridge)); in bitbridge's own tree the stage "
                        "already has this layout")
  endif()
  set(commands "")
  foreach(arch x86 x86_64)
    set(from "${BITBRIDGE_PREFIX}/bin/${arch}")
    if(arch STREQUAL "x86")
      set(host "bitbridge-host32.exe")
    else()
      set(host "bitbridge-host64.exe")
    endif()
    if(NOT EXISTS "${from}/${host}")
      if(arch STREQUAL BITBRIDGE_ARCH)
        message(FATAL_ERROR "bitbridge_copy_runtime(${target}): ${from}/${host} is missing; "
                            "the prefix ${BITBRIDGE_PREFIX} is incomplete (install both "
                            "bitnesses with cmake --install <bitbridge build-windows> --prefix ...)")
      endif()
      message(WARNING "bitbridge_copy_runtime(${target}): the prefix ${BITBRIDGE_PREFIX} has no "
                      "${arch} build (no ${from}/${host}); only ${BITBRIDGE_ARCH} components will "
                      "load from ${target}'s directory")
      continue()
    endif()
    file(GLOB dlls "${from}/*.dll")
    if(arch STREQUAL BITBRIDGE_ARCH)
      set(to "$<TARGET_FILE_DIR:${target}>")
    else()
      set(to "$<TARGET_FILE_DIR:${target}>/${arch}")
    endif()
    list(APPEND commands COMMAND "${CMAKE_COMMAND}" -E make_directory "${to}"
                         COMMAND "${CMAKE_COMMAND}" -E copy_if_different ${dlls} "${from}/${host}" "${to}")
  endforeach()
  add_custom_command(TARGET ${target} POST_BUILD ${commands}
    COMMENT "bitbridge: copying the bitbridge runtime and hosts next to ${target}"
    VERBATIM)
endfunction()

if(BITBRIDGE_OS STREQUAL "windows")
  _bitbridge_refuse_static_runtime()
endif()

# The `bitbridge` program that writes proxies' sources: this tree's own, or the installed one
# (either bitness writes the same source). Cross-compiling for Windows it is a .exe, run through
# the toolchain's emulator (Wine, tools/windows/wine-run.sh): add_custom_command prepends it to a
# target's name by itself, and to the installed program's path here.
function(_bitbridge_proxy_generator out)
  if(TARGET bitbridge_cli)
    set(${out} bitbridge_cli PARENT_SCOPE)
    return()
  endif()
  find_program(BITBRIDGE_PROXY_GENERATOR NAMES bitbridge bitbridge32 bitbridge.exe
               PATHS "${BITBRIDGE_PREFIX}/bin" "${BITBRIDGE_PREFIX}/bin/${BITBRIDGE_ARCH}"
               NO_DEFAULT_PATH)
  if(NOT BITBRIDGE_PROXY_GENERATOR)
    message(FATAL_ERROR "bitbridge_add_proxy: no `bitbridge` program in ${BITBRIDGE_PREFIX}/bin "
                        "(it writes the proxy's source); install bitbridge with its tools")
  endif()
  if(CMAKE_CROSSCOMPILING AND CMAKE_CROSSCOMPILING_EMULATOR)
    set(${out} ${CMAKE_CROSSCOMPILING_EMULATOR} "${BITBRIDGE_PROXY_GENERATOR}" PARENT_SCOPE)
  else()
    set(${out} "${BITBRIDGE_PROXY_GENERATOR}" PARENT_SCOPE)
  endif()
endfunction()

function(bitbridge_add_proxy name)
  cmake_parse_arguments(ARG "" "SCHEMA;HEADER;INTERFACE;LIBRARY;OUTPUT_NAME"
                        "INCLUDE_DIRECTORIES;IMPORT_DIRS" ${ARGN})
  foreach(required SCHEMA HEADER)
    if(NOT ARG_${required})
      message(FATAL_ERROR "bitbridge_add_proxy(${name}): ${required} is required")
    endif()
  endforeach()
  if(NOT ARG_OUTPUT_NAME)
    set(ARG_OUTPUT_NAME "${name}")
  endif()
  get_filename_component(schema "${ARG_SCHEMA}" ABSOLUTE)
  get_filename_component(schema_name "${schema}" NAME)
  get_filename_component(header "${ARG_HEADER}" ABSOLUTE)
  get_filename_component(header_dir "${header}" DIRECTORY)
  get_filename_component(header_name "${header}" NAME)
  if(NOT EXISTS "${header}")
    message(FATAL_ERROR "bitbridge_add_proxy(${name}): HEADER ${header} does not exist")
  endif()

  bitbridge_generate_schema(${name}_schema SCHEMAS "${schema}" IMPORT_DIRS ${ARG_IMPORT_DIRS})
  _bitbridge_proxy_generator(generator)
  list(GET generator -1 generator_depends)  # the program, not the emulator before it
  set(import_flags "-I${CAPNP_INCLUDE_DIRECTORY}")
  foreach(dir IN LISTS ARG_IMPORT_DIRS BITBRIDGE_SCHEMA_DIR)
    list(APPEND import_flags "-I${dir}")
  endforeach()
  set(source "${CMAKE_CURRENT_BINARY_DIR}/${name}.proxy-gen/${name}_proxy.cpp")
  set(interface_args "")
  if(ARG_INTERFACE)
    set(interface_args --interface "${ARG_INTERFACE}")
  endif()
  add_custom_command(
    OUTPUT "${source}"
    COMMAND "${CMAKE_COMMAND}" -E make_directory "${CMAKE_CURRENT_BINARY_DIR}/${name}.proxy-gen"
    COMMAND ${generator} proxy "${schema}" --header "${header_name}" --name "${ARG_OUTPUT_NAME}"
            --library "${ARG_LIBRARY}" ${interface_args} ${import_flags} -o "${source}"
    DEPENDS "${schema}" ${generator_depends}
    COMMENT "bitbridge: writing the drop-in proxy ${ARG_OUTPUT_NAME} from ${schema_name}"
    VERBATIM)

  add_library(${name} SHARED "${source}")
  set_target_properties(${name} PROPERTIES OUTPUT_NAME "${ARG_OUTPUT_NAME}"
                        CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
  target_include_directories(${name} PRIVATE "${header_dir}" ${ARG_INCLUDE_DIRECTORIES})
  target_link_libraries(${name} PRIVATE bitbridge::client ${name}_schema)
  # A proxy is dropped where the program looks for the vendor's library, not next to
  # libbitbridge-core: it finds that by the absolute directory it was linked from, in the build
  # tree and installed alike.
  set_target_properties(${name} PROPERTIES BUILD_WITH_INSTALL_RPATH OFF
                        INSTALL_RPATH_USE_LINK_PATH ON)
  if(NOT BITBRIDGE_OS STREQUAL "windows")
    # Only the vendor's functions are exported: not the generated schema code nor Cap'n Proto's
    # static parts, which would otherwise leak out of the static archives.
    target_link_options(${name} PRIVATE "LINKER:--exclude-libs,ALL")
  else()
    # The vendor's DLL name as it is (vendor.dll, not libvendor.dll). A __stdcall export is
    # named `Name@8` by mingw; the alias adds the undecorated `Name` that .def-built vendor DLLs
    # (and GetProcAddress callers, VB6 Declare statements) use. 64-bit names are never decorated.
    set_target_properties(${name} PROPERTIES PREFIX "")
    if(BITBRIDGE_ARCH STREQUAL "x86")
      target_link_options(${name} PRIVATE "LINKER:--add-stdcall-alias")
    endif()
  endif()
endfunction()
