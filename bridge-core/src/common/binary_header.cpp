// Reads ELF and PE headers without loading the binary, so a wrong-bitness component is reported
// by name before any host is started (dlopen/LoadLibrary would only say "wrong ELF class" or
// error 193, and only from inside the host).
//
// Everything here treats the input as hostile: a truncated copy, a linker script named .so or a
// corrupt header must give an Error, never an out-of-bounds read. Offsets come from the file,
// so every "offset + length" is computed in uint64_t (the fields are at most 32 bits wide, so
// the sums cannot wrap) and checked against the size before anything is read.
#include "bitbridge/binary_header.h"

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <istream>
#include <string_view>
#include <vector>

#include "bitbridge/error.h"
#include "common/platform/system_error_text.h"

namespace bitbridge {
namespace {

namespace fs = std::filesystem;

// inspectBinary keeps this much of the file in memory: every ELF field we read and, in practice,
// all PE headers lie in the first few KiB. Only a PE's CLR header can be further in (inside a
// section), and that is fetched with a seek instead of reading a whole large DLL.
constexpr size_t kHeadBytes = 64 * 1024;

constexpr const char* kTruncatedHint =
    "the file is incomplete or corrupt (an interrupted build, copy or download?); rebuild or "
    "re-copy it";

// ELF identification and header (System V ABI, "ELF Header").
constexpr uint8_t kElfMagic[4] = {0x7f, 'E', 'L', 'F'};
constexpr uint64_t kElfClassOffset = 4;  // EI_CLASS
constexpr uint64_t kElfDataOffset = 5;   // EI_DATA
constexpr uint64_t kElfMachineOffset = 18;
// e_machine is the last field we read; it is at the same offset in ELF32 and ELF64.
constexpr uint64_t kElfHeaderNeeded = kElfMachineOffset + 2;
constexpr uint8_t kElfClass32 = 1;
constexpr uint8_t kElfClass64 = 2;
constexpr uint8_t kElfData2Lsb = 1;
constexpr uint8_t kElfData2Msb = 2;
constexpr uint16_t kEm386 = 3;
constexpr uint16_t kEmX86_64 = 62;

// PE/COFF (Microsoft "PE Format" specification).
constexpr uint64_t kDosHeaderSize = 64;
constexpr uint64_t kLfanewOffset = 0x3c;
constexpr uint64_t kPeSignatureSize = 4;
constexpr uint64_t kCoffHeaderSize = 20;
constexpr uint16_t kPeMagic32 = 0x10b;
constexpr uint16_t kPeMagic64 = 0x20b;
constexpr uint16_t kPeMachineI386 = 0x14c;
constexpr uint16_t kPeMachineAmd64 = 0x8664;
constexpr uint64_t kSectionHeaderSize = 40;
constexpr uint32_t kClrDirectoryIndex = 14;  // IMAGE_DIRECTORY_ENTRY_COM_DESCRIPTOR
constexpr uint64_t kDataDirectoryEntrySize = 8;
// IMAGE_COR20_HEADER: we need its Flags field, the u32 at offset 16.
constexpr uint64_t kCorFlagsOffset = 16;
constexpr uint64_t kCorHeaderNeeded = kCorFlagsOffset + 4;
constexpr uint32_t kComImageFlagsIlOnly = 0x1;
constexpr uint32_t kComImageFlags32BitRequired = 0x2;
constexpr uint32_t kComImageFlags32BitPreferred = 0x20000;

std::string hex(uint64_t value, int digits) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "0x%0*" PRIx64, digits, value);
  return buffer;
}

// Bounds-checked little-endian access to a binary. The first `headSize` bytes are in memory;
// if `file` is set, bytes past them are read from it on demand (see kHeadBytes). `size` is the
// size of the whole binary, so truncation messages report the real file size.
struct Reader {
  const std::string& name;
  const uint8_t* head;
  size_t headSize;
  uint64_t size;
  std::istream* file;

  bool has(uint64_t offset, uint64_t length) const {
    return offset <= size && length <= size - offset;
  }

