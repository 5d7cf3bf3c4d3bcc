# 32-bit x86 Linux on an x86-64 Debian machine through multiarch (g++-multilib + :i386 packages).
# CMAKE_LIBRARY_ARCHITECTURE makes find_package(... CONFIG) pick the i386 package configs
# (/usr/lib/i386-linux-gnu/cmake/...). CMAKE_SYSTEM_NAME is deliberately not set: the result
# runs natively on this machine, so this is not treated as cross-compiling.
set(CMAKE_C_FLAGS_INIT "-m32")
set(CMAKE_CXX_FLAGS_INIT "-m32")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-m32")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-m32")
set(CMAKE_MODULE_LINKER_FLAGS_INIT "-m32")
set(CMAKE_LIBRARY_ARCHITECTURE i386-linux-gnu)
set(CMAKE_IGNORE_PATH /usr/lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu/cmake)
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/i386-linux-gnu/pkgconfig:/usr/share/pkgconfig)
set(BITBRIDGE_TOOLCHAIN_ARCH x86)
