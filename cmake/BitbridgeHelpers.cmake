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
#                           [IMPORT_DIRS <dir>...] [OUTPUT_DIRECTORY <dir>])
#       Builds lib<name>.so for ARCH. When ARCH is the bitness of the current project it is an
#       ordinary MODULE library target. Otherwise (a 64-bit project wrapping a 32-bit library)
#       a nested build of just this component is configured with the ARCH toolchain and the
#       matching bitbridge package; LINK_LIBRARIES must then be file paths or -l flags (the
#       nested build does not see this project's targets). The result lands in OUTPUT_DIRECTORY
#       (default: this binary dir) in both cases.
#
# Inputs: BITBRIDGE_ARCH (bitness of this build), BITBRIDGE_SCHEMA_DIR, BITBRIDGE_TOOLCHAIN_DIR,
# BITBRIDGE_OS, BITBRIDGE_CROSS_COMPONENTS, CAPNP_EXECUTABLE / CAPNPC_CXX_EXECUTABLE.
include_guard(GLOBAL)

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
                        "SOURCES;SCHEMAS;LINK_LIBRARIES;INCLUDE_DIRECTORIES;IMPORT_DIRS" ${ARGN})
  if(NOT ARG_ARCH)
    set(ARG_ARCH "${BITBRIDGE_ARCH}")
  endif()
  if(NOT ARG_ARCH MATCHES "^(x86|x86_64)$")
    message(FATAL_ERROR "bitbridge_add_component(${name}): ARCH must be x86 or x86_64, not '${ARG_ARCH}'")
  endif()
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "bitbridge_add_component(${name}): SOURCES is required")
  endif()

  if(ARG_ARCH STREQUAL BITBRIDGE_ARCH)
    add_library(${name} MODULE ${ARG_SOURCES})
    if(ARG_SCHEMAS)
      bitbridge_generate_schema(${name}_schema SCHEMAS ${ARG_SCHEMAS} IMPORT_DIRS ${ARG_IMPORT_DIRS})
      target_link_libraries(${name} PRIVATE ${name}_schema)
    endif()
    target_include_directories(${name} PRIVATE ${ARG_INCLUDE_DIRECTORIES})
    target_link_libraries(${name} PRIVATE bitbridge::component ${ARG_LINK_LIBRARIES})
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
                        "SOURCES;SCHEMAS;LINK_LIBRARIES;INCLUDE_DIRECTORIES;IMPORT_DIRS" ${ARGN})
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
  OUTPUT_DIRECTORY \"${ARG_OUTPUT_DIRECTORY}\")
")
  ExternalProject_Add(${name}
    SOURCE_DIR "${dir}/src"
    BINARY_DIR "${dir}/build"
    # The user's own prefixes too (their Cap'n Proto or spdlog may live elsewhere).
    LIST_SEPARATOR "|"
    CMAKE_ARGS "-DCMAKE_TOOLCHAIN_FILE=${toolchain}" "-DCMAKE_PREFIX_PATH=${prefix_path}"
               "-DCMAKE_BUILD_TYPE=${CMAKE_BUILD_TYPE}"
    INSTALL_COMMAND ""
    BUILD_ALWAYS ON)
endfunction()
