// Exports, needed libraries and search paths of ELF and PE images (see binary_image.h).
//
// Every table is located by offsets read from the file. The rule throughout: a table's whole
// extent is checked against the file size (in uint64_t, with overflow-safe comparisons) before
// any entry is read, and every string is read only up to the end of its table or the file.
// Counts are bounded by the file size, so no loop can run longer than the file is big.
#include "common/binary/binary_image.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>

#include "bitbridge/component.h"
#include "bitbridge/error.h"

namespace bitbridge {
namespace {

constexpr const char* kCorruptHint =
    "the file is incomplete or corrupt (an interrupted build, copy or download?); rebuild or "
    "re-copy it";

// Longest name accepted (mangled C++ symbols can be long, but not this long).
constexpr uint64_t kMaxNameBytes = 64 * 1024;

// Bounds-checked little-endian reads from an in-memory image.
class ByteReader {
 public:
  ByteReader(const uint8_t* bytes, uint64_t size, const std::string& name)
      : bytes_(bytes), size_(size), name_(name) {}

  uint64_t size() const { return size_; }
  const std::string& name() const { return name_; }

  bool has(uint64_t offset, uint64_t length) const {
    return offset <= size_ && length <= size_ - offset;
  }

  // Throws unless [offset, offset + length) is inside the file. `what` names the table.
  void require(uint64_t offset, uint64_t length, const std::string& what) const {
    if (has(offset, length)) return;
    throw Error(ErrorKind::BadConfiguration,
                name_ + " is truncated or corrupt: its " + what + " (offset " +
                    std::to_string(offset) + ", " + std::to_string(length) +
                    " bytes) lies outside the file (" + std::to_string(size_) + " bytes)",
                kCorruptHint);
  }

  uint64_t uint(uint64_t offset, unsigned width, const std::string& what) const {
    require(offset, width, what);
    uint64_t value = 0;
    for (unsigned i = 0; i < width; ++i) value |= uint64_t{bytes_[offset + i]} << (8 * i);
    return value;
  }
  uint8_t u8(uint64_t offset, const std::string& what) const {
    return static_cast<uint8_t>(uint(offset, 1, what));
  }
  uint16_t u16(uint64_t offset, const std::string& what) const {
    return static_cast<uint16_t>(uint(offset, 2, what));
  }
  uint32_t u32(uint64_t offset, const std::string& what) const {
    return static_cast<uint32_t>(uint(offset, 4, what));
  }
  uint64_t u64(uint64_t offset, const std::string& what) const { return uint(offset, 8, what); }

  // A NUL-terminated string starting at `offset` that must end before `limit` (the end of its
  // table, itself inside the file).
  std::string string(uint64_t offset, uint64_t limit, const std::string& what) const {
    limit = std::min(limit, size_);
    if (offset >= limit) {
      throw Error(ErrorKind::BadConfiguration,
                  name_ + " is corrupt: a name in its " + what + " starts at offset " +
                      std::to_string(offset) + ", outside the table or file",
                  kCorruptHint);
    }
    uint64_t end = std::min(limit, offset + std::min(limit - offset, kMaxNameBytes));
    const uint8_t* begin = bytes_ + offset;
    const void* nul = std::memchr(begin, 0, static_cast<size_t>(end - offset));
    if (nul == nullptr) {
      throw Error(ErrorKind::BadConfiguration,
                  name_ + " is corrupt: a name in its " + what + " at offset " +
                      std::to_string(offset) + " is not terminated",
                  kCorruptHint);
    }
    return std::string(reinterpret_cast<const char*>(begin),
                       static_cast<const uint8_t*>(nul) - begin);
  }

