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

# No mingw runtime DLLs (libstdc++-6, libgcc_s_*, libwinpthread-1) to ship next to each .exe:
# link them statically into every .exe and .dll. Caveat for later DLL work: i686 mingw unwinds
# with DWARF-2 tables, and with a static libgcc every module has its own unwinder, so a C++
# exception must not cross a DLL boundary there (x86_64 uses SEH and is not affected).
foreach(kind EXE SHARED MODULE)
  set(CMAKE_${kind}_LINKER_FLAGS_INIT "-static")
endforeach()

# ctest and add_custom_command run the .exe files through Wine, in a private prefix, through
# tools/windows/wine-run.sh. An installed copy of this file (share/bitbridge/toolchains) has no
# tools/ next to it and falls back to plain `wine` with the caller's WINEPREFIX.
get_filename_component(_bitbridge_wine_run "${CMAKE_CURRENT_LIST_DIR}/../../tools/windows/wine-run.sh" ABSOLUTE)
if(EXISTS "${_bitbridge_wine_run}")
  set(CMAKE_CROSSCOMPILING_EMULATOR "${_bitbridge_wine_run}")
else()
  set(CMAKE_CROSSCOMPILING_EMULATOR wine)
endif()
unset(_bitbridge_wine_run)
