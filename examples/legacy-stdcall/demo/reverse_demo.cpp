// legacy-stdcall-reverse: the other direction, a 32-bit Windows program handing work it cannot
// do to a 64-bit component in bitbridge-host64 (here: holding 6 GiB of address space).
//
//   legacy-stdcall-reverse.exe [path\to\libstdcall_wide_component.dll]
#include <windows.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include <bitbridge/host.h>

#include "demo_paths.h"
#include "stdcall.capnp.h"

#ifndef WIDE_COMPONENT_NAME
#error "WIDE_COMPONENT_NAME must be defined (file name of the 64-bit component)"
#endif

namespace {

constexpr uint64_t kGiB = uint64_t(1) << 30;
constexpr uint64_t kWanted = 6 * kGiB;

// This process's own try: a 32-bit process cannot even express a 6 GiB size in a SIZE_T.
const char* reserveLocally(uint64_t bytes) {
  if (bytes > SIZE_MAX) return "impossible: larger than this process's SIZE_T";
  void* region = ::VirtualAlloc(nullptr, static_cast<SIZE_T>(bytes), MEM_RESERVE, PAGE_NOACCESS);
  if (region == nullptr) return "failed";
  ::VirtualFree(region, 0, MEM_RELEASE);
  return "ok";
}

}  // namespace

int main(int argc, char** argv) {
  std::string component = argc > 1 ? demo::fullPath(argv[1])
                                   : demo::siblingArchFile(L"x86_64", L"" WIDE_COMPONENT_NAME);
  try {
    bitbridge::Runtime runtime;
    bitbridge::HostOptions options;
    options.component = component;

    std::printf("client: %u-bit pid %lu, pointers are %u bytes\n", unsigned(sizeof(void*) * 8),
                static_cast<unsigned long>(::GetCurrentProcessId()), unsigned(sizeof(void*)));
    std::printf("reserving 6 GiB here: %s\n", reserveLocally(kWanted));

    auto host = bitbridge::Host::spawn(runtime, options);
    auto helper = host.activate<legacy_stdcall::WideHelper>("wide-helper");
    auto info = host.wait(helper.infoRequest().send());
    std::printf("host: %u-bit pid %u\n", unsigned(info.getPointerBits()),
                unsigned(info.getHostPid()));

    auto reserve = helper.reserveRequest();
    reserve.setBytes(kWanted);
    uint64_t reserved = host.wait(reserve.send()).getReserved();
    std::printf("reserving 6 GiB in the 64-bit host: ok, %llu bytes\n",
                static_cast<unsigned long long>(reserved));

    host.shutdown();
    std::printf("host shut down\n");
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  } catch (const kj::Exception& e) {
    std::fprintf(stderr, "error: %s\n", e.getDescription().cStr());
    return 1;
  }
}