  // Throws the "truncated" error unless [offset, offset + length) lies inside the binary.
  // `what` names the structure being read, for the message.
  void require(uint64_t offset, uint64_t length, const char* what) const {
    if (has(offset, length)) return;
    // Offsets come from 32-bit fields plus small constants, so this cannot overflow.
    throw Error(ErrorKind::BadConfiguration,
                name + " is truncated: " + what + " needs " + std::to_string(offset + length) +
                    " bytes, file has " + std::to_string(size),
                kTruncatedHint);
  }

  void read(uint64_t offset, size_t length, uint8_t* out, const char* what) const {
    require(offset, length, what);
    if (offset <= headSize && length <= headSize - offset) {
      if (length != 0) std::memcpy(out, head + offset, length);
      return;
    }
    // Only a file-backed reader has bytes past the head (for memory, size == headSize).
    bool ok = file != nullptr;
    if (ok) {
      file->clear();
      file->seekg(static_cast<std::streamoff>(offset));
      file->read(reinterpret_cast<char*>(out), static_cast<std::streamsize>(length));
      ok = static_cast<size_t>(file->gcount()) == length;
    }
    if (!ok) {
      throw Error(ErrorKind::NotFound,
                  name + ": reading " + what + " at offset " + std::to_string(offset) +
                      " failed",
                  "was the file changed or removed while it was being inspected?");
    }
  }

  uint8_t u8(uint64_t offset, const char* what) const {
    uint8_t byte = 0;
    read(offset, 1, &byte, what);
    return byte;
  }
  uint16_t u16(uint64_t offset, const char* what) const {
    uint8_t b[2];
    read(offset, sizeof b, b, what);
    return static_cast<uint16_t>(b[0] | (b[1] << 8));
  }
  uint32_t u32(uint64_t offset, const char* what) const {
    uint8_t b[4];
    read(offset, sizeof b, b, what);
    return static_cast<uint32_t>(b[0]) | (static_cast<uint32_t>(b[1]) << 8) |
           (static_cast<uint32_t>(b[2]) << 16) | (static_cast<uint32_t>(b[3]) << 24);
  }
};

Error badBinary(const std::string& name, const std::string& what, std::string hint) {
  return Error(ErrorKind::BadConfiguration, name + " " + what, std::move(hint));
}

// True if the first `size` bytes equal the start of `magic` (so a file cut inside the magic
// still counts as that format and is reported as truncated, not as garbage).
bool startsLike(const uint8_t* bytes, size_t size, const uint8_t* magic, size_t magicSize) {
  size_t n = std::min(size, magicSize);
  return n > 0 && std::memcmp(bytes, magic, n) == 0;
}

bool startsWith(const uint8_t* bytes, size_t size, std::string_view prefix) {
  return size >= prefix.size() && std::memcmp(bytes, prefix.data(), prefix.size()) == 0;
}

// The usual ways a path names something that is not a compiled binary, for the hint.
std::string notBinaryHint(const uint8_t* bytes, size_t size) {
  if (startsWith(bytes, size, "#!")) {
    return "it is a script; pass the compiled shared library or executable itself";
  }
  if (startsWith(bytes, size, "!<arch>\n")) {
    return "it is a static archive (.a/.lib); bitbridge loads shared libraries, so link the "
           "component as a shared object";
  }
  if (startsWith(bytes, size, "/* GNU ld script") || startsWith(bytes, size, "INPUT(") ||
      startsWith(bytes, size, "GROUP(")) {
    return "it looks like a GNU ld linker script (as some lib*.so files are); pass the real "
           "shared object it refers to, e.g. libfoo.so.1";
  }
  return "bitbridge inspects compiled shared libraries and executables (ELF or PE); check that "
         "the path names one and not a script, archive or data file";
}

std::string firstBytes(const uint8_t* bytes, size_t size) {
  std::string out;
  for (size_t i = 0; i < size && i < 4; ++i) {
    char buffer[4];
    std::snprintf(buffer, sizeof buffer, "%02x", bytes[i]);
    if (!out.empty()) out += ' ';
    out += buffer;
  }
  return out;
}