 private:
  const uint8_t* bytes_;
  uint64_t size_;
  const std::string& name_;
};

Error corrupt(const std::string& name, const std::string& what) {
  return Error(ErrorKind::BadConfiguration, name + " is corrupt: " + what, kCorruptHint);
}

// Checked `base + index * entrySize` for tables whose extent was already required: callers
// pass index < count, where base + count * entrySize was checked, so this cannot overflow.
uint64_t entry(uint64_t base, uint64_t index, uint64_t entrySize) {
  return base + index * entrySize;
}

// Multiplies two counts read from the file without wrapping: an impossible product becomes
// UINT64_MAX, which every bounds check then rejects.
uint64_t product(uint64_t a, uint64_t b) {
  if (a != 0 && b > std::numeric_limits<uint64_t>::max() / a) {
    return std::numeric_limits<uint64_t>::max();
  }
  return a * b;
}

std::vector<std::string> splitPath(const std::string& list) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    size_t colon = list.find(':', start);
    std::string part = list.substr(start, colon == std::string::npos ? colon : colon - start);
    if (!part.empty()) parts.push_back(part);
    if (colon == std::string::npos) return parts;
    start = colon + 1;
  }
}

void sortUnique(std::vector<std::string>& names) {
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
}

// ---------------------------------------------------------------------------------------------
// ELF (System V gABI: "ELF Header", "Program Header", "Dynamic Section", "Symbol Table").

constexpr uint16_t kEtExec = 2;
constexpr uint16_t kEtDyn = 3;
constexpr uint32_t kPtLoad = 1;
constexpr uint32_t kPtDynamic = 2;
constexpr uint32_t kPtInterp = 3;
constexpr uint32_t kShtDynsym = 11;
constexpr uint64_t kDtNull = 0;
constexpr uint64_t kDtNeeded = 1;
constexpr uint64_t kDtHash = 4;
constexpr uint64_t kDtStrtab = 5;
constexpr uint64_t kDtSymtab = 6;
constexpr uint64_t kDtStrsz = 10;
constexpr uint64_t kDtSoname = 14;
constexpr uint64_t kDtRpath = 15;
constexpr uint64_t kDtRunpath = 29;
constexpr uint64_t kDtGnuHash = 0x6ffffef5;
constexpr uint8_t kStbGlobal = 1;
constexpr uint8_t kStbWeak = 2;
constexpr uint8_t kStbGnuUnique = 10;
constexpr uint8_t kSttObject = 1;
constexpr uint8_t kSttFunc = 2;
constexpr uint8_t kSttTls = 6;
constexpr uint8_t kSttGnuIfunc = 10;
constexpr uint8_t kStvDefault = 0;
constexpr uint8_t kStvProtected = 3;
constexpr uint16_t kShnUndef = 0;

// Field offsets and sizes that differ between ELF32 and ELF64.
struct ElfLayout {
  bool is64;
  unsigned word;  // size of an address / offset / Xword: 4 or 8
  uint64_t phoff, shoff, phentsize, phnum, shentsize, shnum;
  uint64_t phSize, shSize, dynSize, symSize;
};

ElfLayout elfLayout(bool is64) {
  if (is64) return {true, 8, 32, 40, 54, 56, 58, 60, 56, 64, 16, 24};
  return {false, 4, 28, 32, 42, 44, 46, 48, 32, 40, 8, 16};
}

struct LoadSegment {
  uint64_t vaddr, offset, fileSize;
};

class ElfParser {
 public:
  ElfParser(const ByteReader& r, bool is64) : r_(r), l_(elfLayout(is64)) {}

  void parse(BinaryImage& image) {
    uint16_t type = r_.u16(16, "ELF header");
    readProgramHeaders();
    image.dynamic = dynamic_.has_value();
    if (type == kEtExec || (type == kEtDyn && interp_)) {
      image.kind = BinaryKind::Executable;
    } else if (type == kEtDyn) {
      image.kind = BinaryKind::SharedLibrary;
    } else {
      image.kind = BinaryKind::Other;
    }
    if (dynamic_) readDynamic(image);
    readExports(image);
  }

