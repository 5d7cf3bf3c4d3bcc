// Where the demos find the components of the other bitness: in the stage (and an install) each
// bitness has its own directory, bin\x86 and bin\x86_64, so a component of the other bitness is
// in the sibling directory of this .exe's. Full Windows paths ("Z:\...\bin\x86\..."), so that a
// host started with another current drive (COM starts hosts itself) finds the same file.
#pragma once

#include <windows.h>

#include <string>

namespace demo {

inline std::string toUtf8(const std::wstring& text) {
  if (text.empty()) return {};
  int size = ::WideCharToMultiByte(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), nullptr,
                                   0, nullptr, nullptr);
  std::string out(static_cast<size_t>(size), '\0');
  ::WideCharToMultiByte(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), &out[0], size,
                        nullptr, nullptr);
  return out;
}

/// <directory of this .exe>\..\<archDirectory>\<file>, normalised.
inline std::string siblingArchFile(const wchar_t* archDirectory, const wchar_t* file) {
  std::wstring exe(MAX_PATH, L'\0');
  DWORD length = ::GetModuleFileNameW(nullptr, &exe[0], static_cast<DWORD>(exe.size()));
  exe.resize(length);
  std::wstring path =
      exe.substr(0, exe.find_last_of(L"\\/") + 1) + L"..\\" + archDirectory + L"\\" + file;
  std::wstring full(MAX_PATH * 2, L'\0');
  length = ::GetFullPathNameW(path.c_str(), static_cast<DWORD>(full.size()), &full[0], nullptr);
  if (length == 0 || length >= full.size()) return toUtf8(path);
  full.resize(length);
  return toUtf8(full);
}

/// A path given on the command line, made a full Windows path the same way.
inline std::string fullPath(const char* path) {
  int size = ::MultiByteToWideChar(CP_ACP, 0, path, -1, nullptr, 0);
  std::wstring wide(static_cast<size_t>(size), L'\0');
  ::MultiByteToWideChar(CP_ACP, 0, path, -1, &wide[0], size);
  std::wstring full(MAX_PATH * 2, L'\0');
  DWORD length =
      ::GetFullPathNameW(wide.c_str(), static_cast<DWORD>(full.size()), &full[0], nullptr);
  if (length == 0 || length >= full.size()) return path;
  full.resize(length);
  return toUtf8(full);
}

}  // namespace demo
