// legacy-stdcall-demo: a 64-bit Windows program calling the 32-bit __stdcall DLL
// legacy_stdcall.dll, which it cannot load itself, through bitbridge-host32.
//
//   legacy-stdcall-demo.exe [--com] [path\to\libstdcall_component.dll]
//
// Default: Host::spawn starts a private bitbridge-host32 (found next to this bitness's
// bitbridge-core DLL, in ..\x86). With --com the host is activated through COM instead
// (Host::activateCom), which needs `bitbridge-host32.exe --regserver` once beforehand.
// The component's PE header picks the 32-bit host; nothing here says "32".
#include <windows.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

#include <bitbridge/host.h>

#include "demo_paths.h"
#include "stdcall.capnp.h"

#ifndef STDCALL_COMPONENT_NAME
#error "STDCALL_COMPONENT_NAME must be defined (file name of the 32-bit component)"
#endif

namespace {

constexpr int32_t kDescribed[] = {42, -7, 0};

void exercise(bitbridge::Host& host, legacy_stdcall::LegacyDll::Client dll) {
  auto info = host.wait(dll.infoRequest().send());
  std::printf("DLL: %u-bit legacy_stdcall.dll in host pid %u, loaded from %s\n",
              unsigned(info.getPointerBits()), unsigned(info.getHostPid()),
              info.getDllPath().cStr());

  auto add = dll.addRequest();
  add.setA(2);
  add.setB(40);
  std::printf("LegacyAdd(2, 40) = %d\n", int(host.wait(add.send()).getSum()));
  auto wrap = dll.addRequest();
  wrap.setA(INT32_MAX);
  wrap.setB(1);
  std::printf("LegacyAdd(2147483647, 1) = %d (32-bit wrap-around, inside the DLL)\n",
              int(host.wait(wrap.send()).getSum()));

  for (int32_t value : kDescribed) {
    auto describe = dll.describeRequest();
    describe.setValue(value);
    std::printf("LegacyDescribe(%d) = \"%s\"\n", int(value),
                host.wait(describe.send()).getText().cStr());
  }
}

}  // namespace

int main(int argc, char** argv) {
  bool com = false;
  std::string component;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--com") == 0) {
      com = true;
    } else if (argv[i][0] == '-') {
      std::fprintf(stderr, "usage: %s [--com] [path\\to\\%s]\n", argv[0], STDCALL_COMPONENT_NAME);
      return 64;
    } else {
      component = demo::fullPath(argv[i]);
    }
  }
  if (component.empty()) component = demo::siblingArchFile(L"x86", L"" STDCALL_COMPONENT_NAME);

  try {
    bitbridge::Runtime runtime;
    bitbridge::HostOptions options;
    options.component = component;
    // The DLL the component wraps: its header is checked too (a 64-bit build of it put there by
    // mistake is reported by name before anything starts).
    options.legacyLibrary =
        component.substr(0, component.find_last_of("\\/") + 1) + "legacy_stdcall.dll";

    std::printf("client: %u-bit pid %lu, pointers are %u bytes\n", unsigned(sizeof(void*) * 8),
                static_cast<unsigned long>(::GetCurrentProcessId()), unsigned(sizeof(void*)));
    auto host = com ? bitbridge::Host::activateCom(runtime, options)
                    : bitbridge::Host::spawn(runtime, options);
    auto info = host.info();
    std::printf("host: %u-bit pid %u (%s, %s), %s\n", info.pointerBits, unsigned(info.pid),
                std::string(bitbridge::archName(info.arch)).c_str(), info.os.c_str(),
                com ? "activated through COM" : "spawned");

    exercise(host, host.activate<legacy_stdcall::LegacyDll>("legacy-stdcall"));

    host.shutdown();
    std::printf("host shut down\n");
    return 0;
  } catch (const std::exception& e) {  // bitbridge::Error too: its what() names cause and fix
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  } catch (const kj::Exception& e) {  // not expected (Host::wait translates); never uncaught
    std::fprintf(stderr, "error: %s\n", e.getDescription().cStr());
    return 1;
  }
}