 private:
  uint64_t word(uint64_t offset, const std::string& what) const {
    return l_.is64 ? r_.u64(offset, what) : r_.u32(offset, what);
  }

  void readProgramHeaders() {
    uint64_t phoff = word(l_.phoff, "ELF header");
    uint16_t entsize = r_.u16(l_.phentsize, "ELF header");
    uint16_t count = r_.u16(l_.phnum, "ELF header");
    if (count == 0) return;
    if (entsize < l_.phSize) {
      throw corrupt(r_.name(), "its program header entries are " + std::to_string(entsize) +
                                   " bytes, less than the " + std::to_string(l_.phSize) +
                                   " an ELF program header needs");
    }
    r_.require(phoff, product(count, entsize), "program header table");
    const std::string what = "program header table";
    for (uint64_t i = 0; i < count; ++i) {
      uint64_t ph = entry(phoff, i, entsize);
      uint32_t ptype = r_.u32(ph, what);
      uint64_t offset = l_.is64 ? r_.u64(ph + 8, what) : r_.u32(ph + 4, what);
      uint64_t vaddr = l_.is64 ? r_.u64(ph + 16, what) : r_.u32(ph + 8, what);
      uint64_t filesz = l_.is64 ? r_.u64(ph + 32, what) : r_.u32(ph + 16, what);
      if (ptype == kPtLoad) loads_.push_back({vaddr, offset, filesz});
      if (ptype == kPtInterp) interp_ = true;
      if (ptype == kPtDynamic && !dynamic_) dynamic_ = LoadSegment{vaddr, offset, filesz};
    }
  }

  // File offset of the `length` bytes at virtual address `vaddr`, through the PT_LOAD
  // segments (the dynamic section refers to its tables by address, as the loader sees them).
  std::optional<uint64_t> fileOffset(uint64_t vaddr, uint64_t length = 1) const {
    for (const auto& seg : loads_) {
      if (vaddr < seg.vaddr) continue;
      uint64_t delta = vaddr - seg.vaddr;
      if (delta >= seg.fileSize || length > seg.fileSize - delta) continue;
      if (!r_.has(seg.offset, seg.fileSize)) continue;  // a segment past EOF maps nothing
      return seg.offset + delta;
    }
    return std::nullopt;
  }

  void readDynamic(BinaryImage& image) {
    const std::string what = "dynamic section";
    r_.require(dynamic_->offset, dynamic_->fileSize, what);
    uint64_t count = dynamic_->fileSize / l_.dynSize;
    std::vector<uint64_t> needed;
    std::optional<uint64_t> soname, rpath, runpath, strtab;
    uint64_t strsz = 0;
    for (uint64_t i = 0; i < count; ++i) {
      uint64_t d = entry(dynamic_->offset, i, l_.dynSize);
      uint64_t tag = word(d, what);
      uint64_t value = word(d + l_.word, what);
      if (tag == kDtNull) break;
      switch (tag) {
        case kDtNeeded: needed.push_back(value); break;
        case kDtSoname: soname = value; break;
        case kDtRpath: rpath = value; break;
        case kDtRunpath: runpath = value; break;
        case kDtStrtab: strtab = value; break;
        case kDtStrsz: strsz = value; break;
        case kDtSymtab: symtabAddress_ = value; break;
        case kDtHash: hashAddress_ = value; break;
        case kDtGnuHash: gnuHashAddress_ = value; break;
        default: break;
      }
    }
    bool anyString = !needed.empty() || soname || rpath || runpath;
    if (!anyString) return;
    std::optional<uint64_t> strings = strtab ? fileOffset(*strtab, strsz) : std::nullopt;
    if (!strings) {
      throw corrupt(r_.name(), "its dynamic section names libraries, but its string table "
                               "(DT_STRTAB/DT_STRSZ) is missing or outside the file's "
                               "loadable segments");
    }
    auto str = [&](uint64_t offset) {
      if (offset >= strsz) {
        throw corrupt(r_.name(), "a dynamic section entry points past its string table");
      }
      return r_.string(*strings + offset, *strings + strsz, "dynamic string table");
    };
    for (uint64_t offset : needed) image.needed.push_back(str(offset));
    if (soname) image.soname = str(*soname);
    if (rpath) image.rpath = splitPath(str(*rpath));
    if (runpath) image.runpath = splitPath(str(*runpath));
  }