std::string elfMachineName(uint16_t machine) {
  switch (machine) {
    case 2: return "SPARC";
    case kEm386: return "Intel 80386";
    case 8: return "MIPS";
    case 20: return "PowerPC";
    case 21: return "PowerPC64";
    case 22: return "IBM S/390";
    case 40: return "ARM";
    case 43: return "SPARC V9";
    case 50: return "Intel Itanium (IA-64)";
    case kEmX86_64: return "x86-64";
    case 183: return "AArch64";
    case 243: return "RISC-V";
    case 258: return "LoongArch";
    default: return "machine " + hex(machine, 4);
  }
}

std::string peMachineName(uint16_t machine) {
  switch (machine) {
    case kPeMachineI386: return "Intel 80386";
    case kPeMachineAmd64: return "x86-64 (AMD64)";
    case 0xaa64: return "ARM64";
    case 0xa641: return "ARM64EC";
    case 0x1c0: return "ARM";
    case 0x1c4: return "ARM Thumb-2 (ARMNT)";
    case 0x200: return "Intel Itanium (IA-64)";
    default: return "machine " + hex(machine, 4);
  }
}

BinaryInfo parseElf(const Reader& r) {
  r.require(0, kElfHeaderNeeded, "ELF header");
  BinaryInfo info{};
  info.format = BinaryFormat::Elf;

  uint8_t elfClass = r.u8(kElfClassOffset, "ELF header");
  if (elfClass != kElfClass32 && elfClass != kElfClass64) {
    throw badBinary(r.name,
                    "has an invalid ELF class " + std::to_string(elfClass) +
                        " (byte 4 must be 1 for 32-bit or 2 for 64-bit)",
                    kTruncatedHint);
  }
  info.bits = elfClass == kElfClass32 ? 32 : 64;

  uint8_t data = r.u8(kElfDataOffset, "ELF header");
  if (data == kElfData2Msb) {
    throw badBinary(r.name,
                    "is a big-endian ELF " + std::to_string(info.bits) +
                        "-bit binary; big-endian binaries are not supported",
                    "bitbridge hosts little-endian x86 and x86_64 code only; rebuild the "
                    "component for x86 or x86_64");
  }
  if (data != kElfData2Lsb) {
    throw badBinary(r.name,
                    "has an invalid ELF data encoding " + std::to_string(data) +
                        " (byte 5 must be 1 for little-endian)",
                    kTruncatedHint);
  }

  // Only now is e_machine known to be little-endian.
  info.machine = r.u16(kElfMachineOffset, "ELF header");
  std::string prefix = "ELF " + std::to_string(info.bits) + "-bit ";
  if (info.machine == kEm386 && info.bits == 32) {
    info.arch = Arch::x86;
  } else if (info.machine == kEmX86_64 && info.bits == 64) {
    info.arch = Arch::x86_64;
  } else if (info.machine == kEmX86_64) {
    // x32: x86-64 instructions with 32-bit pointers. Neither host can load it.
    info.description = prefix + "x86-64 (x32 ABI)";
    return info;
  } else if (info.machine == kEm386) {
    info.description = prefix + "Intel 80386 (inconsistent: a 64-bit ELF class for a 32-bit "
                                "machine)";
    return info;
  }
  info.description = prefix + elfMachineName(info.machine);
  return info;
}

// Maps the RVA of the CLR header to a file offset through the section table and returns the
// header's Flags field.
uint32_t readCorFlags(const Reader& r, uint64_t sectionTable, uint16_t sectionCount,
                      uint32_t clrRva) {
  for (uint32_t i = 0; i < sectionCount; ++i) {
    uint64_t section = sectionTable + uint64_t{i} * kSectionHeaderSize;
    r.require(section, kSectionHeaderSize, "PE section table");
    uint32_t virtualAddress = r.u32(section + 12, "PE section table");
    uint32_t rawSize = r.u32(section + 16, "PE section table");
    uint32_t rawPointer = r.u32(section + 20, "PE section table");
    // Written as a difference so that a section near the top of the address space cannot
    // wrap around and claim a small RVA.
    if (clrRva < virtualAddress || clrRva - virtualAddress >= rawSize) continue;
    uint64_t delta = clrRva - virtualAddress;
    if (delta + kCorHeaderNeeded > rawSize) {
      throw badBinary(r.name,
                      "has a .NET CLR header (RVA " + hex(clrRva, 8) +
                          ") that runs past the end of its section's file data; the image is "
                          "corrupt",
                      kTruncatedHint);
    }
    return r.u32(uint64_t{rawPointer} + delta + kCorFlagsOffset, ".NET CLR header");
  }
  throw badBinary(r.name,
                  "has a .NET CLR header (RVA " + hex(clrRva, 8) +
                      ") that is not inside any section's file data; the image is corrupt",
                  kTruncatedHint);
}

