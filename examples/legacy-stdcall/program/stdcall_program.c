/* stdcall_program: an "existing program" written against the vendor's header,
 * legacy_stdcall.h, and nothing else; it knows nothing of bitbridge. The same source is built
 * twice (CMakeLists.txt):
 *   - 32-bit, linked against the real 32-bit legacy_stdcall.dll (how it always ran);
 *   - 64-bit, linked against the drop-in proxy legacy_stdcall.dll that bitbridge_add_proxy made
 *     from proxy/legacy_stdcall_bind.capnp: each call then runs in the 32-bit DLL, in
 *     bitbridge-host32.exe.
 * It also looks the functions up by name, as VB6 Declare statements and GetProcAddress callers
 * do, so the proxy's export names are checked too. It checks every answer itself and exits 1 on
 * a wrong one; when the DLL cannot be reached it reports the -1 the proxy declares, and exits 3. */
#include <stdio.h>
#include <string.h>
#include <windows.h>

#include "legacy_stdcall.h"

static int failures = 0;

static void check(int ok, const char* what) {
  if (!ok) {
    fprintf(stderr, "WRONG: %s\n", what);
    ++failures;
  }
}

int main(void) {
  long bits = LegacyPointerBits();
  if (bits == -1) {
    printf("LegacyPointerBits failed: -1 (the DLL could not be reached; see the bitbridge log)\n");
    return 3;
  }
  printf("program: %d-bit, library: %ld-bit legacy_stdcall\n", (int)(sizeof(void*) * 8), bits);

  long sum = LegacyAdd(2, 40);
  printf("LegacyAdd(2, 40) = %ld\n", sum);
  check(sum == 42, "LegacyAdd(2, 40)");
  /* long is 32 bits on Windows: the sum wraps as on the 32-bit hardware. */
  long wrapped = LegacyAdd(2147483647L, 1);
  printf("LegacyAdd(2147483647, 1) = %ld\n", wrapped);
  check(wrapped == (-2147483647L - 1), "LegacyAdd wraps around");

  /* "Call twice": ask for the length with a small buffer, then again with room for it all. */
  char small[4];
  long length = LegacyDescribe(42, small, (long)sizeof small);
  char text[128];
  long again = LegacyDescribe(42, text, (long)sizeof text);
  printf("LegacyDescribe(42) = \"%s\" (length %ld, cut to \"%s\")\n", text, again, small);
  check(length == again && (size_t)again == strlen(text), "LegacyDescribe's length");
  check(strlen(small) == sizeof small - 1 && strncmp(small, text, sizeof small - 1) == 0,
        "LegacyDescribe cut short, NUL-terminated");

  /* By name, as GetProcAddress callers and VB6 find them: undecorated. */
  HMODULE dll = GetModuleHandleA("legacy_stdcall.dll");
  LegacyAddFn add = dll ? (LegacyAddFn)(void*)GetProcAddress(dll, "LegacyAdd") : NULL;
  check(add != NULL, "GetProcAddress(\"LegacyAdd\")");
  if (add != NULL) {
    long byName = add(20, 22);
    printf("GetProcAddress(\"LegacyAdd\")(20, 22) = %ld\n", byName);
    check(byName == 42, "LegacyAdd found by name");
  }

  if (failures == 0) printf("all answers right\n");
  return failures == 0 ? 0 : 1;
}
