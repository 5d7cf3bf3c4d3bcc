// activex-shared-client32 / activex-shared-client64 (Windows): the same client, built for each
// bitness, using one ActiveX DLL in one shared host with every other client of either bitness.
//
//   activex-shared-client64 [--name NAME] [--idle-timeout MS] [--put TEXT] DLL {CLSID}
//
// The DLL's header picks the host (a 32-bit DLL: bitbridge-host32.exe); the first client of
// NAME (default "activex-shared") starts it, every later one connects to it. The DLL's class
// must have a Variant property Shared that keeps a module (.bas) variable and a String property
// Name, as the tests' sample does. With --put, both are set to TEXT. Output (one fact per line,
// for people and for the tests):
//   client: 64-bit pid 1234
//   host: 32-bit pid 1240 (shared host "activex-shared")
//   module: <Shared before> -> <after>
//   keyed: <Name of the object "ledger" before> -> <after>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include <bitbridge/host.h>

int main(int argc, char** argv) {
  bitbridge::HostOptions options;
  options.sharedName = "activex-shared";
  std::string dll, clsid, put;
  bool doPut = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--name" && i + 1 < argc) {
      options.sharedName = argv[++i];
    } else if (arg == "--idle-timeout" && i + 1 < argc) {
      options.idleTimeout = std::chrono::milliseconds(std::strtol(argv[++i], nullptr, 10));
    } else if (arg == "--put" && i + 1 < argc) {
      put = argv[++i];
      doPut = true;
    } else if (!arg.empty() && arg[0] != '-' && dll.empty()) {
      dll = arg;
    } else if (!arg.empty() && arg[0] != '-' && clsid.empty()) {
      clsid = arg;
    } else {
      dll.clear();
      break;
    }
  }
  if (dll.empty() || clsid.empty()) {
    std::fprintf(stderr, "usage: %s [--name NAME] [--idle-timeout MS] [--put TEXT] DLL {CLSID}\n",
                 argv[0]);
    return 64;
  }

  try {
    bitbridge::Runtime runtime;
    options.legacyLibrary = dll;  // its header picks the host's bitness
    auto host = bitbridge::Host::connectShared(runtime, options);
    std::printf("client: %u-bit pid %u\n", unsigned(sizeof(void*) * 8), unsigned(getpid()));
    std::printf("host: %u-bit pid %u (shared host \"%s\")\n",
                host.arch() == bitbridge::Arch::x86 ? 32u : 64u, unsigned(host.pid()),
                options.sharedName.c_str());

    // An object of this client's own, released when it disconnects. Its class's module
    // variables are the host's: a shared host runs every client's objects in one apartment.
    auto show = [](const bitbridge::ComVariant& value) {
      return value.type() == bitbridge::VariantType::Empty ? std::string("(empty)") : value.text();
    };
    bitbridge::ComObject mine = host.createComObjectFromFile(dll, clsid);
    std::string before = show(mine.get("Shared"));
    if (doPut) mine.put("Shared", put);
    std::printf("module: %s -> %s\n", before.c_str(), show(mine.get("Shared")).c_str());

    // One object for every client: the first to ask for "ledger" creates it; it stays until
    // the host exits.
    bitbridge::ComObject ledger = host.sharedComObjectFromFile("ledger", dll, clsid);
    before = show(ledger.get("Name"));
    if (doPut) ledger.put("Name", put);
    std::printf("keyed: %s -> %s\n", before.c_str(), show(ledger.get("Name")).c_str());
    return 0;
  } catch (const bitbridge::Error& e) {
    std::fprintf(stderr, "activex-shared-client: %s\n", e.what());
    return 1;
  }
}
