// activex-client (Windows): a 64-bit program calling a 32-bit ActiveX DLL by late binding.
//
//   activex-client.exe                      Scripting.Dictionary (32-bit scrrun.dll, registered)
//   activex-client.exe DLL {CLSID}          any 32-bit ActiveX DLL, registration-free, whose
//                                           default interface has Add(a, b): the tests' sample
//
// The program never says "32" for the DLL: its PE header picks bitbridge-host32.exe. For the
// registered class it asks for the 32-bit host (HostOptions::arch), whose registry view is the
// 32-bit one.
#include <cstdio>
#include <string>

#include <bitbridge/host.h>

int main(int argc, char** argv) {
  try {
    bitbridge::Runtime runtime;
    if (argc == 3) {
      bitbridge::HostOptions options;
      options.legacyLibrary = argv[1];  // its header picks the host
      auto host = bitbridge::Host::spawn(runtime, options);
      bitbridge::ComObject object = host.createComObjectFromFile(argv[1], argv[2]);
      std::printf("client: %u-bit; %s in the %s host (pid %u)\n",
                  static_cast<unsigned>(sizeof(void*) * 8), object.className().c_str(),
                  std::string(bitbridge::archName(host.arch())).c_str(), host.pid());
      std::printf("Add(2, 40) = %lld\n", static_cast<long long>(object.call("Add", {2, 40}).asInt()));
      return 0;
    }
    bitbridge::HostOptions options;
    options.arch = bitbridge::Arch::x86;
    auto host = bitbridge::Host::spawn(runtime, options);
    bitbridge::ComObject dict = host.createComObject("Scripting.Dictionary");
    dict.call("Add", {"apples", 3});
    dict.call("Add", {"pears", 5});
    dict.put("Item", 4, {"apples"});  // dict("apples") = 4
    std::printf("client: %u-bit; Scripting.Dictionary in the %s host (pid %u)\n",
                static_cast<unsigned>(sizeof(void*) * 8),
                std::string(bitbridge::archName(host.arch())).c_str(), host.pid());
    std::printf("Count = %lld\n", static_cast<long long>(dict.get("Count").asInt()));
    for (const bitbridge::ComVariant& key : dict.enumerate()) {  // For Each key In dict
      std::printf("%s = %lld\n", key.text().c_str(),
                  static_cast<long long>(dict.get("Item", {key}).asInt()));
    }
    try {
      dict.call("Add", {"pears", 1});
    } catch (const bitbridge::Error& e) {
      std::printf("Add(\"pears\") again failed as expected: %s\n", e.message().c_str());
    }
    return 0;
  } catch (const bitbridge::Error& e) {
    std::fprintf(stderr, "activex-client: %s\n", e.what());
    return 1;
  }
}
