#include "client/proxy/proxy_settings.h"

#include <cctype>
#include <cstdlib>

#include "bitbridge/error.h"

namespace bitbridge::proxy {
namespace {

std::chrono::milliseconds millisecondsFrom(const char* variable, std::chrono::milliseconds fallback) {
  const char* value = std::getenv(variable);
  if (value == nullptr || *value == '\0') return fallback;
  char* end = nullptr;
  unsigned long long ms = std::strtoull(value, &end, 10);
  if (*end != '\0' || !std::isdigit(static_cast<unsigned char>(value[0])) || ms > 86400000ull) {
    throw Error(ErrorKind::BadConfiguration,
                std::string(variable) + " is '" + value + "', not a number of milliseconds",
                std::string("set ") + variable + " to a whole number from 0 to 86400000, or unset it");
  }
  return std::chrono::milliseconds(ms);
}

}  // namespace

std::string libraryVariable(const std::string& name) {
  std::string v = "BITBRIDGE_PROXY_";
  for (char c : name) {
    v += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : '_';
  }
  return v + "_LIBRARY";
}

ProxySettings readProxySettings(const std::string& name, const std::string& defaultLibrary) {
  ProxySettings s;
  std::string variable = libraryVariable(name);
  const char* library = std::getenv(variable.c_str());
  s.library = library != nullptr && *library != '\0' ? library : defaultLibrary;
  if (s.library.empty()) {
    throw Error(ErrorKind::BadConfiguration,
                "proxy " + name + " has no library to bind: none was built in and " + variable + " is unset",
                "set " + variable + " to the path of the real library");
  }
  s.host.legacyLibrary = s.library;
  s.host.startTimeout = millisecondsFrom("BITBRIDGE_START_TIMEOUT_MS", s.host.startTimeout);
  s.host.callTimeout = millisecondsFrom("BITBRIDGE_CALL_TIMEOUT_MS", s.host.callTimeout);
  // A call that outlives its deadline may never return: a proxy's caller has nothing to cancel
  // it with, so the host is treated as hung and replaced on the next call.
  s.host.onCallTimeout = OnCallTimeout::KillHost;
  return s;
}

}  // namespace bitbridge::proxy