  // The dynamic symbol table: from the section headers when present (exact size), else from
  // DT_SYMTAB with the count from DT_HASH or DT_GNU_HASH (stripped section headers).
  void readExports(BinaryImage& image) {
    uint64_t symbols = 0, count = 0, strings = 0, stringsEnd = 0;
    if (!findDynsymSection(symbols, count, strings, stringsEnd) &&
        !findDynsymFromDynamic(symbols, count, strings, stringsEnd)) {
      return;
    }
    const std::string what = "dynamic symbol table";
    for (uint64_t i = 1; i < count; ++i) {  // entry 0 is the reserved undefined symbol
      uint64_t sym = entry(symbols, i, l_.symSize);
      uint32_t nameOffset = r_.u32(sym, what);
      uint8_t info = r_.u8(sym + (l_.is64 ? 4 : 12), what);
      uint8_t other = r_.u8(sym + (l_.is64 ? 5 : 13), what);
      uint16_t section = r_.u16(sym + (l_.is64 ? 6 : 14), what);
      uint8_t bind = info >> 4, type = info & 0xf, visibility = other & 0x3;
      bool global = bind == kStbGlobal || bind == kStbWeak || bind == kStbGnuUnique;
      bool code = type == kSttFunc || type == kSttObject || type == kSttGnuIfunc ||
                  type == kSttTls;
      bool visible = visibility == kStvDefault || visibility == kStvProtected;
      if (!global || !code || !visible || section == kShnUndef || nameOffset == 0) continue;
      if (nameOffset >= stringsEnd - strings) {
        throw corrupt(r_.name(), "a dynamic symbol's name points past its string table");
      }
      image.exports.push_back(r_.string(strings + nameOffset, stringsEnd, "dynamic string table"));
    }
    sortUnique(image.exports);
  }

  bool findDynsymSection(uint64_t& symbols, uint64_t& count, uint64_t& strings,
                         uint64_t& stringsEnd) {
    const std::string what = "section header table";
    uint64_t shoff = word(l_.shoff, "ELF header");
    uint16_t entsize = r_.u16(l_.shentsize, "ELF header");
    uint16_t shnum = r_.u16(l_.shnum, "ELF header");
    // No section headers (stripped with sstrip, or shnum in section 0 for huge files): the
    // dynamic section can still say where the symbols are.
    if (shoff == 0 || shnum == 0) return false;
    if (entsize < l_.shSize) {
      throw corrupt(r_.name(), "its section header entries are " + std::to_string(entsize) +
                                   " bytes, less than the " + std::to_string(l_.shSize) +
                                   " an ELF section header needs");
    }
    r_.require(shoff, product(shnum, entsize), what);
    auto field = [&](uint64_t sh, uint64_t off32, uint64_t off64) {
      return l_.is64 ? r_.u64(sh + off64, what) : r_.u32(sh + off32, what);
    };
    for (uint64_t i = 0; i < shnum; ++i) {
      uint64_t sh = entry(shoff, i, entsize);
      if (r_.u32(sh + 4, what) != kShtDynsym) continue;
      uint64_t offset = field(sh, 16, 24);
      uint64_t size = field(sh, 20, 32);
      uint32_t link = r_.u32(sh + (l_.is64 ? 40 : 24), what);
      r_.require(offset, size, "dynamic symbol table");
      if (link >= shnum) throw corrupt(r_.name(), ".dynsym links to a missing string section");
      uint64_t strSection = entry(shoff, link, entsize);
      uint64_t strOffset = field(strSection, 16, 24);
      uint64_t strSize = field(strSection, 20, 32);
      r_.require(strOffset, strSize, "dynamic string table");
      symbols = offset;
      count = size / l_.symSize;
      strings = strOffset;
      stringsEnd = strOffset + strSize;
      return true;
    }
    return false;
  }

