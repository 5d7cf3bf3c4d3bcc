/* bind_test_lib_win32: a DLL exported the ways older Windows DLLs are, for Host::bind on Windows
 * (tests/windows/bind_win32_test.cpp, schema bind_test_win32.capnp). Its exports are those of
 * its .def file, one per bitness (bind_test_lib_win32-x86.def, -x86_64.def):
 *   - __stdcall functions exported decorated as mingw does (btw_sub@8), as MSVC does
 *     (_btw_mix@24), and undecorated as the system DLLs do (btw_plain);
 *   - a cdecl function beside them;
 *   - a function exported by ordinal only (NONAME): btw_secret is not a name GetProcAddress knows;
 *   - a C++ function under its mangled name (bind_test_lib_win32_cpp.cpp).
 * On x86-64 there is one calling convention and no decoration: the same functions, plain names. */
#include <stdint.h>

int32_t __stdcall btw_sub(int32_t a, int32_t b) { return a - b; }

/* 1 + 8 + 8 + 4 bytes of arguments, each rounded to 4 on the 32-bit stack: btw_mix@24. */
double __stdcall btw_mix(int8_t a, int64_t b, double c, float d) {
  return (double)a + (double)b + c + (double)d;
}

int32_t __stdcall btw_plain(int32_t a) { return a * 3; }

int32_t btw_cdecl_mul(int32_t a, int32_t b) { return a * b; }

int32_t btw_secret(int32_t x) { return x ^ 0x5a5a; }

/* Called many times by the test: a stdcall function called as cdecl (or the reverse) over and
 * over would unbalance the host's stack. */
int32_t __stdcall btw_count(int32_t a, int32_t b, int32_t c) { return a + b + c; }