BinaryInfo parsePe(const Reader& r) {
  r.require(0, kDosHeaderSize, "MZ (DOS) header");
  BinaryInfo info{};
  info.format = BinaryFormat::Pe;

  uint64_t peOffset = r.u32(kLfanewOffset, "MZ (DOS) header");
  if (peOffset >= r.size) {
    throw badBinary(r.name,
                    "has an MZ header whose e_lfanew (" + hex(peOffset, 8) +
                        ") points past the end of the file (" + std::to_string(r.size) +
                        " bytes); it is corrupt or truncated, or not a PE image",
                    kTruncatedHint);
  }
  r.require(peOffset, kPeSignatureSize + kCoffHeaderSize, "PE signature and COFF header");
  uint8_t signature[4];
  r.read(peOffset, sizeof signature, signature, "PE signature");
  if (std::memcmp(signature, "PE\0\0", 4) != 0) {
    throw badBinary(r.name,
                    "has an MZ header but no PE signature at offset " + hex(peOffset, 8) +
                        " (found " + firstBytes(signature, sizeof signature) +
                        "); an MS-DOS or 16-bit executable?",
                    "bitbridge loads 32-bit and 64-bit PE images (.dll/.exe) only");
  }

  uint64_t coff = peOffset + kPeSignatureSize;
  info.machine = r.u16(coff, "COFF header");
  uint16_t sectionCount = r.u16(coff + 2, "COFF header");
  uint16_t optionalSize = r.u16(coff + 16, "COFF header");
  uint64_t optional = coff + kCoffHeaderSize;

  if (optionalSize < 2) {
    throw badBinary(r.name,
                    "has no PE optional header (SizeOfOptionalHeader is " +
                        std::to_string(optionalSize) + "), so it is not a loadable image",
                    "pass a linked .dll or .exe, not an object file");
  }
  uint16_t magic = r.u16(optional, "PE optional header");
  if (magic != kPeMagic32 && magic != kPeMagic64) {
    throw badBinary(r.name,
                    "has an unknown PE optional header magic " + hex(magic, 4) +
                        " (expected 0x10b for PE32 or 0x20b for PE32+)",
                    kTruncatedHint);
  }
  bool pe32 = magic == kPeMagic32;
  info.bits = pe32 ? 32 : 64;
  std::string kind = pe32 ? "PE32" : "PE32+";

  // The Machine field alone is not trusted: the loader also rejects a PE32+ header on i386
  // or a PE32 header on AMD64, and so do we.
  if (info.machine == kPeMachineI386 && pe32) {
    info.arch = Arch::x86;
  } else if (info.machine == kPeMachineAmd64 && !pe32) {
    info.arch = Arch::x86_64;
  }

  // NumberOfRvaAndSizes and the data directories follow the fields whose size differs between
  // PE32 (32-bit ImageBase and stack/heap sizes, plus BaseOfData) and PE32+.
  uint64_t countField = pe32 ? 92 : 108;
  uint64_t directories = pe32 ? 96 : 112;
  uint64_t clrEntry = directories + uint64_t{kClrDirectoryIndex} * kDataDirectoryEntrySize;
  uint32_t clrRva = 0;
  // A directory counts only if NumberOfRvaAndSizes covers it and it lies inside the declared
  // optional header; past that the bytes belong to the section table.
  if (optionalSize >= clrEntry + kDataDirectoryEntrySize &&
      r.u32(optional + countField, "PE optional header") > kClrDirectoryIndex) {
    clrRva = r.u32(optional + clrEntry, "PE optional header");
  }

  if (clrRva == 0) {
    info.description = kind + " " + peMachineName(info.machine);
    if (!info.arch && (info.machine == kPeMachineI386 || info.machine == kPeMachineAmd64)) {
      info.description += " (inconsistent: " + kind + " optional header for this machine)";
    }
    return info;
  }

  info.dotnet = true;
  uint32_t flags = readCorFlags(r, optional + optionalSize, sectionCount, clrRva);
  info.corFlags = flags;
  bool ilOnly = (flags & kComImageFlagsIlOnly) != 0;
  bool requires32 = (flags & kComImageFlags32BitRequired) != 0;
  if (pe32 && info.machine == kPeMachineI386 && ilOnly && !requires32) {
    // The header says i386 only because IL has no machine; the CLR runs it as whatever the
    // loading process is. 32BITPREFERRED changes that only for an .exe launched directly.
    info.arch.reset();
    info.dotnetAnyCpu = true;
    info.description = "PE32 .NET Any CPU";
    if (flags & kComImageFlags32BitPreferred) info.description += " (32-bit preferred)";
    return info;
  }
  std::string mixed = ilOnly ? "" : " mixed-mode";
  if (info.arch == Arch::x86) {
    info.description = kind + " .NET" + mixed + " (x86 only)";
  } else if (info.arch == Arch::x86_64) {
    info.description = kind + " .NET" + mixed + " (x64 only)";
  } else {
    info.description = kind + " .NET" + mixed + " " + peMachineName(info.machine);
  }
  return info;
}

