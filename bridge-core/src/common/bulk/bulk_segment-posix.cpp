// POSIX bulk segments on Boost.Interprocess shared_memory_object + mapped_region (plain
// objects, not managed segments: a managed segment's offset_ptr/size types follow the pointer
// width, so a 32-bit and a 64-bit process would disagree about its layout).
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include <boost/interprocess/exceptions.hpp>
#include <boost/interprocess/mapped_region.hpp>
#include <boost/interprocess/shared_memory_object.hpp>

#include "bitbridge/error.h"
#include "common/bulk/bulk_segment.h"
#include "common/platform/system_error_text.h"
#include "wire/bulk_layout.h"

namespace bip = boost::interprocess;

namespace bitbridge {
namespace {

uint64_t randomNonZero(std::random_device& device) {
  uint64_t value = 0;
  while (value == 0) value = (uint64_t{device()} << 32) ^ device();
  return value;
}

std::string randomName() {
  std::random_device device;
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%s%d-%016llx", kBulkNamePrefix, int(::getpid()),
                static_cast<unsigned long long>(randomNonZero(device)));
  return buffer;
}

std::string sizeText(uint64_t bytes) {
  return std::to_string(bytes) + " bytes (" + std::to_string(bytes >> 20) + " MiB)";
}

class PosixBulkSegment final : public BulkSegment {
 public:
  PosixBulkSegment(bip::shared_memory_object object, std::string name, bool ownsName,
                   const BulkSegmentHeader& header, const BulkOptions& options)
      : BulkSegment(options.windowBytes),
        object_(std::move(object)),
        name_(std::move(name)),
        ownsName_(ownsName),
        id_(header.segmentId),
        dataBytes_(header.dataBytes) {
    // A 64-bit process maps the whole data area once (mmap is lazy: no cost for untouched
    // pages); a 32-bit one too when it fits the window, else it maps per view.
    bool whole = sizeof(void*) == 8 || dataBytes_ <= windowBytes_;
    if (whole && dataBytes_ > 0) {
      whole_ = std::make_shared<bip::mapped_region>(object_, bip::read_write, kBulkHeaderBytes,
                                                    static_cast<size_t>(dataBytes_));
    }
  }

  ~PosixBulkSegment() override {
    if (ownsName_) removeName();
  }

  const std::string& name() const override { return name_; }
  uint64_t id() const override { return id_; }
  uint64_t dataBytes() const override { return dataBytes_; }

  void removeName() override {
    if (!nameRemoved_) {
      bip::shared_memory_object::remove(name_.c_str());
      nameRemoved_ = true;
    }
  }

  BulkView mapView(uint64_t offset, uint64_t length, uint64_t maxBytes,
                   const std::string& what) override {
    checkBulkRange(offset, length, dataBytes_, what);
    requireNotTruncated();
    if (length == 0) return BulkView();
    if (whole_) {
      auto* base = static_cast<kj::byte*>(whole_->get_address());
      return BulkView(whole_, base + offset, static_cast<size_t>(length));
    }
    if (length > maxBytes || length > SIZE_MAX) {
      throw Error(ErrorKind::BadConfiguration,
                  what + ": a view of " + sizeText(length) + " does not fit this " +
                      std::to_string(sizeof(void*) * 8) + "-bit process's window of " +
                      sizeText(maxBytes),
                  "stream through it with forEachWindow(), or map a smaller range");
    }
    try {
      auto region = std::make_shared<bip::mapped_region>(
          object_, bip::read_write, static_cast<bip::offset_t>(kBulkHeaderBytes + offset),
          static_cast<size_t>(length));
      auto* data = static_cast<kj::byte*>(region->get_address());
      return BulkView(std::move(region), data, static_cast<size_t>(length));
    } catch (const bip::interprocess_exception& e) {
      throw Error(ErrorKind::BadConfiguration,
                  what + ": mapping " + sizeText(length) + " failed: " + e.what(),
                  "the address space may be exhausted; use smaller windows");
    }
  }

 private:
  // A peer can shrink the object (ftruncate) after we validated it; touching pages past the
  // new end would raise SIGBUS. Checking before every view catches that before any access.
  // Remaining risk: a shrink *during* an access; see docs/architecture.md (bulk data).
  void requireNotTruncated() {
    bip::offset_t size = 0;
    if (!object_.get_size(size) ||
        static_cast<uint64_t>(size) < kBulkHeaderBytes + dataBytes_) {
      throw Error(ErrorKind::MalformedPeer,
                  "bulk segment " + name_ + " shrank to " + std::to_string(size) +
                      " bytes after it was shared (expected " +
                      std::to_string(kBulkHeaderBytes + dataBytes_) + "); refusing to map it",
                  "the peer truncated shared memory it had handed over");
    }
  }

