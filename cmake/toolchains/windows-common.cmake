# Shared part of windows-x86.cmake and windows-x86_64.cmake; not a platform of its own.
#
# Cross compilation for Windows with Debian's mingw-w64 compilers; the results run under Wine on
# this machine (design.md §6). Inputs, set by the including file:
#   BITBRIDGE_MINGW_TRIPLE     i686-w64-mingw32 | x86_64-w64-mingw32
#   BITBRIDGE_TOOLCHAIN_ARCH   x86 | x86_64 (checked by BitbridgePlatform.cmake, as on Linux)
# Optional: BITBRIDGE_WINDOWS_DEPS (CMake or environment variable), the root of the per-triple
# prefixes that scripts/setup-windows.sh fills (default ~/.cache/bitbridge/windows).
set(CMAKE_SYSTEM_NAME Windows)

# The -posix thread model: the default -win32 one lacks std::recursive_mutex (spdlog needs it).
set(CMAKE_C_COMPILER "${BITBRIDGE_MINGW_TRIPLE}-gcc-posix")
set(CMAKE_CXX_COMPILER "${BITBRIDGE_MINGW_TRIPLE}-g++-posix")
set(CMAKE_RC_COMPILER "${BITBRIDGE_MINGW_TRIPLE}-windres")

if(NOT BITBRIDGE_WINDOWS_DEPS)
  if(DEFINED ENV{BITBRIDGE_WINDOWS_DEPS} AND NOT "$ENV{BITBRIDGE_WINDOWS_DEPS}" STREQUAL "")
    set(BITBRIDGE_WINDOWS_DEPS "$ENV{BITBRIDGE_WINDOWS_DEPS}")
  else()
    set(BITBRIDGE_WINDOWS_DEPS "$ENV{HOME}/.cache/bitbridge/windows")
  endif()
endif()
# try_compile() projects re-read this file: hand them the same value.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES BITBRIDGE_WINDOWS_DEPS)
set(BITBRIDGE_WINDOWS_PREFIX "${BITBRIDGE_WINDOWS_DEPS}/${BITBRIDGE_MINGW_TRIPLE}")

# Libraries, headers and CMake packages only from the mingw sysroot and our prefix (Cap'n Proto,
# GoogleTest, header-only spdlog/fmt/Boost); programs (the Linux capnp compiler) from the host.
set(CMAKE_FIND_ROOT_PATH "/usr/${BITBRIDGE_MINGW_TRIPLE}" "${BITBRIDGE_WINDOWS_PREFIX}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# The mingw runtime (libgcc_s_*, libstdc++-6, libwinpthread-1) is linked as DLLs, not with
# -static: a bitbridge client, libbitbridge-core.dll, a host and the components it loads throw C++
# exceptions to one another, and i686 mingw unwinds with DWARF-2 tables registered per module:
# with a static libgcc in each module, an exception thrown in one module cannot be caught in
# another and the process ends (std::terminate; a component's bitbridge::Error ended its host).
# So every program built with these files needs the runtime DLLs beside it (or on PATH):
# bitbridge_copy_runtime(<target>) of the bitbridge package copies them, and bitbridge's own
# build does (cmake/BitbridgeWindows.cmake). The installed package refuses -static in the
# linker flags (bitbridgeConfig.cmake) rather than build programs that crash on an error.

# Windows install prefixes are find roots too, so that find_package(bitbridge) works the way it
# does on Linux. With CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY, CMake searches a CMAKE_PREFIX_PATH
# entry only re-rooted under each root (/usr/<triple>/opt/bitbridge, ...), never as given, so
# -DCMAKE_PREFIX_PATH=/opt/bitbridge alone would find nothing. Each prefix the user names becomes
# a root (a root is searched as a prefix itself), and so does the bitbridge prefix this file was
# installed into (<prefix>/share/bitbridge/toolchains/): then the toolchain file alone is enough.
foreach(_bitbridge_prefix IN LISTS CMAKE_PREFIX_PATH)
  list(APPEND CMAKE_FIND_ROOT_PATH "${_bitbridge_prefix}")
endforeach()
if(DEFINED ENV{CMAKE_PREFIX_PATH})
  string(REPLACE ":" ";" _bitbridge_env_prefixes "$ENV{CMAKE_PREFIX_PATH}")
  list(APPEND CMAKE_FIND_ROOT_PATH ${_bitbridge_env_prefixes})
endif()
get_filename_component(_bitbridge_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
if(EXISTS "${_bitbridge_prefix}/lib/cmake/bitbridge/bitbridgeConfig.cmake")
  list(APPEND CMAKE_FIND_ROOT_PATH "${_bitbridge_prefix}")
endif()
list(REMOVE_DUPLICATES CMAKE_FIND_ROOT_PATH)
unset(_bitbridge_prefix)
unset(_bitbridge_env_prefixes)

# ctest and add_custom_command run the .exe files through Wine, in a private prefix, through
# wine-run.sh: tools/windows/ of the source tree, or share/bitbridge/tools/ of an install (this
# file is then in share/bitbridge/toolchains/). Plain `wine` (the caller's WINEPREFIX) if neither.
set(CMAKE_CROSSCOMPILING_EMULATOR wine)
foreach(_bitbridge_wine_run "${CMAKE_CURRENT_LIST_DIR}/../../tools/windows/wine-run.sh"
                            "${CMAKE_CURRENT_LIST_DIR}/../tools/wine-run.sh")
  get_filename_component(_bitbridge_wine_run "${_bitbridge_wine_run}" ABSOLUTE)
  if(EXISTS "${_bitbridge_wine_run}")
    set(CMAKE_CROSSCOMPILING_EMULATOR "${_bitbridge_wine_run}")
    break()
  endif()
endforeach()
unset(_bitbridge_wine_run)
