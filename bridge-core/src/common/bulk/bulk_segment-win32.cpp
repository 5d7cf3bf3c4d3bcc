// Windows bulk segments: a named, pagefile-backed file mapping, the object Boost.Interprocess's
// windows_shared_memory wraps, made here with the Win32 calls directly because that class takes
// its size as size_t and a 32-bit client must be able to create a segment over 4 GiB for a
// 64-bit host. Same semantics: the memory is gone when the last handle and view close, so
// nothing can be left behind by a crash (removeName() and removeStaleBulkNames() have nothing to
// do). The layout ([header page | data], bulk_layout.h) is the same as on Linux, fixed-width.
//
// Sections cannot shrink once created, so the POSIX truncation re-check has no equivalent: the
// size validated at open() holds for the segment's life.
#include <windows.h>
#include <bcrypt.h>

#include <cstring>

#include "common/platform/handle-win32.h"

#include "bitbridge/error.h"
#include "common/bulk/bulk_segment.h"
#include "common/platform/text-win32.h"
#include "wire/bulk_layout.h"

namespace bitbridge {
namespace {

uint64_t randomNonZero() {
  uint64_t value = 0;
  while (value == 0) {
    if (!BCRYPT_SUCCESS(::BCryptGenRandom(nullptr, reinterpret_cast<PUCHAR>(&value), sizeof(value),
                                          BCRYPT_USE_SYSTEM_PREFERRED_RNG))) {
      throw Error(ErrorKind::BadConfiguration, "the system random number generator failed");
    }
  }
  return value;
}

std::string sizeText(uint64_t bytes) {
  return std::to_string(bytes) + " bytes (" + std::to_string(bytes >> 20) + " MiB)";
}

uint64_t allocationGranularity() {
  SYSTEM_INFO info{};
  ::GetSystemInfo(&info);
  return info.dwAllocationGranularity;
}

// One MapViewOfFile; unmapped when the last BulkView using it goes.
struct MappedView {
  void* base = nullptr;
  ~MappedView() {
    if (base != nullptr) ::UnmapViewOfFile(base);
  }
};

// Maps [offset, offset + length) of `section`; MapViewOfFile wants the offset aligned to the
// allocation granularity (64 KiB), so the view starts earlier and the pointer is adjusted.
std::pair<std::shared_ptr<MappedView>, kj::byte*> mapRange(HANDLE section, DWORD access,
                                                           uint64_t offset, uint64_t length,
                                                           const std::string& what) {
  uint64_t granularity = allocationGranularity();
  uint64_t aligned = offset - offset % granularity;
  uint64_t span = length + (offset - aligned);
  if (span > SIZE_MAX) {
    throw Error(ErrorKind::BadConfiguration,
                what + ": " + sizeText(length) + " cannot be mapped in a " +
                    std::to_string(sizeof(void*) * 8) + "-bit process",
                "stream through it with forEachWindow(), or map a smaller range");
  }
  auto view = std::make_shared<MappedView>();
  view->base = ::MapViewOfFile(section, access, static_cast<DWORD>(aligned >> 32),
                               static_cast<DWORD>(aligned & 0xFFFFFFFFu), static_cast<SIZE_T>(span));
  if (view->base == nullptr) {
    throw Error(ErrorKind::BadConfiguration,
                what + ": mapping " + sizeText(length) + " failed: " + lastWin32ErrorText(),
                "the address space may be exhausted; use smaller windows");
  }
  return {view, static_cast<kj::byte*>(view->base) + (offset - aligned)};
}

class Win32BulkSegment final : public BulkSegment {
 public:
  Win32BulkSegment(UniqueHandle section, std::string name, const BulkSegmentHeader& header,
                   const BulkOptions& options)
      : BulkSegment(options.windowBytes),
        section_(kj::mv(section)),
        name_(std::move(name)),
        id_(header.segmentId),
        dataBytes_(header.dataBytes) {
    // As on Linux: a 64-bit process maps the whole data area once (views are lazy); a 32-bit
    // one too when it fits the window, else it maps per view.
    bool whole = sizeof(void*) == 8 || dataBytes_ <= windowBytes_;
    if (whole && dataBytes_ > 0) {
      auto mapped = mapRange(section_.get(), FILE_MAP_ALL_ACCESS, kBulkHeaderBytes, dataBytes_,
                             "bulk segment " + name_);
      whole_ = mapped.first;
      wholeData_ = mapped.second;
    }
  }

  const std::string& name() const override { return name_; }
  uint64_t id() const override { return id_; }
  uint64_t dataBytes() const override { return dataBytes_; }
  void removeName() override {}  // a section's name goes with its last handle

  BulkView mapView(uint64_t offset, uint64_t length, uint64_t maxBytes,
                   const std::string& what) override {
    checkBulkRange(offset, length, dataBytes_, what);
    if (length == 0) return BulkView();
    if (whole_) return BulkView(whole_, wholeData_ + offset, static_cast<size_t>(length));
    if (length > maxBytes) {
      throw Error(ErrorKind::BadConfiguration,
                  what + ": a view of " + sizeText(length) + " does not fit this " +
                      std::to_string(sizeof(void*) * 8) + "-bit process's window of " +
                      sizeText(maxBytes),
                  "stream through it with forEachWindow(), or map a smaller range");
    }
    auto mapped = mapRange(section_.get(), FILE_MAP_ALL_ACCESS, kBulkHeaderBytes + offset, length, what);
    return BulkView(mapped.first, mapped.second, static_cast<size_t>(length));
  }

