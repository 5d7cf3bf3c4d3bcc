// Windows: the system directories of each bitness and %PATH%, as LoadLibraryEx searches them
// for a component loaded with LOAD_WITH_ALTERED_SEARCH_PATH (its own directory comes first;
// the resolver adds that).
#include <windows.h>

#include <filesystem>

#include "bitbridge/arch.h"
#include "common/binary/search_environment.h"
#include "common/platform/text-win32.h"

namespace bitbridge {
namespace {

using DirectoryGetter = UINT(WINAPI*)(LPWSTR, UINT);

std::string directory(DirectoryGetter get) {
  wchar_t buffer[MAX_PATH + 1];
  UINT n = get(buffer, MAX_PATH);
  return n == 0 || n > MAX_PATH ? std::string() : narrow(std::wstring(buffer, n));
}

std::vector<std::string> splitPath() {
  std::vector<std::string> parts;
  DWORD size = ::GetEnvironmentVariableW(L"PATH", nullptr, 0);
  if (size == 0) return parts;
  std::wstring value(size, L'\0');
  size = ::GetEnvironmentVariableW(L"PATH", &value[0], size);
  value.resize(size);
  std::string text = narrow(value);
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(';', start);
    std::string part = text.substr(start, end == std::string::npos ? end : end - start);
    if (!part.empty()) parts.push_back(part);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return parts;
}

}  // namespace

SearchEnvironment nativeSearchEnvironment() {
  SearchEnvironment env;
  env.nativeFormat = BinaryFormat::Pe;
  std::string system = directory(::GetSystemDirectoryW);
  std::string windows = directory(::GetWindowsDirectoryW);
  std::string wow64 = directory(::GetSystemWow64DirectoryW);  // empty on 32-bit Windows
  std::error_code ec;
  std::string sysnative = windows + "\\Sysnative";
  if (currentArch() == Arch::x86 && std::filesystem::is_directory(sysnative, ec)) {
    // A 32-bit process sees SysWOW64 through "System32"; the 64-bit one is "Sysnative".
    env.peSystemDirs64 = {sysnative, windows};
    env.peSystemDirs32 = {system, windows};
  } else {
    env.peSystemDirs64 = {system, windows};
    env.peSystemDirs32 = {wow64.empty() ? system : wow64, windows};
  }
  env.path = splitPath();
  return env;
}

}  // namespace bitbridge