  bool findDynsymFromDynamic(uint64_t& symbols, uint64_t& count, uint64_t& strings,
                             uint64_t& stringsEnd) {
    if (!symtabAddress_ || !dynamic_) return false;
    std::optional<uint64_t> hashCount = symbolCountFromHash();
    if (!hashCount) return false;  // no way to know where the table ends: list nothing
    std::optional<uint64_t> symOffset =
        fileOffset(*symtabAddress_, product(*hashCount, l_.symSize));
    if (!symOffset) {
      throw corrupt(r_.name(), "its dynamic symbol table (DT_SYMTAB) lies outside the file's "
                               "loadable segments");
    }
    // The string table was validated by readDynamic when it had names to read; look it up
    // again here, since a library with no DT_NEEDED still exports symbols.
    const std::string what = "dynamic section";
    uint64_t strtab = 0, strsz = 0;
    for (uint64_t i = 0; i < dynamic_->fileSize / l_.dynSize; ++i) {
      uint64_t d = entry(dynamic_->offset, i, l_.dynSize);
      uint64_t tag = word(d, what);
      if (tag == kDtNull) break;
      if (tag == kDtStrtab) strtab = word(d + l_.word, what);
      if (tag == kDtStrsz) strsz = word(d + l_.word, what);
    }
    std::optional<uint64_t> strOffset = fileOffset(strtab, strsz);
    if (!strOffset) {
      throw corrupt(r_.name(), "its dynamic string table lies outside the loadable segments");
    }
    symbols = *symOffset;
    count = *hashCount;
    strings = *strOffset;
    stringsEnd = *strOffset + strsz;
    return true;
  }

  // DT_HASH: nchain is the symbol count. DT_GNU_HASH: the highest symbol reached from any
  // bucket, followed along its chain to the entry with the end bit set.
  std::optional<uint64_t> symbolCountFromHash() const {
    if (hashAddress_) {
      std::optional<uint64_t> hash = fileOffset(*hashAddress_, 8);
      if (!hash) throw corrupt(r_.name(), "its DT_HASH table lies outside the file");
      return r_.u32(*hash + 4, "DT_HASH table");
    }
    if (!gnuHashAddress_) return std::nullopt;
    const std::string what = "DT_GNU_HASH table";
    std::optional<uint64_t> gnu = fileOffset(*gnuHashAddress_, 16);
    if (!gnu) throw corrupt(r_.name(), "its DT_GNU_HASH table lies outside the file");
    uint32_t buckets = r_.u32(*gnu, what);
    uint32_t symoffset = r_.u32(*gnu + 4, what);
    uint32_t bloomWords = r_.u32(*gnu + 8, what);
    uint64_t bucketTable = *gnu + 16 + product(bloomWords, l_.word);
    r_.require(bucketTable, product(buckets, 4), what);
    uint64_t chains = bucketTable + uint64_t{buckets} * 4;
    uint32_t last = 0;
    for (uint64_t i = 0; i < buckets; ++i) last = std::max(last, r_.u32(bucketTable + i * 4, what));
    if (last < symoffset) return symoffset;
    // Each step reads a new in-file word, so the walk ends within the file's size.
    for (uint64_t index = last;; ++index) {
      uint64_t chain = chains + (index - symoffset) * 4;
      if (r_.u32(chain, what) & 1) return index + 1;
    }
  }

  const ByteReader& r_;
  ElfLayout l_;
  std::vector<LoadSegment> loads_;
  std::optional<LoadSegment> dynamic_;
  bool interp_ = false;
  std::optional<uint64_t> symtabAddress_, hashAddress_, gnuHashAddress_;
};

