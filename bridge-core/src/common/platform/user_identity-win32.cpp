// Token users and user-only security descriptors (user_identity-win32.h).
#include "common/platform/user_identity-win32.h"

#include <sddl.h>

#include "bitbridge/error.h"
#include "common/platform/handle-win32.h"
#include "common/platform/text-win32.h"

namespace bitbridge {
namespace {

// The token's user SID as a string; nothing (with the failing call in `why`) on failure.
std::optional<std::string> tokenUserSid(HANDLE token, std::string& why) {
  DWORD size = 0;
  ::GetTokenInformation(token, TokenUser, nullptr, 0, &size);
  if (size == 0) {
    why = "GetTokenInformation(TokenUser): " + lastWin32ErrorText();
    return std::nullopt;
  }
  std::string buffer(size, '\0');
  if (!::GetTokenInformation(token, TokenUser, &buffer[0], size, &size)) {
    why = "GetTokenInformation(TokenUser): " + lastWin32ErrorText();
    return std::nullopt;
  }
  wchar_t* sid = nullptr;
  if (!::ConvertSidToStringSidW(reinterpret_cast<TOKEN_USER*>(&buffer[0])->User.Sid, &sid)) {
    why = "ConvertSidToStringSid: " + lastWin32ErrorText();
    return std::nullopt;
  }
  std::string text = narrow(sid);
  ::LocalFree(sid);
  return text;
}

}  // namespace

std::string currentUserSid() {
  HANDLE token = nullptr;
  if (!::OpenProcessToken(::GetCurrentProcess(), TOKEN_QUERY, &token)) {
    throw Error(ErrorKind::BadConfiguration,
                "cannot read this process's token (OpenProcessToken): " + lastWin32ErrorText());
  }
  UniqueHandle owned(token);
  std::string why;
  auto sid = tokenUserSid(token, why);
  if (!sid) throw Error(ErrorKind::BadConfiguration, "cannot read this process's user: " + why);
  return *sid;
}

std::optional<std::string> processUserSid(uint32_t pid, std::string* why) {
  std::string reason;
  std::optional<std::string> sid;
  HANDLE process = ::OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid);
  if (process == nullptr) {
    reason = "OpenProcess: " + lastWin32ErrorText();
  } else {
    UniqueHandle ownedProcess(process);
    HANDLE token = nullptr;
    if (!::OpenProcessToken(process, TOKEN_QUERY, &token)) {
      reason = "OpenProcessToken: " + lastWin32ErrorText();
    } else {
      UniqueHandle ownedToken(token);
      sid = tokenUserSid(token, reason);
    }
  }
  if (!sid && why != nullptr) *why = reason;
  return sid;
}

std::string processImagePath(uint32_t pid) {
  HANDLE process = ::OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid);
  if (process == nullptr) return {};
  UniqueHandle owned(process);
  wchar_t path[MAX_PATH * 2];
  DWORD size = MAX_PATH * 2;
  if (!::QueryFullProcessImageNameW(process, 0, path, &size)) return {};
  return narrow(std::wstring(path, size));
}

std::optional<std::string> peerUserRefusal(uint32_t pid, const std::optional<std::string>& peerSid,
                                           const std::string& ownSid, const std::string& why) {
  if (!peerSid) {
    return "cannot tell which user process " + std::to_string(pid) + " runs as (" +
           (why.empty() ? std::string("its token is unreadable") : why) +
           "); only processes of this user (" + ownSid + ") are served";
  }
  if (*peerSid != ownSid) {
    return "process " + std::to_string(pid) + " runs as user " + *peerSid + ", not as " + ownSid;
  }
  return std::nullopt;
}

UserOnlySecurity::UserOnlySecurity() {
  std::wstring sddl = L"D:P(A;;GA;;;" + widen(currentUserSid()) + L")";
  if (!::ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl.c_str(), SDDL_REVISION_1,
                                                               &descriptor_, nullptr)) {
    throw Error(ErrorKind::BadConfiguration,
                "cannot build a user-only security descriptor "
                "(ConvertStringSecurityDescriptorToSecurityDescriptor): " +
                    lastWin32ErrorText());
  }
  attributes_.nLength = sizeof(attributes_);
  attributes_.lpSecurityDescriptor = descriptor_;
  attributes_.bInheritHandle = FALSE;  // never inherited by what a legacy library spawns
}

UserOnlySecurity::~UserOnlySecurity() {
  if (descriptor_ != nullptr) ::LocalFree(descriptor_);
}

}  // namespace bitbridge
