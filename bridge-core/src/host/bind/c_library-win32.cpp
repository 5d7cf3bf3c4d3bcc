// CLibrary on Windows: header check, then LoadLibraryExW and GetProcAddress (by name, by
// ordinal, or by a stdcall function's decorated name). No error dialog: the host's
// preparePlatform() turned them off.
//
// Two ways to name a DLL:
//   - a path (it has a '\' or '/'): exactly that file is loaded, after its header is checked
//     against this host's architecture; its own directory is searched first for its
//     dependencies (LOAD_WITH_ALTERED_SEARCH_PATH), as for components;
//   - a bare name ("kernel32.dll", "msvcrt.dll"): found where LoadLibrary looks (the host's
//     directory, the system directory, the Windows directory, PATH). This is how a system DLL is
//     bound: the host finds the one of its own bitness (System32 or SysWOW64), which a path
//     computed by the client, of another bitness, would not name.
#include <windows.h>

#include <cctype>
#include <string>

#include "bitbridge/binary_header.h"
#include "bitbridge/error.h"
#include "common/binary/binary_image.h"
#include "common/inspect_hint.h"
#include "common/platform/module_path-win32.h"
#include "common/platform/text-win32.h"
#include "host/bind/c_library.h"
#include "host/dll_load-win32.h"

namespace bitbridge {
namespace {

bool isBareName(const std::string& path) {
  return path.find_first_of("\\/:") == std::string::npos;
}

std::string bitsText() { return std::to_string(sizeof(void*) * 8) + "-bit"; }

// A DLL given by its bare name: LoadLibraryW searches for it. Wine answers 126 both when no
// such DLL exists and when the only one found is of the other bitness; Windows answers 193 for
// the latter.
CLibrary openByName(const std::string& name, HMODULE& module) {
  module = ::LoadLibraryW(widen(name).c_str());
  if (module == nullptr) {
    DWORD error = ::GetLastError();
    std::string text = win32ErrorText(error);
    if (error == ERROR_BAD_EXE_FORMAT) {
      throw Error(ErrorKind::WrongBitness,
                  "the " + name + " found where the loader looks is not a " + bitsText() +
                      " DLL (" + text + ")",
                  "bind it in a host of its bitness (HostOptions::arch), or give its full path");
    }
    throw Error(ErrorKind::NotFound,
                "cannot load " + name + ": " + text + "; a bare DLL name is searched where "
                    "LoadLibrary looks (the host's directory, the system directories, PATH)",
                "give the DLL's full path, or put it (" + bitsText() +
                    ") in one of those directories");
  }
  return CLibrary::open(moduleFileName(module));  // the file it found: checked, and loaded again
}

// The `free` of the C runtime `path` imports (msvcrt, ucrtbase, msvcrNNN or the api-ms-win-crt
// heap set), already loaded with it: a DLL rarely exports its runtime's free, and only the
// runtime that allocated a block may free it ($freeWith("free")). Null if it imports none.
void* importedCrtFree(const std::string& path) {
  for (std::string dll : readBinaryImage(path).needed) {
    for (char& c : dll) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    bool crt = dll.rfind("msvcr", 0) == 0 || dll == "ucrtbase.dll" ||
               dll.rfind("api-ms-win-crt-heap-", 0) == 0;
    if (!crt) continue;
    HMODULE module = ::GetModuleHandleA(dll.c_str());
    if (module == nullptr) continue;
    if (auto address = ::GetProcAddress(module, "free")) return reinterpret_cast<void*>(address);
  }
  return nullptr;
}

}  // namespace

CLibrary CLibrary::open(const std::string& path) {
  if (isBareName(path)) {
    HMODULE found = nullptr;
    CLibrary library = openByName(path, found);
    ::FreeLibrary(found);  // the path-loaded reference keeps it
    return library;
  }
  // Missing file: NotFound; garbage or a foreign format: BadConfiguration; else bitness.
  requireHostable(path, currentArch(), BinaryRole::LegacyLibrary);
  LoadedDll loaded = loadDllExplainingFailure(path, "library");
  // Never freed: see c_library.h.
  return CLibrary(loaded.path, reinterpret_cast<void*>(loaded.module));
}

void* CLibrary::function(const std::string& symbol, const std::string& method) const {
  void* address =
      reinterpret_cast<void*>(::GetProcAddress(reinterpret_cast<HMODULE>(handle_), symbol.c_str()));
  if (address == nullptr && symbol == "free") address = importedCrtFree(path_);
  if (address == nullptr) {
    throw Error(ErrorKind::NotFound, method + ": " + path_ + " does not export '" + symbol + "'",
                "`" + inspectCommand(path_) + " --exports` lists what it exports");
  }
  return address;
}

void* CLibrary::function(const cbind::FunctionPlan& plan) const {
  HMODULE module = reinterpret_cast<HMODULE>(handle_);
  const std::string& method = plan.method;
  auto lookup = [&](const std::string& name) {
    return reinterpret_cast<void*>(::GetProcAddress(module, name.c_str()));
  };
  std::string listExports = "`" + inspectCommand(path_) + " --exports` lists what it exports";
  if (plan.ordinal) {
    // MAKEINTRESOURCEA: a number below 0x10000 in place of the name.
    void* address = reinterpret_cast<void*>(
        ::GetProcAddress(module, MAKEINTRESOURCEA(*plan.ordinal)));
    if (address == nullptr) {
      throw Error(ErrorKind::NotFound,
                  method + ": " + path_ + " does not export ordinal " +
                      std::to_string(*plan.ordinal) + " ('" + plan.symbol + "')",
                  "check the number in $C.ordinal(<n>) against the DLL's .def file; " +
                      listExports);
    }
    return address;
  }
  if (void* address = lookup(plan.symbol)) return address;
  // 32-bit stdcall exports are often decorated: _name@N (the compiler's form), or name@N
  // (mingw's --kill-at removes only the underscore). N counts the argument bytes in this host.
  std::string n = std::to_string(cbind::stdcallArgumentBytes(plan));
  std::string decorated[] = {"_" + plan.symbol + "@" + n, plan.symbol + "@" + n};
  bool decorations = sizeof(void*) == 4 && plan.symbol.find('@') == std::string::npos;
  if (decorations) {
    for (const std::string& name : decorated) {
      if (void* address = lookup(name)) {
        if (plan.stdcall) return address;
        // Calling a stdcall function as cdecl would leave the stack unbalanced: refuse.
        throw Error(ErrorKind::BadConfiguration,
                    method + ": " + path_ + " exports it as '" + name +
                        "', the decorated name of a __stdcall function, but the method is cdecl",
                    "annotate the method (or the interface) with $C.stdcall");
      }
    }
  }
  std::string tried = "'" + plan.symbol + "'";
  if (decorations && plan.stdcall) tried += " (nor '" + decorated[0] + "' or '" + decorated[1] + "')";
  throw Error(ErrorKind::NotFound, method + ": " + path_ + " does not export " + tried,
              "name the exported function with $C.symbol(\"<name>\") on the method (the exact "
              "name, C++-mangled ones included), or $C.ordinal(<n>) for an export by number; " +
                  listExports);
}

}  // namespace bitbridge