// ---------------------------------------------------------------------------------------------
// PE/COFF (Microsoft "PE Format": optional header data directories, .edata, .idata, delay
// import descriptor table).

constexpr uint16_t kImageFileDll = 0x2000;
constexpr uint32_t kExportDirectory = 0;
constexpr uint32_t kImportDirectory = 1;
constexpr uint32_t kDelayImportDirectory = 13;
constexpr uint64_t kImportDescriptorSize = 20;
constexpr uint64_t kDelayDescriptorSize = 32;
constexpr uint64_t kExportDirectorySize = 40;
// More descriptors than any real image has; a table without its terminator stops here.
constexpr uint64_t kMaxDescriptors = 65536;

struct PeSection {
  uint32_t virtualAddress, rawSize, rawPointer;
};

class PeParser {
 public:
  explicit PeParser(const ByteReader& r) : r_(r) {}

  void parse(BinaryImage& image) {
    uint64_t pe = r_.u32(0x3c, "MZ header");
    uint64_t coff = pe + 4;
    uint16_t sectionCount = r_.u16(coff + 2, "COFF header");
    uint16_t optionalSize = r_.u16(coff + 16, "COFF header");
    uint16_t characteristics = r_.u16(coff + 18, "COFF header");
    image.kind = (characteristics & kImageFileDll) ? BinaryKind::SharedLibrary
                                                   : BinaryKind::Executable;
    uint64_t optional = coff + 20;
    bool pe32 = r_.u16(optional, "PE optional header") == 0x10b;
    imageBase_ = pe32 ? r_.u32(optional + 28, "PE optional header")
                      : r_.u64(optional + 24, "PE optional header");
    sizeOfHeaders_ = r_.u32(optional + 60, "PE optional header");
    uint64_t countField = pe32 ? 92 : 108;
    directories_ = optional + (pe32 ? 96 : 112);
    directoryLimit_ = optional + optionalSize;
    directoryCount_ = r_.u32(optional + countField, "PE optional header");

    uint64_t table = optional + optionalSize;
    r_.require(table, uint64_t{sectionCount} * 40, "PE section table");
    for (uint64_t i = 0; i < sectionCount; ++i) {
      uint64_t s = table + i * 40;
      sections_.push_back({r_.u32(s + 12, "PE section table"), r_.u32(s + 16, "PE section table"),
                           r_.u32(s + 20, "PE section table")});
    }
    readExports(image);
    readImports(image.needed, kImportDirectory, kImportDescriptorSize, 12, "import directory");
    readImports(image.delayLoaded, kDelayImportDirectory, kDelayDescriptorSize, 4,
                "delay-load import directory");
  }

 private:
  // The directory's RVA, or 0 if the image has none (absent or beyond NumberOfRvaAndSizes).
  uint32_t directoryRva(uint32_t index) const {
    uint64_t at = directories_ + uint64_t{index} * 8;
    if (index >= directoryCount_ || at + 8 > directoryLimit_) return 0;
    return r_.u32(at, "PE data directories");
  }

  // File offset of RVA `rva` and the end of the file data that holds it.
  std::optional<std::pair<uint64_t, uint64_t>> map(uint64_t rva) const {
    for (const auto& s : sections_) {
      // As a difference, so a section near the top of the address space cannot wrap.
      if (rva < s.virtualAddress || rva - s.virtualAddress >= s.rawSize) continue;
      uint64_t offset = uint64_t{s.rawPointer} + (rva - s.virtualAddress);
      uint64_t end = uint64_t{s.rawPointer} + s.rawSize;
      if (offset >= r_.size()) return std::nullopt;
      return std::make_pair(offset, std::min(end, r_.size()));
    }
    if (rva < sizeOfHeaders_ && rva < r_.size()) {
      return std::make_pair(rva, std::min<uint64_t>(sizeOfHeaders_, r_.size()));
    }
    return std::nullopt;
  }