 private:
  UniqueHandle section_;
  std::string name_;
  uint64_t id_;
  uint64_t dataBytes_;
  std::shared_ptr<MappedView> whole_;
  kj::byte* wholeData_ = nullptr;
};

}  // namespace

std::shared_ptr<BulkSegment> BulkSegment::create(uint64_t dataBytes, const BulkOptions& options) {
  if (dataBytes > (uint64_t{1} << 62)) {
    throw Error(ErrorKind::BadConfiguration, "bulk buffer of " + sizeText(dataBytes) + " requested");
  }
  char name[64];
  std::snprintf(name, sizeof(name), "%s%lu-%016llx", kBulkNamePrefix,
                static_cast<unsigned long>(::GetCurrentProcessId()),
                static_cast<unsigned long long>(randomNonZero()));
  uint64_t sectionBytes = kBulkHeaderBytes + dataBytes;
  // SEC_COMMIT (the default) charges the whole size against the commit limit now, so running
  // out of memory is this error rather than a fault on first touch later.
  HANDLE section = ::CreateFileMappingW(INVALID_HANDLE_VALUE, nullptr, PAGE_READWRITE | SEC_COMMIT,
                                        static_cast<DWORD>(sectionBytes >> 32),
                                        static_cast<DWORD>(sectionBytes & 0xFFFFFFFFu),
                                        widen(name).c_str());
  if (section == nullptr || ::GetLastError() == ERROR_ALREADY_EXISTS) {
    std::string why = lastWin32ErrorText();
    if (section != nullptr) ::CloseHandle(section);
    throw Error(ErrorKind::BadConfiguration,
                "cannot create a shared-memory buffer of " + sizeText(dataBytes) + ": " + why,
                "free memory or enlarge the page file; a 32-bit process maps at most ~2 GiB at "
                "once (use forEachWindow)");
  }
  UniqueHandle owned(section);
  BulkSegmentHeader header{};
  std::memcpy(header.magic, kBulkMagic, sizeof(kBulkMagic));
  header.version = kBulkLayoutVersion;
  header.headerBytes = kBulkHeaderBytes;
  header.segmentId = randomNonZero();
  header.dataBytes = dataBytes;
  header.creatorPid = static_cast<uint32_t>(::GetCurrentProcessId());
  {
    auto page = mapRange(section, FILE_MAP_ALL_ACCESS, 0, kBulkHeaderBytes, name);
    std::memcpy(page.second, &header, sizeof(header));
  }
  return std::make_shared<Win32BulkSegment>(kj::mv(owned), name, header, options);
}

std::shared_ptr<BulkSegment> BulkSegment::open(const std::string& name, const BulkOptions& options) {
  if (name.compare(0, std::strlen(kBulkNamePrefix), kBulkNamePrefix) != 0 ||
      name.find_first_of("/\\") != std::string::npos || name.size() > 200) {
    throw Error(ErrorKind::MalformedPeer, "'" + name + "' is not a bitbridge segment name");
  }
  HANDLE section = ::OpenFileMappingW(FILE_MAP_ALL_ACCESS, FALSE, widen(name).c_str());
  if (section == nullptr) {
    throw Error(ErrorKind::NotFound, "cannot open bulk segment " + name + ": " + lastWin32ErrorText(),
                "the client may have exited (its segments go with it) before the host opened it");
  }
  UniqueHandle owned(section);
  BulkSegmentHeader header{};
  {
    auto page = mapRange(section, FILE_MAP_READ, 0, kBulkHeaderBytes, "bulk segment " + name);
    std::memcpy(&header, page.second, sizeof(header));
  }
  // The section's size, to check the header's claim against: a whole-section view's region
  // size (VirtualQuery; rounded up to pages). A 32-bit process may be unable to map a large
  // section whole; then the claim is checked by mapping its last byte.
  MEMORY_BASIC_INFORMATION info{};
  uint64_t sectionBytes = 0;
  {
    void* all = ::MapViewOfFile(section, FILE_MAP_READ, 0, 0, 0);
    if (all != nullptr) {
      if (::VirtualQuery(all, &info, sizeof(info)) != 0) sectionBytes = info.RegionSize;
      ::UnmapViewOfFile(all);
    } else if (sizeof(void*) == 4) {
      sectionBytes = header.headerBytes + header.dataBytes;
      auto lastPage = header.dataBytes > 0 ? header.dataBytes - 1 : 0;
      try {
        mapRange(section, FILE_MAP_READ, kBulkHeaderBytes + lastPage, 1, name);
      } catch (const Error&) {
        sectionBytes = 0;
      }
    }
  }
  validateBulkHeader(header, sectionBytes, name);
  return std::make_shared<Win32BulkSegment>(kj::mv(owned), name, header, options);
}

int removeStaleBulkNames() { return 0; }  // sections vanish with their last handle

}  // namespace bitbridge
