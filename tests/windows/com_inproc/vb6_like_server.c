/* An ActiveX DLL as the loader sees a VB6 one: it exports DllGetClassObject and imports the
   Visual Basic runtime (here fake_vb_runtime.c, built as MSVBVM60.DLL and not installed), so it
   never loads. The class factory is never reached. */
#include <windows.h>

__declspec(dllimport) int fake_vb_runtime_version(void);

__declspec(dllexport) HRESULT __stdcall DllGetClassObject(REFCLSID clsid, REFIID iid, void** out) {
  (void)clsid;
  (void)iid;
  *out = NULL;
  return fake_vb_runtime_version() == 60 ? CLASS_E_CLASSNOTAVAILABLE : E_FAIL;
}