BinaryInfo inspect(const Reader& r) {
  if (r.size == 0) {
    throw badBinary(r.name, "is empty (0 bytes)", kTruncatedHint);
  }
  // Every binary is at least a few hundred bytes, so the head always holds the magic.
  if (startsLike(r.head, r.headSize, kElfMagic, sizeof kElfMagic)) return parseElf(r);
  static constexpr uint8_t kMz[2] = {'M', 'Z'};
  if (startsLike(r.head, r.headSize, kMz, sizeof kMz)) return parsePe(r);
  throw badBinary(r.name,
                  "is not an ELF or PE binary (starts with " + firstBytes(r.head, r.headSize) +
                      ")",
                  notBinaryHint(r.head, r.headSize));
}

std::string pathHint(const std::string& path) {
  fs::path p(path);
  if (p.is_absolute()) return "check the path";
  std::error_code ec;
  fs::path cwd = fs::current_path(ec);
  if (ec) return "check the path; relative paths are resolved against the current directory";
  return "check the path; relative paths are resolved against the current directory " +
         cwd.string();
}

}  // namespace

BinaryInfo inspectBinaryBytes(const uint8_t* bytes, size_t size, const std::string& name) {
  Reader reader{name, bytes, size, size, nullptr};
  return inspect(reader);
}

BinaryInfo inspectBinary(const std::string& path) {
  if (path.empty()) {
    throw Error(ErrorKind::NotFound, "cannot inspect a binary: the path is empty",
                "pass the path of the component or library");
  }
  // status() first: it tells a directory or device from a file portably (fopen/ifstream
  // succeed on a directory on Linux), and its error_code carries the OS reason.
  std::error_code ec;
  fs::file_status status = fs::status(path, ec);
  if (status.type() == fs::file_type::not_found || (ec && !fs::exists(status))) {
    throw Error(ErrorKind::NotFound,
                "cannot open " + path + ": " +
                    (ec ? ec.message() : errnoText(ENOENT)),
                pathHint(path));
  }
  if (fs::is_directory(status)) {
    throw Error(ErrorKind::BadConfiguration, path + " is a directory, not a binary",
                "pass the path of the shared library or executable inside it");
  }
  if (!fs::is_regular_file(status)) {
    throw Error(ErrorKind::BadConfiguration,
                path + " is not a regular file (a device, FIFO or socket?)",
                "pass the path of a shared library or executable");
  }

  errno = 0;
  std::ifstream file(fs::path(path), std::ios::binary);
  if (!file) {
    int err = errno;
    throw Error(ErrorKind::NotFound,
                "cannot open " + path + ": " +
                    (err != 0 ? errnoText(err) : "the file cannot be read"),
                err == EACCES ? "check the file's permissions" : pathHint(path));
  }
  file.seekg(0, std::ios::end);
  std::streamoff end = file.tellg();
  if (end < 0) {
    throw Error(ErrorKind::NotFound, "cannot determine the size of " + path,
                "check that the file is readable");
  }
  uint64_t size = static_cast<uint64_t>(end);
  std::vector<uint8_t> head(static_cast<size_t>(std::min<uint64_t>(size, kHeadBytes)));
  Reader reader{path, head.data(), 0, size, &file};
  // Read the head through the file path of the reader (headSize is still 0), which checks
  // that the bytes really arrived.
  reader.read(0, head.size(), head.data(), "file header");
  reader.headSize = head.size();
  return inspect(reader);
}