  bip::shared_memory_object object_;
  std::string name_;
  bool ownsName_;
  bool nameRemoved_ = false;
  uint64_t id_;
  uint64_t dataBytes_;
  std::shared_ptr<bip::mapped_region> whole_;
};

}  // namespace

std::shared_ptr<BulkSegment> BulkSegment::create(uint64_t dataBytes, const BulkOptions& options) {
  if (dataBytes > (uint64_t{1} << 62)) {
    throw Error(ErrorKind::BadConfiguration, "bulk buffer of " + sizeText(dataBytes) + " requested");
  }
  std::string name = randomName();
  try {
    bip::shared_memory_object object(bip::create_only, name.c_str(), bip::read_write,
                                     bip::permissions(0600));
    // From here on the name exists: make sure every failure removes it.
    struct RemoveOnFailure {
      const std::string& name;
      bool armed = true;
      ~RemoveOnFailure() {
        if (armed) bip::shared_memory_object::remove(name.c_str());
      }
    } guard{name};
    uint64_t fileBytes = kBulkHeaderBytes + dataBytes;
    object.truncate(static_cast<bip::offset_t>(fileBytes));
    // Reserve the pages now: tmpfs would otherwise hand out pages lazily and a full /dev/shm
    // would surface later as SIGBUS in whichever process first touched a page.
    int fd = object.get_mapping_handle().handle;
    if (int rc = ::posix_fallocate(fd, 0, static_cast<off_t>(fileBytes)); rc != 0) {
      throw Error(ErrorKind::BadConfiguration,
                  "cannot reserve " + sizeText(dataBytes) + " of shared memory: " +
                      errnoText(rc),
                  "free memory or space in /dev/shm, or raise its size "
                  "(mount -o remount,size=<bytes> /dev/shm)");
    }
    BulkSegmentHeader header{};
    std::memcpy(header.magic, kBulkMagic, sizeof(kBulkMagic));
    header.version = kBulkLayoutVersion;
    header.headerBytes = kBulkHeaderBytes;
    std::random_device device;
    header.segmentId = randomNonZero(device);
    header.dataBytes = dataBytes;
    header.creatorPid = static_cast<uint32_t>(::getpid());
    {
      bip::mapped_region page(object, bip::read_write, 0, kBulkHeaderBytes);
      std::memcpy(page.get_address(), &header, sizeof(header));
    }
    auto segment = std::make_shared<PosixBulkSegment>(std::move(object), name, true, header, options);
    guard.armed = false;  // the segment object owns the name now
    return segment;
  } catch (const bip::interprocess_exception& e) {
    throw Error(ErrorKind::BadConfiguration,
                "cannot create a shared-memory buffer of " + sizeText(dataBytes) + ": " + e.what(),
                "check that /dev/shm is mounted, writable and large enough");
  }
}

std::shared_ptr<BulkSegment> BulkSegment::open(const std::string& name, const BulkOptions& options) {
  if (name.compare(0, std::strlen(kBulkNamePrefix), kBulkNamePrefix) != 0 ||
      name.find('/') != std::string::npos || name.size() > 200) {
    throw Error(ErrorKind::MalformedPeer, "'" + name + "' is not a bitbridge segment name");
  }
  try {
    bip::shared_memory_object object(bip::open_only, name.c_str(), bip::read_write);
    // The name has done its job: from now on only the two open descriptors keep it alive.
    bip::shared_memory_object::remove(name.c_str());
    bip::offset_t fileBytes = 0;
    object.get_size(fileBytes);
    BulkSegmentHeader header{};
    if (static_cast<uint64_t>(fileBytes) >= kBulkHeaderBytes) {
      bip::mapped_region page(object, bip::read_only, 0, kBulkHeaderBytes);
      std::memcpy(&header, page.get_address(), sizeof(header));
    }
    validateBulkHeader(header, static_cast<uint64_t>(fileBytes), name);
    return std::make_shared<PosixBulkSegment>(std::move(object), name, false, header, options);
  } catch (const bip::interprocess_exception& e) {
    throw Error(ErrorKind::NotFound, "cannot open bulk segment " + name + ": " + e.what(),
                "the client may have exited or removed it before the host opened it");
  }
}

int removeStaleBulkNames() {
  DIR* dir = ::opendir("/dev/shm");
  if (dir == nullptr) return 0;
  int removed = 0;
  const size_t prefix = std::strlen(kBulkNamePrefix);
  while (dirent* entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    if (name.compare(0, prefix, kBulkNamePrefix) != 0) continue;
    long pid = std::strtol(name.c_str() + prefix, nullptr, 10);
    if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
      if (bip::shared_memory_object::remove(name.c_str())) ++removed;
    }
  }
  ::closedir(dir);
  return removed;
}

}  // namespace bitbridge
