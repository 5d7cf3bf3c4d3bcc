# Settings for one platform build (BITBRIDGE_PLATFORM, e.g. linux-x86 or linux-x86_64).
#
# Outputs: BITBRIDGE_ARCH (x86 | x86_64), BITBRIDGE_OS (linux | windows), BITBRIDGE_POINTER_BITS,
# CMAKE_INSTALL_LIBDIR / BINDIR, the stage layout, warnings and RPATH policy.
#
# Layout of the stage (and of an install prefix), shared by every platform build:
#   Linux:   bin/bitbridge-host32, bin/bitbridge-host64, lib/<multiarch>/ (bridge-core, components)
#   Windows: bin/x86/ and bin/x86_64/, each with its host .exe, bitbridge-core.dll, the mingw
#            runtime DLLs, executables and components of that bitness. Two directories because
#            both bitnesses have a bitbridge-core.dll and a libstdc++-6.dll, and Windows finds a
#            DLL next to the .exe (or the DLL) that needs it.

if(CMAKE_SIZEOF_VOID_P EQUAL 4)
  set(BITBRIDGE_ARCH x86)
  set(BITBRIDGE_POINTER_BITS 32)
elseif(CMAKE_SIZEOF_VOID_P EQUAL 8)
  set(BITBRIDGE_ARCH x86_64)
  set(BITBRIDGE_POINTER_BITS 64)
else()
  message(FATAL_ERROR "bitbridge: unsupported pointer size ${CMAKE_SIZEOF_VOID_P}")
endif()
if(DEFINED BITBRIDGE_TOOLCHAIN_ARCH AND NOT BITBRIDGE_TOOLCHAIN_ARCH STREQUAL BITBRIDGE_ARCH)
  message(FATAL_ERROR "bitbridge: toolchain for ${BITBRIDGE_TOOLCHAIN_ARCH} produced a "
                      "${BITBRIDGE_POINTER_BITS}-bit compiler; is g++-multilib installed? "
                      "(run scripts/setup.sh)")
endif()
if(WIN32)
  set(BITBRIDGE_OS windows)
else()
  set(BITBRIDGE_OS linux)
endif()
if(BITBRIDGE_OS STREQUAL "linux" AND NOT CMAKE_LIBRARY_ARCHITECTURE)
  message(FATAL_ERROR "bitbridge: CMAKE_LIBRARY_ARCHITECTURE is not set; use a toolchain file "
                      "from cmake/toolchains/")
endif()

set(CMAKE_CXX_STANDARD 17)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)
set(CMAKE_POSITION_INDEPENDENT_CODE ON)
add_compile_options(-Wall -Wextra)
# 64-bit file offsets in 32-bit builds too: shared-memory segments larger than 4 GiB are sized
# and windowed with off_t (Boost.Interprocess offset_t). Must be uniform across the build.
add_compile_definitions(_FILE_OFFSET_BITS=64)
if(BITBRIDGE_OS STREQUAL "windows")
  include(BitbridgeWindows)  # API level, runtime DLLs, linking policy (see there)
endif()
if(BITBRIDGE_WERROR)
  add_compile_options(-Werror)
endif()
if(BITBRIDGE_SANITIZE)
  # Hosts, components, tests and examples alike: a component dlopen'ed into a sanitized host
  # must be instrumented too. Errors abort (halt_on_error) so a test cannot pass over them.
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

# Install layout, also used for the stage directory: both bitnesses share one prefix.
if(BITBRIDGE_OS STREQUAL "windows")
  set(CMAKE_INSTALL_LIBDIR "bin/${BITBRIDGE_ARCH}")
  set(CMAKE_INSTALL_BINDIR "bin/${BITBRIDGE_ARCH}")
else()
  set(CMAKE_INSTALL_LIBDIR "lib/${CMAKE_LIBRARY_ARCHITECTURE}")
  set(CMAKE_INSTALL_BINDIR "bin")
endif()
include(GNUInstallDirs)
if(NOT BITBRIDGE_STAGE_DIR)
  set(BITBRIDGE_STAGE_DIR "${CMAKE_BINARY_DIR}/stage")
endif()
set(BITBRIDGE_STAGE_BINDIR "${BITBRIDGE_STAGE_DIR}/${CMAKE_INSTALL_BINDIR}")
set(BITBRIDGE_STAGE_LIBDIR "${BITBRIDGE_STAGE_DIR}/${CMAKE_INSTALL_LIBDIR}")
set(CMAKE_RUNTIME_OUTPUT_DIRECTORY "${BITBRIDGE_STAGE_BINDIR}")
set(CMAKE_LIBRARY_OUTPUT_DIRECTORY "${BITBRIDGE_STAGE_LIBDIR}")
set(CMAKE_ARCHIVE_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/archive")
# The stage mirrors the install prefix, so the install RPATH is right in both places.
set(CMAKE_BUILD_WITH_INSTALL_RPATH ON)
set(CMAKE_INSTALL_RPATH "$ORIGIN/../${CMAKE_INSTALL_LIBDIR}")

# Where the helpers find our schemas and toolchains in this source tree.
set(BITBRIDGE_SCHEMA_DIR "${PROJECT_SOURCE_DIR}/schemas")
set(BITBRIDGE_TOOLCHAIN_DIR "${PROJECT_SOURCE_DIR}/cmake/toolchains")
# In this tree each platform build makes its own components; no nested cross builds.
set(BITBRIDGE_CROSS_COMPONENTS OFF)
message(STATUS "bitbridge: platform ${BITBRIDGE_PLATFORM}: ${BITBRIDGE_ARCH}, "
               "${BITBRIDGE_POINTER_BITS}-bit, stage ${BITBRIDGE_STAGE_DIR}")

# Stage library directories of every platform, for examples and tests that need a component
# built by the other platform build (e.g. a 64-bit demo loading a 32-bit component).
if(BITBRIDGE_OS STREQUAL "windows")
  set(BITBRIDGE_STAGE_LIBDIR_x86 "${BITBRIDGE_STAGE_DIR}/bin/x86")
  set(BITBRIDGE_STAGE_LIBDIR_x86_64 "${BITBRIDGE_STAGE_DIR}/bin/x86_64")
else()
  set(BITBRIDGE_STAGE_LIBDIR_x86 "${BITBRIDGE_STAGE_DIR}/lib/i386-linux-gnu")
  set(BITBRIDGE_STAGE_LIBDIR_x86_64 "${BITBRIDGE_STAGE_DIR}/lib/x86_64-linux-gnu")
endif()
# How a component of each bitness is named in the stage: lib<name>.so, or <name>.dll.
set(BITBRIDGE_MODULE_PREFIX "${CMAKE_SHARED_MODULE_PREFIX}")
set(BITBRIDGE_MODULE_SUFFIX "${CMAKE_SHARED_MODULE_SUFFIX}")
