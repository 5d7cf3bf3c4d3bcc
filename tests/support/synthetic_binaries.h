// Synthetic ELF and PE images of every kind the header reader tells apart, built field by field.
// Shared by the header unit tests (tests/unit/binary_header_test.cpp) and the fuzz seed
// generator (tests/fuzz/seeds_binary_header.cpp), so both exercise the same shapes.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
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

inline void put64(Bytes& b, size_t offset, uint64_t value) {
  for (size_t i = 0; i < 8; ++i) b.at(offset + i) = static_cast<uint8_t>(value >> (8 * i));
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
  // Export, import and delay-load tables, in a second section (".rdata", RVA 0x3000) appended
  // after `fileSize` bytes when any is set.
  std::string dllName;
  std::vector<std::string> exports;
  std::vector<std::string> imports;
  std::vector<std::string> delayImports;
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
  bool tables = !s.dllName.empty() || !s.exports.empty() || !s.imports.empty() ||
                !s.delayImports.empty();
  if (tables) {
    // Fixed-size parts first (export directory, name pointers, descriptor tables with their
    // zero terminators), then the strings, each addressed by RVA.
    constexpr uint32_t kRva = 0x3000;
    size_t base = b.size();
    size_t exportDir = 0, names = 40, importTable = names + 4 * s.exports.size();
    size_t delayTable = importTable + 20 * (s.imports.size() + 1);
    size_t strings = delayTable + 32 * (s.delayImports.size() + 1);
    Bytes blob(strings, 0);
    auto addString = [&](const std::string& text) {
      uint32_t rva = kRva + static_cast<uint32_t>(blob.size());
      blob.insert(blob.end(), text.begin(), text.end());
      blob.push_back(0);
      return rva;
    };
    if (!s.dllName.empty()) put32(blob, exportDir + 12, addString(s.dllName));
    put32(blob, exportDir + 20, static_cast<uint32_t>(s.exports.size()));
    put32(blob, exportDir + 24, static_cast<uint32_t>(s.exports.size()));
    put32(blob, exportDir + 32, kRva + static_cast<uint32_t>(names));
    for (size_t i = 0; i < s.exports.size(); ++i) put32(blob, names + 4 * i, addString(s.exports[i]));
    for (size_t i = 0; i < s.imports.size(); ++i) {
      put32(blob, importTable + 20 * i, 1);  // OriginalFirstThunk: non-zero
      put32(blob, importTable + 20 * i + 12, addString(s.imports[i]));
    }
    for (size_t i = 0; i < s.delayImports.size(); ++i) {
      put32(blob, delayTable + 32 * i, 1);  // Attributes: RVA-based
      put32(blob, delayTable + 32 * i + 4, addString(s.delayImports[i]));
    }
    while (blob.size() % 0x200 != 0) blob.push_back(0);
    b.insert(b.end(), blob.begin(), blob.end());
    put16(b, coff + 2, 2);  // NumberOfSections
    size_t second = section + 40;
    std::memcpy(&b.at(second), ".rdata\0\0", 8);
    put32(b, second + 8, static_cast<uint32_t>(blob.size()));
    put32(b, second + 12, kRva);
    put32(b, second + 16, static_cast<uint32_t>(blob.size()));
    put32(b, second + 20, static_cast<uint32_t>(base));
    if (!s.dllName.empty() || !s.exports.empty()) put32(b, directories + 0, kRva + exportDir);
    if (!s.imports.empty()) put32(b, directories + 8, kRva + static_cast<uint32_t>(importTable));
    if (!s.delayImports.empty()) {
      put32(b, directories + 13 * 8, kRva + static_cast<uint32_t>(delayTable));
    }
  }
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

// An ELF shared object with a dynamic segment but no section headers (as after sstrip), so
// its exports are found through DT_SYMTAB and DT_HASH: one PT_LOAD maps the whole file at
// address 0, so every address equals its file offset.
struct ElfDynamicSpec {
  uint8_t elfClass = 2;
  uint16_t machine = 62;
  std::vector<std::string> needed;
  std::string soname;
  std::string rpath;
  std::string runpath;
  std::vector<std::string> exports;  // defined global functions
};

inline Bytes elfDynamicImage(const ElfDynamicSpec& s) {
  const bool is64 = s.elfClass == 2;
  const size_t header = is64 ? 64 : 52, phent = is64 ? 56 : 32, dynent = is64 ? 16 : 8;
  const size_t syment = is64 ? 24 : 16, word = is64 ? 8 : 4;
  auto putWord = [&](Bytes& b, size_t at, uint64_t v) {
    if (is64) put64(b, at, v); else put32(b, at, static_cast<uint32_t>(v));
  };
  Bytes strtab(1, 0);
  auto addString = [&](const std::string& text) {
    uint64_t offset = strtab.size();
    strtab.insert(strtab.end(), text.begin(), text.end());
    strtab.push_back(0);
    return offset;
  };
  std::vector<std::pair<uint64_t, uint64_t>> dynamic;  // tag, value (addresses patched below)
  for (const auto& n : s.needed) dynamic.emplace_back(1, addString(n));
  if (!s.soname.empty()) dynamic.emplace_back(14, addString(s.soname));
  if (!s.rpath.empty()) dynamic.emplace_back(15, addString(s.rpath));
  if (!s.runpath.empty()) dynamic.emplace_back(29, addString(s.runpath));
  std::vector<uint64_t> symbolNames;
  for (const auto& e : s.exports) symbolNames.push_back(addString(e));
  const size_t symbolCount = s.exports.size() + 1;  // plus the reserved null symbol

  const size_t dynamicCount = dynamic.size() + 7;  // + STRTAB STRSZ SYMTAB SYMENT HASH NULL (+1 spare)
  const size_t phoff = header, dynOff = phoff + 2 * phent;
  const size_t strOff = dynOff + dynamicCount * dynent;
  const size_t symOff = (strOff + strtab.size() + 7) / 8 * 8;
  const size_t hashOff = symOff + symbolCount * syment;
  const size_t size = hashOff + 4 * (2 + 1 + symbolCount);
  dynamic.emplace_back(5, strOff);
  dynamic.emplace_back(10, strtab.size());
  dynamic.emplace_back(6, symOff);
  dynamic.emplace_back(11, syment);
  dynamic.emplace_back(4, hashOff);

  Bytes b = elfImage(s.elfClass, s.machine);
  b.resize(size, 0);
  putWord(b, is64 ? 32 : 28, phoff);           // e_phoff
  put16(b, is64 ? 52 : 40, static_cast<uint16_t>(header));
  put16(b, is64 ? 54 : 42, static_cast<uint16_t>(phent));
  put16(b, is64 ? 56 : 44, 2);                 // e_phnum
  auto programHeader = [&](size_t at, uint32_t type, uint64_t offset, uint64_t length) {
    put32(b, at, type);
    putWord(b, at + (is64 ? 8 : 4), offset);             // p_offset
    putWord(b, at + (is64 ? 16 : 8), offset);            // p_vaddr
    putWord(b, at + (is64 ? 32 : 16), length);           // p_filesz
    putWord(b, at + (is64 ? 40 : 20), length);           // p_memsz
  };
  programHeader(phoff, 1, 0, size);                                  // PT_LOAD: everything
  programHeader(phoff + phent, 2, dynOff, dynamicCount * dynent);    // PT_DYNAMIC
  for (size_t i = 0; i < dynamic.size(); ++i) {
    putWord(b, dynOff + i * dynent, dynamic[i].first);
    putWord(b, dynOff + i * dynent + word, dynamic[i].second);
  }
  std::memcpy(&b.at(strOff), strtab.data(), strtab.size());
  for (size_t i = 1; i < symbolCount; ++i) {
    size_t sym = symOff + i * syment;
    put32(b, sym, static_cast<uint32_t>(symbolNames[i - 1]));
    b.at(sym + (is64 ? 4 : 12)) = (1 << 4) | 2;  // STB_GLOBAL, STT_FUNC
    put16(b, sym + (is64 ? 6 : 14), 1);           // defined in section 1
  }
  put32(b, hashOff, 1);                                        // nbucket
  put32(b, hashOff + 4, static_cast<uint32_t>(symbolCount));   // nchain
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
