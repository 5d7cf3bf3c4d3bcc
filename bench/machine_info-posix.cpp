// machineInfo() on Linux: CPU, memory, kernel and OS from /proc, uname and /etc/os-release.
#include <sys/utsname.h>
#include <unistd.h>

#include <capnp/common.h>

#include <ctime>
#include <fstream>
#include <string>

#include "report.h"

namespace bitbridge::bench {

std::vector<std::pair<std::string, std::string>> machineInfo() {
  std::vector<std::pair<std::string, std::string>> info;
  auto text = [&](const char* key, const std::string& value) {
    if (!value.empty()) info.emplace_back(key, jsonQuote(value));
  };
  text("cpu_model", fileValue("/proc/cpuinfo", "model name"));
  info.emplace_back("cores", jsonNumber(static_cast<double>(::sysconf(_SC_NPROCESSORS_ONLN))));
  std::string memory = fileValue("/proc/meminfo", "MemTotal");
  if (!memory.empty()) info.emplace_back("memory_kib", jsonNumber(std::stod(memory)));
  struct utsname uts {};
  if (::uname(&uts) == 0) {
    text("kernel", std::string(uts.sysname) + " " + uts.release + " " + uts.version);
  }
  text("os", fileValue("/etc/os-release", "PRETTY_NAME"));
  std::ifstream loadavg("/proc/loadavg");
  std::string one, five, fifteen;
  if (loadavg >> one >> five >> fifteen) text("load_average", one + " " + five + " " + fifteen);
  char date[64];
  std::time_t now = std::time(nullptr);
  std::strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  text("date", date);
  text("build_type", BITBRIDGE_BENCH_BUILD_TYPE);
#if defined(__clang__)
  text("compiler", std::string("clang ") + __clang_version__);
#elif defined(__GNUC__)
  text("compiler", std::string("gcc ") + __VERSION__);
#endif
  text("capnp_version", std::to_string(CAPNP_VERSION_MAJOR) + "." + std::to_string(CAPNP_VERSION_MINOR) +
                            "." + std::to_string(CAPNP_VERSION_MICRO));
  text("bitbridge_version", BITBRIDGE_BENCH_VERSION);
  text("driver", "bitbridge-bench" + std::to_string(sizeof(void*) * 8));
  return info;
}

}  // namespace bitbridge::bench
