// A class of an ActiveX DLL found by name in the DLL's own type library, so that
// registration-free activation (Host::createComObjectFromFile) takes what a VB6 user knows, the
// ProgID "Project.Class", instead of a CLSID dug out of the type library by hand. Windows hosts.
// Thread assumption: any thread with COM initialized (the host's STA).
#pragma once

#include <windows.h>

#include <string>

namespace bitbridge {

/// The CLSID of the coclass named `name` in the type library embedded in `path` (read as data:
/// the DLL is not loaded, its dependencies need not be present). `name` is "Library.Class" (a
/// VB6 project's ProgID: its project name is the type library's name) or "Class" alone; case
/// does not matter, as in VB. Throws BadConfiguration if the file has no type library, NotFound
/// listing the classes it has if none is called so.
CLSID classIdFromTypeLibrary(const std::string& path, const std::string& name);

}  // namespace bitbridge
