# 64-bit x86 Linux: the machine's native compiler; -m64 is explicit so that this file also
# works from a 32-bit-default environment.
set(CMAKE_C_FLAGS_INIT "-m64")
set(CMAKE_CXX_FLAGS_INIT "-m64")
set(CMAKE_LIBRARY_ARCHITECTURE x86_64-linux-gnu)
set(BITBRIDGE_TOOLCHAIN_ARCH x86_64)
