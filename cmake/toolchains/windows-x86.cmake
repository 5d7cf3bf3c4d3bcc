# 32-bit Windows (PE32, i386) with mingw-w64, run under Wine. See windows-common.cmake and
# docs/windows.md; scripts/setup-windows.sh installs the compilers and dependencies.
set(CMAKE_SYSTEM_PROCESSOR x86)
set(BITBRIDGE_MINGW_TRIPLE i686-w64-mingw32)
set(BITBRIDGE_TOOLCHAIN_ARCH x86)
include("${CMAKE_CURRENT_LIST_DIR}/windows-common.cmake")
