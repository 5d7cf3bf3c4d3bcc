/* Stands in for the Visual Basic 6 runtime (MSVBVM60.DLL) that every VB6 ActiveX DLL imports:
   built into a directory nothing searches, so that vb6_like_server.c's import of it fails as it
   does under a Wine prefix without the VB6 runtime. */
__declspec(dllexport) int fake_vb_runtime_version(void) { return 60; }
