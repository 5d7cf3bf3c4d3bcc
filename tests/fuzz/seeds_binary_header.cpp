// Seeds for fuzz_binary_header: one small image of every kind the header reader tells apart
// (built by tests/support/synthetic_binaries.h, as the header unit tests are), plus the usual not-a-binary
// files. Headers cut from real binaries sit beside them in the corpus as "real-*".
#include <cstring>
#include <optional>

#include "seeds.h"
#include "support/synthetic_binaries.h"

namespace bitbridge::fuzz {
namespace {

using test::elfImage;
using test::peImage;
using PeSpec = test::PeSpec;

PeSpec dotnet(uint32_t flags, uint16_t machine = 0x14c, uint16_t magic = 0x10b) {
  PeSpec s = test::dotnetSpec(flags);
  s.machine = machine;
  s.magic = magic;
  return s;
}

Bytes text(const char* s) { return Bytes(s, s + std::strlen(s)); }

Bytes prefix(Bytes b, size_t n) {
  b.resize(n);
  return b;
}

}  // namespace

Seeds binaryHeaderSeeds() {
  constexpr uint32_t kIlOnly = 0x1, k32Required = 0x2, k32Preferred = 0x20000;
  Seeds s;
  s["gen-elf32-i386"] = elfImage(1, 3);
  s["gen-elf64-x86_64"] = elfImage(2, 62);
  s["gen-elf32-x32"] = elfImage(1, 62);
  s["gen-elf64-i386-inconsistent"] = elfImage(2, 3);
  s["gen-elf64-aarch64"] = elfImage(2, 183);
  s["gen-elf32-big-endian"] = elfImage(1, 20, 2);
  s["gen-elf-bad-class"] = elfImage(3, 62);
  s["gen-elf-bad-data"] = elfImage(2, 62, 0);
  s["gen-elf-truncated"] = prefix(elfImage(2, 62), 19);
  s["gen-pe32-i386"] = peImage(PeSpec{});
  PeSpec pe64;
  pe64.machine = 0x8664;
  pe64.magic = 0x20b;
  s["gen-pe32plus-amd64"] = peImage(pe64);
  PeSpec mismatch;
  mismatch.machine = 0x8664;
  s["gen-pe32-amd64-inconsistent"] = peImage(mismatch);
  PeSpec arm64 = pe64;
  arm64.machine = 0xaa64;
  s["gen-pe32plus-arm64"] = peImage(arm64);
  s["gen-pe-dotnet-anycpu"] = peImage(dotnet(kIlOnly));
  s["gen-pe-dotnet-anycpu-32pref"] = peImage(dotnet(kIlOnly | k32Preferred));
  s["gen-pe-dotnet-x86"] = peImage(dotnet(kIlOnly | k32Required));
  s["gen-pe-dotnet-x64"] = peImage(dotnet(kIlOnly, 0x8664, 0x20b));
  s["gen-pe-dotnet-mixed"] = peImage(dotnet(0));
  PeSpec outside = dotnet(kIlOnly);
  outside.clrRva = 0x9000;  // in no section
  s["gen-pe-clr-outside-sections"] = peImage(outside);
  PeSpec edge = dotnet(kIlOnly);
  edge.clrRva = 0x2000 + 0x200 - 8;  // header runs past its section's data
  s["gen-pe-clr-past-section"] = peImage(edge);
  PeSpec wrap = dotnet(kIlOnly);
  wrap.sectionVirtualAddress = 0xfffff000;  // near the top of the address space
  wrap.clrRva = 0x10;
  s["gen-pe-section-near-top"] = peImage(wrap);
  PeSpec far;
  far.lfanew = 0x7ffffff0;
  s["gen-pe-lfanew-past-end"] = peImage(far);
  PeSpec noOptional;
  noOptional.sizeOfOptionalHeader = 0;
  s["gen-pe-no-optional-header"] = peImage(noOptional);
  PeSpec badMagic;
  badMagic.magic = 0x107;  // ROM image
  s["gen-pe-bad-optional-magic"] = peImage(badMagic);
  PeSpec fewDirectories = dotnet(kIlOnly);
  fewDirectories.numberOfRvaAndSizes = 14;  // CLR directory not covered
  s["gen-pe-few-directories"] = peImage(fewDirectories);
  s["gen-pe-truncated-coff"] = prefix(peImage(PeSpec{}), 0x50);
  s["gen-mz-only"] = text("MZ");
  s["gen-shebang"] = text("#!/bin/sh\nexec true\n");
  s["gen-ld-script"] =
      text("/* GNU ld script\n   Use the shared library. */\nGROUP ( libc.so.6 )\n");
  s["gen-ar-archive"] =
      text("!<arch>\n/               0           0     0     0       4         `\n");
  s["gen-empty"] = Bytes();

  // Export and dependency tables (binary_image.cpp): whole, and cut inside each table.
  test::ElfDynamicSpec dyn;
  dyn.needed = {"libbitbridge-core.so.0", "libfoo.so.1"};
  dyn.soname = "libseed.so";
  dyn.runpath = "$ORIGIN:$ORIGIN/../lib";
  dyn.exports = {"bitbridge_component_v1", "seed_function"};
  s["gen-elf64-dynamic"] = test::elfDynamicImage(dyn);
  s["gen-elf64-dynamic-cut"] = prefix(test::elfDynamicImage(dyn), 200);
  dyn.elfClass = 1;
  dyn.machine = 3;
  dyn.rpath = "/opt/vendor/lib";
  dyn.runpath.clear();
  s["gen-elf32-dynamic"] = test::elfDynamicImage(dyn);
  s["gen-elf32-dynamic-cut"] = prefix(test::elfDynamicImage(dyn), 150);
  PeSpec tables;
  tables.dllName = "seed.dll";
  tables.exports = {"bitbridge_component_v1", "SeedFunction"};
  tables.imports = {"KERNEL32.dll", "libbitbridge-core.dll", "legacy.dll"};
  tables.delayImports = {"late.dll"};
  s["gen-pe32-tables"] = peImage(tables);
  s["gen-pe32-tables-cut"] = prefix(peImage(tables), 0x420);
  PeSpec tables64 = tables;
  tables64.machine = 0x8664;
  tables64.magic = 0x20b;
  s["gen-pe32plus-tables"] = peImage(tables64);
  return s;
}

}  // namespace bitbridge::fuzz
