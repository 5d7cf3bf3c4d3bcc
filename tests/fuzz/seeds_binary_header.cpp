// Seeds for fuzz_binary_header: one small image of every kind the header reader tells apart
// (the same shapes as tests/unit/binary_header_test.cpp builds), plus the usual not-a-binary
// files. Headers cut from real binaries sit beside them in the corpus as "real-*".
#include <cstring>
#include <optional>

#include "seeds.h"

namespace bitbridge::fuzz {
namespace {

Bytes elf(uint8_t elfClass, uint16_t machine, uint8_t data = 1) {
  Bytes b(elfClass == 1 ? 52 : 64, 0);
  const uint8_t ident[] = {0x7f, 'E', 'L', 'F', elfClass, data, 1};
  std::memcpy(b.data(), ident, sizeof ident);
  if (data == 2) {  // big-endian fields, as a real big-endian binary has them
    b[17] = 3;
    b[18] = static_cast<uint8_t>(machine >> 8);
    b[19] = static_cast<uint8_t>(machine);
  } else {
    put16(b, 16, 3);  // ET_DYN
    put16(b, 18, machine);
    put32(b, 20, 1);  // e_version
  }
  return b;
}

// DOS header, "PE\0\0" at e_lfanew, COFF header, optional header with 16 data directories,
// one section whose file data holds the CLR header (if `clr`).
struct Pe {
  uint16_t machine = 0x14c;
  uint16_t magic = 0x10b;
  uint32_t lfanew = 0x40;
  bool clr = false;
  uint32_t corFlags = 0;
  uint32_t rvaCount = 16;
  std::optional<uint16_t> optionalSize;
  uint32_t sectionVa = 0x2000;
  uint32_t sectionRawSize = 0x200;
  uint32_t sectionRawPointer = 0x200;
  uint32_t clrRva = 0x2008;
  size_t fileSize = 0x400;
};

Bytes pe(const Pe& s) {
  Bytes b(s.fileSize, 0);
  b[0] = 'M';
  b[1] = 'Z';
  put32(b, 0x3c, s.lfanew);
  if (s.lfanew + 0x200 > b.size()) return b;  // e_lfanew points past the file: nothing more
  size_t coff = s.lfanew + 4;
  b[s.lfanew] = 'P';
  b[s.lfanew + 1] = 'E';
  bool pe32 = s.magic == 0x10b;
  uint16_t optionalSize = s.optionalSize.value_or(pe32 ? 96 + 16 * 8 : 112 + 16 * 8);
  put16(b, coff, s.machine);
  put16(b, coff + 2, 1);  // NumberOfSections
  put16(b, coff + 16, optionalSize);
  put16(b, coff + 18, 0x2102);  // executable, 32-bit machine, DLL
  size_t opt = coff + 20;
  put16(b, opt, s.magic);
  put32(b, opt + (pe32 ? 92 : 108), s.rvaCount);
  size_t directories = opt + (pe32 ? 96 : 112);
  if (s.clr) {
    put32(b, directories + 14 * 8, s.clrRva);
    put32(b, directories + 14 * 8 + 4, 72);
  }
  size_t section = opt + optionalSize;
  std::memcpy(&b.at(section), ".text\0\0\0", 8);
  put32(b, section + 8, s.sectionRawSize);
  put32(b, section + 12, s.sectionVa);
  put32(b, section + 16, s.sectionRawSize);
  put32(b, section + 20, s.sectionRawPointer);
  uint64_t cor = uint64_t{s.sectionRawPointer} + (s.clrRva - s.sectionVa);
  if (s.clr && cor + 20 <= b.size()) {
    put32(b, cor, 72);  // cb
    put16(b, cor + 4, 2);
    put16(b, cor + 6, 5);
    put32(b, cor + 16, s.corFlags);
  }
  return b;
}

Pe dotnet(uint32_t flags, uint16_t machine = 0x14c, uint16_t magic = 0x10b) {
  Pe s;
  s.clr = true;
  s.corFlags = flags;
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
  s["gen-elf32-i386"] = elf(1, 3);
  s["gen-elf64-x86_64"] = elf(2, 62);
  s["gen-elf32-x32"] = elf(1, 62);
  s["gen-elf64-i386-inconsistent"] = elf(2, 3);
  s["gen-elf64-aarch64"] = elf(2, 183);
  s["gen-elf32-big-endian"] = elf(1, 20, 2);
  s["gen-elf-bad-class"] = elf(3, 62);
  s["gen-elf-bad-data"] = elf(2, 62, 0);
  s["gen-elf-truncated"] = prefix(elf(2, 62), 19);
  s["gen-pe32-i386"] = pe(Pe{});
  Pe pe64;
  pe64.machine = 0x8664;
  pe64.magic = 0x20b;
  s["gen-pe32plus-amd64"] = pe(pe64);
  Pe mismatch;
  mismatch.machine = 0x8664;
  s["gen-pe32-amd64-inconsistent"] = pe(mismatch);
  Pe arm64 = pe64;
  arm64.machine = 0xaa64;
  s["gen-pe32plus-arm64"] = pe(arm64);
  s["gen-pe-dotnet-anycpu"] = pe(dotnet(kIlOnly));
  s["gen-pe-dotnet-anycpu-32pref"] = pe(dotnet(kIlOnly | k32Preferred));
  s["gen-pe-dotnet-x86"] = pe(dotnet(kIlOnly | k32Required));
  s["gen-pe-dotnet-x64"] = pe(dotnet(kIlOnly, 0x8664, 0x20b));
  s["gen-pe-dotnet-mixed"] = pe(dotnet(0));
  Pe outside = dotnet(kIlOnly);
  outside.clrRva = 0x9000;  // in no section
  s["gen-pe-clr-outside-sections"] = pe(outside);
  Pe edge = dotnet(kIlOnly);
  edge.clrRva = 0x2000 + 0x200 - 8;  // header runs past its section's data
  s["gen-pe-clr-past-section"] = pe(edge);
  Pe wrap = dotnet(kIlOnly);
  wrap.sectionVa = 0xfffff000;  // near the top of the address space
  wrap.clrRva = 0x10;
  s["gen-pe-section-near-top"] = pe(wrap);
  Pe far;
  far.lfanew = 0x7ffffff0;
  s["gen-pe-lfanew-past-end"] = pe(far);
  Pe noOptional;
  noOptional.optionalSize = 0;
  s["gen-pe-no-optional-header"] = pe(noOptional);
  Pe badMagic;
  badMagic.magic = 0x107;  // ROM image
  s["gen-pe-bad-optional-magic"] = pe(badMagic);
  Pe fewDirectories = dotnet(kIlOnly);
  fewDirectories.rvaCount = 14;  // CLR directory not covered
  s["gen-pe-few-directories"] = pe(fewDirectories);
  s["gen-pe-truncated-coff"] = prefix(pe(Pe{}), 0x50);
  s["gen-mz-only"] = text("MZ");
  s["gen-shebang"] = text("#!/bin/sh\nexec true\n");
  s["gen-ld-script"] =
      text("/* GNU ld script\n   Use the shared library. */\nGROUP ( libc.so.6 )\n");
  s["gen-ar-archive"] =
      text("!<arch>\n/               0           0     0     0       4         `\n");
  s["gen-empty"] = Bytes();
  return s;
}

}  // namespace bitbridge::fuzz
