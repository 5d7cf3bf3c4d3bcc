// Synthetic ELF and PE images of every kind the header reader tells apart, built field by field.
// Shared by the header unit tests (tests/unit/binary_header_test.cpp) and the fuzz seed
// generator (tests/fuzz/seeds_binary_header.cpp), so both exercise the same shapes.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <vector>

namespace bitbridge::test {

using Bytes = std::vector<uint8_t>;

inline void put16(Bytes& b, size_t offset, uint16_t value) {
  b.at(offset) = static_cast<uint8_t>(value);
  b.at(offset + 1) = static_cast<uint8_t>(value >> 8);
}

inline void put32(Bytes& b, size_t offset, uint32_t value) {
  for (size_t i = 0; i < 4; ++i) b.at(offset + i) = static_cast<uint8_t>(value >> (8 * i));
}

// A minimal ELF header (ELF32: 52 bytes, ELF64: 64 bytes) of a shared object.
inline Bytes elfImage(uint8_t elfClass, uint16_t machine, uint8_t data = 1) {
  Bytes b(elfClass == 1 ? 52 : 64, 0);
  b[0] = 0x7f;
  b[1] = 'E';
  b[2] = 'L';
  b[3] = 'F';
  b[4] = elfClass;
  b[5] = data;
  b[6] = 1;  // EI_VERSION
  if (data == 2) {
    // Big-endian fields, as a real big-endian binary would have them.
    b[16] = 0;
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

// Layout of the synthetic PE images: DOS header, "PE\0\0" at e_lfanew, COFF header, optional
// header with 16 data directories, one section ".text" whose file data holds the CLR header.
struct PeSpec {
  uint16_t machine = 0x14c;
  uint16_t magic = 0x10b;
  uint32_t lfanew = 0x40;
  bool clr = false;
  uint32_t corFlags = 0;
  uint32_t numberOfRvaAndSizes = 16;
  std::optional<uint16_t> sizeOfOptionalHeader;  // default: the real size for `magic`
  uint32_t sectionVirtualAddress = 0x2000;
  uint32_t sectionRawSize = 0x200;
  uint32_t sectionRawPointer = 0x200;
  uint32_t clrRva = 0x2008;  // 8 bytes into .text
  size_t fileSize = 0x400;
};

inline constexpr uint32_t kIlOnly = 0x1;
inline constexpr uint32_t k32BitRequired = 0x2;
inline constexpr uint32_t k32BitPreferred = 0x20000;

inline Bytes peImage(const PeSpec& s) {
  Bytes b(s.fileSize, 0);
  b[0] = 'M';
  b[1] = 'Z';
  put32(b, 0x3c, s.lfanew);
  if (uint64_t{s.lfanew} + 0x200 > b.size()) return b;  // e_lfanew past the file: nothing more
  size_t pe = s.lfanew;
  b.at(pe) = 'P';
  b.at(pe + 1) = 'E';
  size_t coff = pe + 4;
  bool pe32 = s.magic == 0x10b;
  uint16_t realOptionalSize = pe32 ? 96 + 16 * 8 : 112 + 16 * 8;
  uint16_t optionalSize = s.sizeOfOptionalHeader.value_or(realOptionalSize);
  put16(b, coff, s.machine);
  put16(b, coff + 2, 1);  // NumberOfSections
  put16(b, coff + 16, optionalSize);
  put16(b, coff + 18, 0x2102);  // Characteristics: executable, 32-bit machine, DLL
  size_t opt = coff + 20;
  put16(b, opt, s.magic);
  put32(b, opt + (pe32 ? 92 : 108), s.numberOfRvaAndSizes);
  size_t directories = opt + (pe32 ? 96 : 112);
  if (s.clr) {
    put32(b, directories + 14 * 8, s.clrRva);
    put32(b, directories + 14 * 8 + 4, 72);  // sizeof(IMAGE_COR20_HEADER)
  }
  size_t section = opt + optionalSize;
  std::memcpy(&b.at(section), ".text\0\0\0", 8);
  put32(b, section + 8, s.sectionRawSize);  // VirtualSize
  put32(b, section + 12, s.sectionVirtualAddress);
  put32(b, section + 16, s.sectionRawSize);
  put32(b, section + 20, s.sectionRawPointer);
  if (s.clr) {
    uint64_t cor = uint64_t{s.sectionRawPointer} + (s.clrRva - s.sectionVirtualAddress);
    if (cor + 20 <= b.size()) {
      put32(b, static_cast<size_t>(cor), 72);            // cb
      put16(b, static_cast<size_t>(cor) + 4, 2);         // MajorRuntimeVersion
      put16(b, static_cast<size_t>(cor) + 6, 5);         // MinorRuntimeVersion
      put32(b, static_cast<size_t>(cor) + 16, s.corFlags);  // Flags
    }
  }
  return b;
}

inline PeSpec dotnetSpec(uint32_t flags) {
  PeSpec s;
  s.clr = true;
  s.corFlags = flags;
  return s;
}

inline PeSpec pe64Spec() {
  PeSpec s;
  s.machine = 0x8664;
  s.magic = 0x20b;
  return s;
}

}  // namespace bitbridge::test
