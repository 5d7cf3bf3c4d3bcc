// machineInfo() on Windows: CPU count and memory from Win32, and Wine's version when running
// under Wine (ntdll's wine_get_version; absent on real Windows). The host machine's CPU model
// and load are what Wine shows of Linux's /proc (Z:\proc), when readable.
#include <windows.h>

#include <capnp/common.h>

#include <ctime>
#include <fstream>
#include <string>

#include "report.h"

namespace bitbridge::bench {
namespace {

std::string wineVersion() {
  HMODULE ntdll = ::GetModuleHandleW(L"ntdll.dll");
  if (ntdll == nullptr) return "";
  using Version = const char*(__cdecl*)();
  auto get = reinterpret_cast<Version>(
      reinterpret_cast<void*>(::GetProcAddress(ntdll, "wine_get_version")));
  return get != nullptr ? std::string("Wine ") + get() : std::string();
}

}  // namespace

std::vector<std::pair<std::string, std::string>> machineInfo() {
  std::vector<std::pair<std::string, std::string>> info;
  auto text = [&](const char* key, const std::string& value) {
    if (!value.empty()) info.emplace_back(key, jsonQuote(value));
  };
  text("cpu_model", fileValue("Z:\\proc\\cpuinfo", "model name"));
  SYSTEM_INFO system{};
  ::GetNativeSystemInfo(&system);
  info.emplace_back("cores", jsonNumber(static_cast<double>(system.dwNumberOfProcessors)));
  MEMORYSTATUSEX memory{};
  memory.dwLength = sizeof(memory);
  if (::GlobalMemoryStatusEx(&memory)) {
    info.emplace_back("memory_kib", jsonNumber(static_cast<double>(memory.ullTotalPhys / 1024)));
  }
  text("os", wineVersion().empty() ? "Windows" : wineVersion() + " (Windows API under Wine)");
  std::ifstream loadavg("Z:\\proc\\loadavg");
  std::string one, five, fifteen;
  if (loadavg >> one >> five >> fifteen) text("load_average", one + " " + five + " " + fifteen);
  char date[64];
  std::time_t now = std::time(nullptr);
  std::strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  text("date", date);
  text("build_type", BITBRIDGE_BENCH_BUILD_TYPE);
#if defined(__GNUC__)
  text("compiler", std::string("gcc ") + __VERSION__ + " (mingw-w64)");
#endif
  text("capnp_version", std::to_string(CAPNP_VERSION_MAJOR) + "." + std::to_string(CAPNP_VERSION_MINOR) +
                            "." + std::to_string(CAPNP_VERSION_MICRO));
  text("bitbridge_version", BITBRIDGE_BENCH_VERSION);
  text("driver", "bitbridge-winbench" + std::to_string(sizeof(void*) * 8));
  return info;
}

}  // namespace bitbridge::bench
