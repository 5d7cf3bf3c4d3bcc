// VendorCalc.dll: stands for a vendor DLL as they come. tests/windows/CMakeLists.txt builds it
// with the compiler alone, the way a vendor's own build would: no import library; C++ inside
// with a static libgcc, so --export-all-symbols exports libgcc's unwinder (_Unwind_*,
// __register_frame_info, ...) next to the API; and the 32-bit build exports its __stdcall
// function undecorated (--kill-at), as VB6-era DLLs do. Windows only.
#include <stdexcept>

extern "C" {

// cdecl. Uses an exception internally, which is what pulls the unwinder into the DLL.
int vendor_calc_add(int a, int b) {
  try {
    if (a < 0 || b < 0) throw std::invalid_argument("negative");
    return a + b;
  } catch (const std::invalid_argument&) {
    return -1;
  }
}

// __stdcall: exported as "VendorCalcTwice" (the 32-bit compiler would name it VendorCalcTwice@4).
long __stdcall VendorCalcTwice(long value) { return 2 * value; }

// The pointer size of the code running this DLL: 32 or 64.
int vendor_calc_bits(void) { return static_cast<int>(sizeof(void*) * 8); }

}  // extern "C"
