/* legacy_stdcall: the "vendor" DLL of this example, written the way VB6-era Windows DLLs were:
 * 32-bit only, __stdcall (WINAPI) functions, 32-bit `long` and `char*` arguments, and export
 * names without decoration (legacy_stdcall.def), so that Visual Basic could declare them as
 *
 *   Declare Function LegacyAdd Lib "legacy_stdcall.dll" (ByVal a As Long, ByVal b As Long) As Long
 *
 * and C callers could GetProcAddress(module, "LegacyAdd"). A 64-bit process cannot load it; the
 * example reaches it through bitbridge-host32 (component/stdcall_component.cpp).
 *
 * Conventions: `long` is 32 bits on Windows in both bitnesses (LLP64). Text is returned with the
 * "call twice" protocol of that era: the caller passes a buffer and its size, the function
 * returns the full length (without the NUL) and writes as much as fits, always NUL-terminated.
 * Stateless and thread-safe.
 */
#ifndef LEGACY_STDCALL_H
#define LEGACY_STDCALL_H

#ifdef __cplusplus
extern "C" {
#endif

/* a + b, wrapping around on overflow as the 32-bit hardware does. */
long __stdcall LegacyAdd(long a, long b);

/* Describes `value` in words ("42: even, positive, 0x0000002A"). Returns the text's length;
 * the text was cut short when the result is >= size. */
long __stdcall LegacyDescribe(long value, char* buffer, long size);

/* Pointer width of the process the DLL runs in, computed inside the DLL: always 32. */
long __stdcall LegacyPointerBits(void);

/* The types a caller that loads the DLL at run time (GetProcAddress) casts to. */
typedef long(__stdcall* LegacyAddFn)(long a, long b);
typedef long(__stdcall* LegacyDescribeFn)(long value, char* buffer, long size);
typedef long(__stdcall* LegacyPointerBitsFn)(void);

#ifdef __cplusplus
}
#endif

#endif /* LEGACY_STDCALL_H */