  uint64_t mapOrThrow(uint64_t rva, const std::string& what) const {
    auto at = map(rva);
    if (!at) {
      throw corrupt(r_.name(), "its " + what + " (RVA 0x" + hex(rva) +
                                   ") is not inside any section's file data");
    }
    return at->first;
  }

  std::string nameAt(uint64_t rva, const std::string& what) const {
    auto at = map(rva);
    if (!at) {
      throw corrupt(r_.name(), "a name in its " + what + " (RVA 0x" + hex(rva) +
                                   ") is not inside any section's file data");
    }
    return r_.string(at->first, at->second, what);
  }

  static std::string hex(uint64_t value) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    do {
      out.insert(out.begin(), digits[value & 0xf]);
      value >>= 4;
    } while (value != 0);
    return out;
  }

  void readExports(BinaryImage& image) const {
    uint32_t rva = directoryRva(kExportDirectory);
    if (rva == 0) return;
    const std::string what = "export directory";
    uint64_t dir = mapOrThrow(rva, what);
    r_.require(dir, kExportDirectorySize, what);
    uint32_t nameRva = r_.u32(dir + 12, what);
    uint32_t nameCount = r_.u32(dir + 24, what);
    uint32_t namesRva = r_.u32(dir + 32, what);
    if (nameRva != 0) image.soname = nameAt(nameRva, what);
    readOrdinalOnlyExports(image, dir, nameCount);
    if (nameCount == 0) return;
    uint64_t names = mapOrThrow(namesRva, "export name table");
    r_.require(names, uint64_t{nameCount} * 4, "export name table");
    for (uint64_t i = 0; i < nameCount; ++i) {
      image.exports.push_back(nameAt(r_.u32(names + i * 4, "export name table"), what));
    }
    sortUnique(image.exports);
  }

  // The export address table's entries that no name points at: functions exported by number
  // only. Ordinals are 16-bit, so a table claiming more than 65536 entries is corrupt.
  void readOrdinalOnlyExports(BinaryImage& image, uint64_t dir, uint32_t nameCount) const {
    const std::string what = "export directory";
    uint32_t base = r_.u32(dir + 16, what);
    uint32_t functionCount = r_.u32(dir + 20, what);
    if (functionCount == 0) return;
    if (functionCount > 65536) {
      throw Error(ErrorKind::BadConfiguration,
                  r_.name() + " is corrupt: its export directory claims " + std::to_string(functionCount) +
                      " functions, more than 16-bit ordinals can number");
    }
    // No table where the count says there are entries: nothing to list (images built by
    // tools that fill only the name table exist; a loader would find no function either).
    uint32_t functionsRva = r_.u32(dir + 28, what);
    uint32_t ordinalsRva = r_.u32(dir + 36, what);
    if (functionsRva == 0 || (nameCount != 0 && ordinalsRva == 0)) return;
    uint64_t functions = mapOrThrow(functionsRva, "export address table");
    r_.require(functions, uint64_t{functionCount} * 4, "export address table");
    std::vector<bool> named(functionCount, false);
    if (nameCount != 0) {
      uint64_t ordinals = mapOrThrow(ordinalsRva, "export ordinal table");
      r_.require(ordinals, uint64_t{nameCount} * 2, "export ordinal table");
      for (uint64_t i = 0; i < nameCount; ++i) {
        uint16_t index = r_.u16(ordinals + i * 2, "export ordinal table");
        if (index < functionCount) named[index] = true;
      }
    }
    for (uint32_t i = 0; i < functionCount; ++i) {
      if (!named[i] && r_.u32(functions + uint64_t{i} * 4, "export address table") != 0) {
        image.ordinalOnlyExports.push_back(base + i);
      }
    }
  }

  // Import and delay-import descriptor tables: fixed-size entries, the DLL name's RVA at
  // `nameField`, ended by an all-zero entry.
  void readImports(std::vector<std::string>& out, uint32_t directory, uint64_t descriptorSize,
                   uint64_t nameField, const std::string& what) const {
    uint32_t rva = directoryRva(directory);
    if (rva == 0) return;
    uint64_t table = mapOrThrow(rva, what);
    for (uint64_t i = 0;; ++i) {
      if (i == kMaxDescriptors) {
        throw corrupt(r_.name(), "its " + what + " has no terminating entry");
      }
      uint64_t d = table + i * descriptorSize;
      r_.require(d, descriptorSize, what);
      bool empty = true;
      for (uint64_t b = 0; b < descriptorSize; b += 4) empty = empty && r_.u32(d + b, what) == 0;
      if (empty) return;
      uint64_t name = r_.u32(d + nameField, what);
      // Old (Visual C++ 6) delay-load descriptors hold addresses, not RVAs: attribute bit 0
      // clear means "subtract the image base".
      if (directory == kDelayImportDirectory && (r_.u32(d, what) & 1) == 0) {
        if (name < imageBase_) throw corrupt(r_.name(), "a delay-load DLL name is below the image base");
        name -= imageBase_;
      }
      out.push_back(nameAt(name, what));
    }
  }

  const ByteReader& r_;
  std::vector<PeSection> sections_;
  uint64_t imageBase_ = 0;
  uint64_t sizeOfHeaders_ = 0;
  uint64_t directories_ = 0;
  uint64_t directoryLimit_ = 0;
  uint32_t directoryCount_ = 0;
};

}  // namespace

