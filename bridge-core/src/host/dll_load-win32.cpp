// Loading a DLL with an error that names the missing or wrong-bitness dependency
// (dll_load-win32.h).
#include "host/dll_load-win32.h"

#include <algorithm>
#include <cctype>

#include "bitbridge/error.h"
#include "common/inspect_hint.h"
#include "common/platform/module_path-win32.h"
#include "common/platform/text-win32.h"
#include "host/components/component_loader.h"

namespace bitbridge {
namespace {

std::string bitsText() { return std::to_string(sizeof(void*) * 8) + "-bit"; }

// Where a missing Visual Basic runtime comes from: every VB5/VB6 ActiveX DLL imports one.
// Windows ships msvbvm60.dll (in SysWOW64 on 64-bit Windows); Wine does not, so under Wine it
// is the first thing a VB6 DLL misses.
std::string visualBasicRuntimeHint(const std::string& dll) {
  std::string name = dll;
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (name != "msvbvm60.dll" && name != "msvbvm50.dll") return {};
  return "; it is the Visual Basic " + std::string(name == "msvbvm60.dll" ? "6" : "5") +
         " runtime, which Windows has in SysWOW64 and Wine does not: under Wine copy " + dll +
         " from a Windows machine (or the VB6 runtime redistributable) into the prefix's "
         "drive_c/windows/syswow64 (32-bit system directory) or next to the DLL";
}

}  // namespace

LoadedDll loadDllExplainingFailure(const std::string& path, const std::string& role) {
  std::wstring wide = widen(path);
  DWORD size = ::GetFullPathNameW(wide.c_str(), 0, nullptr, nullptr);
  std::wstring full(size, L'\0');
  size = ::GetFullPathNameW(wide.c_str(), size, &full[0], nullptr);
  if (size == 0) {
    throw Error(ErrorKind::NotFound, "cannot resolve " + path + ": " + lastWin32ErrorText());
  }
  full.resize(size);
  LoadedDll loaded{nullptr, narrow(full)};
  loaded.module = ::LoadLibraryExW(full.c_str(), nullptr, LOAD_WITH_ALTERED_SEARCH_PATH);
  if (loaded.module != nullptr) return loaded;

  DWORD error = ::GetLastError();
  std::string loaderText = win32ErrorText(error);
  if (error == ERROR_MOD_NOT_FOUND || error == ERROR_BAD_EXE_FORMAT) {
    if (auto problem = findDependencyProblem(loaded.path, moduleFileName(nullptr))) {
      if (problem->status == DependencyStatus::WrongBitness) {
        throw wrongBitnessDependencyError(loaded.path, *problem, loaderText);
      }
      throw Error(ErrorKind::BadConfiguration,
                  "cannot load " + loaded.path + ": " + loaderText + ": it needs " +
                      problem->name + throughWhat(loaded.path, *problem) +
                      ", which is nowhere the loader looks (next to the " + role +
                      ", the system directories, PATH)",
                  "put " + problem->name + " (" + bitsText() + ") next to the " + role +
                      " or in a directory on PATH" + visualBasicRuntimeHint(problem->name) +
                      "; `" + inspectCommand(loaded.path) + "` lists all its dependencies");
    }
  }
  throw Error(ErrorKind::BadConfiguration, "cannot load " + loaded.path + ": " + loaderText,
              error == ERROR_MOD_NOT_FOUND
                  ? "a DLL it needs is missing: run `" + inspectCommand(loaded.path) +
                        "` to see which, and put its dependencies next to the " + role
                  : "a DLL it needs may be of the wrong bitness or missing an export; run `" +
                        inspectCommand(loaded.path) + "` to see which");
}

}  // namespace bitbridge
