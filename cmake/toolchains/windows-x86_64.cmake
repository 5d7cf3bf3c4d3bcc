# 64-bit Windows (PE32+, x64) with mingw-w64, run under Wine. See windows-common.cmake and
# docs/windows.md; scripts/setup-windows.sh installs the compilers and dependencies.
set(CMAKE_SYSTEM_PROCESSOR AMD64)
set(BITBRIDGE_MINGW_TRIPLE x86_64-w64-mingw32)
set(BITBRIDGE_TOOLCHAIN_ARCH x86_64)
include("${CMAKE_CURRENT_LIST_DIR}/windows-common.cmake")