const char* binaryKindName(BinaryKind kind) {
  switch (kind) {
    case BinaryKind::SharedLibrary: return "shared library";
    case BinaryKind::Executable: return "executable";
    case BinaryKind::Other: return "other";
  }
  return "other";
}

bool BinaryImage::exportsComponentEntry() const {
  return std::binary_search(exports.begin(), exports.end(),
                            std::string(BITBRIDGE_COMPONENT_ENTRY_NAME));
}

BinaryImage parseBinaryImage(const uint8_t* bytes, size_t size, const std::string& name) {
  BinaryImage image;
  // The header reader validates magic, class, data encoding and the PE headers' basics.
  image.header = inspectBinaryBytes(bytes, size, name);
  ByteReader reader(bytes, size, name);
  if (image.header.format == BinaryFormat::Elf) {
    ElfParser(reader, image.header.bits == 64).parse(image);
  } else {
    PeParser(reader).parse(image);
  }
  return image;
}

BinaryImage readBinaryImage(const std::string& path) {
  // The header reader's checks first: they name a missing file, a directory or a script.
  BinaryInfo header = inspectBinary(path);
  std::ifstream file(path, std::ios::binary);
  file.seekg(0, std::ios::end);
  std::streamoff end = file.tellg();
  if (!file || end < 0) {
    throw Error(ErrorKind::NotFound, "cannot read " + path, "check that the file is readable");
  }
  if (static_cast<uint64_t>(end) > kMaxImageBytes) {
    throw Error(ErrorKind::BadConfiguration,
                path + " is " + header.description + " of " + std::to_string(end) +
                    " bytes, larger than the " + std::to_string(kMaxImageBytes >> 20) +
                    " MiB bitbridge reads to list exports and dependencies",
                "inspect a smaller library, or use dumpbin/objdump for this one");
  }
  std::vector<uint8_t> bytes(static_cast<size_t>(end));
  file.seekg(0);
  file.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (static_cast<size_t>(file.gcount()) != bytes.size()) {
    throw Error(ErrorKind::NotFound, "reading " + path + " failed",
                "was the file changed or removed while it was being inspected?");
  }
  return parseBinaryImage(bytes.data(), bytes.size(), path);
}

}  // namespace bitbridge
