// activex-client (Windows): a 64-bit program calling a 32-bit ActiveX DLL by late binding.
//
//   activex-client.exe                      Scripting.Dictionary (32-bit scrrun.dll, registered)
//   activex-client.exe DLL CLASS            a 32-bit ActiveX DLL, registration-free, its class
//                                           "Project.Class" (as its type library names it) or
//                                           "{CLSID}": the tests'
//                                           sample (tests/windows/com_inproc/), by late binding,
//                                           its events, early binding through the schema
//                                           `bitbridge import-typelib` wrote for it, an error
//
// The program never says "32" for the DLL: its PE header picks bitbridge-host32.exe. For the
// registered class it asks for the 32-bit host (HostOptions::arch), whose registry view is the
// 32-bit one.
#include <cstdio>
#include <string>
#include <vector>

#include <bitbridge/host.h>

#include "sample.tlb.capnp.h"  // bitbridge import-typelib libcom_sample.dll -o sample.tlb.capnp

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

      // Events (connection points): the handler runs on this thread, inside the wait of a
      // call (here FireTicks, which raises Ticked twice before it returns).
      std::vector<std::string> ticks;
      bitbridge::ComEventConnection events = object.advise([&](bitbridge::ComEvent& event) {
        if (event.name == "Ticked") ticks.push_back(event.args[1].text());  // (n, text)
      });
      object.call("FireTicks", {2});
      events.unadvise();
      std::printf("events: %zu Ticked: %s, %s\n", ticks.size(), ticks.at(0).c_str(),
                  ticks.at(1).c_str());

      // A VB6 Type (record) ByRef: Sub MovePoint(p As Point, ByVal dx As Long). The fields in
      // the Type's order; the changed record comes back in byRef, every field named.
      bitbridge::ComRecord tag{"", "", "Tag", {{"Id", 7}, {"Label", "seven"}}};
      bitbridge::ComRecord point{"", "", "Point",
                                 {{"X", 1}, {"Y", 2.5}, {"Name", "a"}, {"Inner", tag},
                                  {"Samples", bitbridge::ComVariant()}}};
      auto moved = object.invoke("MovePoint", bitbridge::InvokeKind::Method, {point, 5});
      const bitbridge::ComRecord& p = moved.byRef[0].record();
      std::printf("MovePoint: X = %lld, Y = %g, Name = %s, Inner.Label = %s\n",
                  static_cast<long long>(p.field("X").asInt()), p.field("Y").asDouble(),
                  p.field("Name").text().c_str(),
                  p.field("Inner").record().field("Label").text().c_str());
      // Function MakePoint(start, title) As Point.
      bitbridge::ComVariant made = object.call("MakePoint", {4, "p"});
      std::printf("MakePoint(4, \"p\") = %s, X = %lld\n", made.describe().c_str(),
                  static_cast<long long>(made.record().field("X").asInt()));

      // Early binding: typed calls through the schema import-typelib wrote.
      ::Sample::Client typed = object.as<::Sample>();
      auto add = typed.addRequest();
      add.setA(40);
      add.setB(2);
      std::printf("typed add(40, 2) = %d\n", host.wait(add.send()).getResult());
      auto twice = typed.twiceRequest();  // ByRef n: its new value comes back as n
      twice.setN(21);
      auto doubled = host.wait(twice.send());
      std::printf("typed twice(21): n = %d, result = %d\n", doubled.getN(), doubled.getResult());

      // What the class raises (VB6's Err.Raise) arrives as a bitbridge::Error.
      try {
        object.call("Fail", {"out of paper"});
      } catch (const bitbridge::Error& e) {
        std::printf("Fail raised: %s\n", e.what());
      }
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