void requireLoadableBy(const BinaryInfo& info, Arch hostArch, const std::string& path) {
  if (info.arch == hostArch) return;
  std::string host = hostExecutableName(hostArch) + " (" + std::string(archName(hostArch)) + ")";

  if (info.dotnetAnyCpu) {
    throw Error(ErrorKind::WrongBitness,
                path + " is " + info.description + ": an \"Any CPU\" .NET image says x86 in "
                    "its PE header but runs as the bitness of whichever process loads it, so "
                    "bitbridge cannot bridge it by bitness (" + host + " was to load it)",
                "rebuild it for one bitness (/platform:x86 or /platform:x64, i.e. "
                "<PlatformTarget>), or mark it x86-only with `CorFlags " + path +
                    " /32BITREQ+`");
  }
  if (!info.arch) {
    std::string hint = "rebuild the component for x86 (to load it in " +
                       hostExecutableName(Arch::x86) + ") or x86_64 (for " +
                       hostExecutableName(Arch::x86_64) + ")";
    if (info.format == BinaryFormat::Elf && info.machine == kEmX86_64 && info.bits == 32) {
      hint = "x32 code uses 64-bit instructions with 32-bit pointers; " + hint +
             " with -m32 or -m64 instead of -mx32";
    }
    throw Error(ErrorKind::WrongBitness,
                path + " is " + info.description + "; " + host +
                    " cannot load it: bitbridge has hosts for x86 and x86_64 only",
                hint);
  }
  Arch needed = *info.arch;
  throw Error(ErrorKind::WrongBitness,
              path + " is " + info.description + "; " + host + " cannot load it: it needs " +
                  hostExecutableName(needed) + " (" + std::string(archName(needed)) + ")",
              "load it in " + hostExecutableName(needed) +
                  " (leave HostOptions::arch unset to pick the host from the component's "
                  "header), or rebuild the component for " + std::string(archName(hostArch)));
}

BinaryInfo inspectForHosting(const std::string& path) {
  BinaryInfo info = inspectBinary(path);
  if (info.format != nativeBinaryFormat()) {
    bool windowsImage = info.format == BinaryFormat::Pe;
    throw Error(ErrorKind::BadConfiguration,
                path + " is " + info.description + (windowsImage ? ", a Windows image" : ", an ELF image") +
                    "; hosts on this platform load " + (windowsImage ? "ELF" : "PE") + " libraries",
                windowsImage ? "use a Linux build of the library, or run bitbridge on Windows"
                             : "use a Windows build of the library");
  }
  return info;
}

BinaryInfo requireHostable(const std::string& path, Arch hostArch, BinaryRole role) {
  BinaryInfo info = inspectForHosting(path);
  if (role == BinaryRole::LegacyLibrary && info.arch && info.arch != hostArch) {
    // The component is right; the library it wraps is the other bitness.
    throw Error(ErrorKind::WrongBitness,
                path + " is " + info.description + "; the " + std::string(archName(hostArch)) +
                    " component that wraps it runs in " + hostExecutableName(hostArch) +
                    ", which cannot load it",
                "use the " + std::string(archName(hostArch)) +
                    " build of this library (the vendor's " + std::to_string(pointerBits(hostArch)) +
                    "-bit DLL/.so), or build the component for " + std::string(archName(*info.arch)));
  }
  requireLoadableBy(info, hostArch, path);
  return info;
}

}  // namespace bitbridge
