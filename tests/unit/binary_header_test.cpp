// Unit tests for the ELF/PE header reader: synthetic images of every kind bitbridge must tell
// apart, every truncation of them, corrupt fields, and real files.
//
// Prefixes and mutations are copied into exactly-sized heap buffers so that AddressSanitizer
// catches any read past the end.
#include "bitbridge/binary_header.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "bitbridge/arch.h"
#include "bitbridge/error.h"
#include "support/synthetic_binaries.h"

#ifdef __linux__
#include <unistd.h>

#include <cstdlib>  // mkstemp
#endif

namespace bitbridge {
namespace {

using test::Bytes;
using test::dotnetSpec;
using test::elfImage;
using test::k32BitPreferred;
using test::k32BitRequired;
using test::kIlOnly;
using test::pe64Spec;
using test::peImage;
using test::PeSpec;
using test::put16;
using test::put32;

// Parses a copy of the first `size` bytes held in a buffer of exactly that size.
BinaryInfo inspectPrefix(const Bytes& image, size_t size, const std::string& name = "img") {
  std::unique_ptr<uint8_t[]> copy(new uint8_t[size == 0 ? 1 : size]);
  if (size != 0) std::memcpy(copy.get(), image.data(), size);
  return inspectBinaryBytes(size == 0 ? nullptr : copy.get(), size, name);
}

BinaryInfo inspect(const Bytes& image, const std::string& name = "img") {
  return inspectPrefix(image, image.size(), name);
}

// Runs `f`, which must throw Error of `kind`; returns it for further checks.
template <typename F>
Error expectError(F&& f, ErrorKind kind) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), kind) << e.message();
    EXPECT_FALSE(e.message().empty());
    return e;
  }
  ADD_FAILURE() << "expected bitbridge::Error";
  return Error(ErrorKind::Remote, "no error was thrown");
}

Error expectBad(const Bytes& image, const std::string& name = "img") {
  return expectError([&] { inspect(image, name); }, ErrorKind::BadConfiguration);
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// Every prefix must parse or throw Error; prefixes shorter than `minimum` must throw, longer
// ones must give the same result as the whole image.
void checkAllPrefixes(const Bytes& image, size_t minimum) {
  BinaryInfo full = inspect(image);
  for (size_t n = 0; n <= image.size(); ++n) {
    SCOPED_TRACE("prefix length " + std::to_string(n));
    if (n < minimum) {
      Error e = expectError([&] { inspectPrefix(image, n); }, ErrorKind::BadConfiguration);
      EXPECT_TRUE(contains(e.message(), "img")) << e.message();
    } else {
      BinaryInfo info = inspectPrefix(image, n);
      EXPECT_EQ(info.arch, full.arch);
      EXPECT_EQ(info.description, full.description);
      EXPECT_EQ(info.dotnetAnyCpu, full.dotnetAnyCpu);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// ELF

TEST(BinaryHeaderElf, Elf32I386IsX86) {
  BinaryInfo info = inspect(elfImage(1, 3));
  EXPECT_EQ(info.format, BinaryFormat::Elf);
  EXPECT_EQ(info.arch, Arch::x86);
  EXPECT_EQ(info.bits, 32u);
  EXPECT_EQ(info.machine, 3);
  EXPECT_EQ(info.description, "ELF 32-bit Intel 80386");
  EXPECT_FALSE(info.dotnet);
}

TEST(BinaryHeaderElf, Elf64X86_64IsX86_64) {
  BinaryInfo info = inspect(elfImage(2, 62));
  EXPECT_EQ(info.format, BinaryFormat::Elf);
  EXPECT_EQ(info.arch, Arch::x86_64);
  EXPECT_EQ(info.bits, 64u);
  EXPECT_EQ(info.machine, 62);
  EXPECT_EQ(info.description, "ELF 64-bit x86-64");
}

TEST(BinaryHeaderElf, X32IsNeitherArch) {
  BinaryInfo info = inspect(elfImage(1, 62));
  EXPECT_FALSE(info.arch.has_value());
  EXPECT_EQ(info.bits, 32u);
  EXPECT_EQ(info.description, "ELF 32-bit x86-64 (x32 ABI)");
}

TEST(BinaryHeaderElf, Elf64WithI386MachineIsNeitherArch) {
  BinaryInfo info = inspect(elfImage(2, 3));
  EXPECT_FALSE(info.arch.has_value());
  EXPECT_EQ(info.bits, 64u);
}

TEST(BinaryHeaderElf, OtherMachinesAreNamed) {
  BinaryInfo aarch64 = inspect(elfImage(2, 183));
  EXPECT_FALSE(aarch64.arch.has_value());
  EXPECT_EQ(aarch64.machine, 183);
  EXPECT_EQ(aarch64.description, "ELF 64-bit AArch64");

  BinaryInfo arm = inspect(elfImage(1, 40));
  EXPECT_FALSE(arm.arch.has_value());
  EXPECT_EQ(arm.description, "ELF 32-bit ARM");

  BinaryInfo unknown = inspect(elfImage(2, 0x1234));
  EXPECT_FALSE(unknown.arch.has_value());
  EXPECT_EQ(unknown.machine, 0x1234);
  EXPECT_TRUE(contains(unknown.description, "machine 0x1234")) << unknown.description;
}

TEST(BinaryHeaderElf, BigEndianIsRejected) {
  Error e = expectBad(elfImage(2, 21, /*data=*/2), "libppc.so");
  EXPECT_TRUE(contains(e.message(), "libppc.so")) << e.message();
  EXPECT_TRUE(contains(e.message(), "big-endian")) << e.message();
  EXPECT_TRUE(contains(e.message(), "not supported")) << e.message();
  EXPECT_FALSE(e.hint().empty());
}

TEST(BinaryHeaderElf, InvalidClassAndEncodingAreRejected) {
  Bytes noClass = elfImage(2, 62);
  noClass[4] = 0;
  expectBad(noClass);
  Bytes badClass = elfImage(2, 62);
  badClass[4] = 7;
  expectBad(badClass);
  Bytes badData = elfImage(2, 62);
  badData[5] = 0;
  expectBad(badData);
}

TEST(BinaryHeaderElf, TruncatedHeaderNamesSizes) {
  Bytes image = elfImage(2, 62);
  Error e = expectError([&] { inspectPrefix(image, 7, "libfoo.so"); },
                        ErrorKind::BadConfiguration);
  EXPECT_EQ(e.message(), "libfoo.so is truncated: ELF header needs 20 bytes, file has 7");
  EXPECT_FALSE(e.hint().empty());
}

TEST(BinaryHeaderElf, EveryPrefixParsesOrThrows) {
  checkAllPrefixes(elfImage(1, 3), 20);
  checkAllPrefixes(elfImage(2, 62), 20);
  checkAllPrefixes(elfImage(1, 62), 20);
  checkAllPrefixes(elfImage(2, 183), 20);
}

// ---------------------------------------------------------------------------------------------
// PE

TEST(BinaryHeaderPe, Pe32I386IsX86) {
  BinaryInfo info = inspect(peImage(PeSpec{}));
  EXPECT_EQ(info.format, BinaryFormat::Pe);
  EXPECT_EQ(info.arch, Arch::x86);
  EXPECT_EQ(info.bits, 32u);
  EXPECT_EQ(info.machine, 0x14c);
  EXPECT_EQ(info.description, "PE32 Intel 80386");
  EXPECT_FALSE(info.dotnet);
  EXPECT_FALSE(info.dotnetAnyCpu);
}

TEST(BinaryHeaderPe, Pe32PlusAmd64IsX86_64) {
  BinaryInfo info = inspect(peImage(pe64Spec()));
  EXPECT_EQ(info.format, BinaryFormat::Pe);
  EXPECT_EQ(info.arch, Arch::x86_64);
  EXPECT_EQ(info.bits, 64u);
  EXPECT_EQ(info.machine, 0x8664);
  EXPECT_EQ(info.description, "PE32+ x86-64 (AMD64)");
  EXPECT_FALSE(info.dotnet);
}

TEST(BinaryHeaderPe, OtherMachinesAreNamed) {
  PeSpec arm64 = pe64Spec();
  arm64.machine = 0xaa64;
  BinaryInfo a = inspect(peImage(arm64));
  EXPECT_FALSE(a.arch.has_value());
  EXPECT_EQ(a.description, "PE32+ ARM64");

  PeSpec armnt;
  armnt.machine = 0x1c4;
  BinaryInfo t = inspect(peImage(armnt));
  EXPECT_FALSE(t.arch.has_value());
  EXPECT_TRUE(contains(t.description, "ARMNT")) << t.description;

  PeSpec unknown;
  unknown.machine = 0x5032;
  BinaryInfo u = inspect(peImage(unknown));
  EXPECT_FALSE(u.arch.has_value());
  EXPECT_TRUE(contains(u.description, "machine 0x5032")) << u.description;
}

TEST(BinaryHeaderPe, MachineAndMagicMustAgree) {
  PeSpec i386Plus = pe64Spec();
  i386Plus.machine = 0x14c;
  EXPECT_FALSE(inspect(peImage(i386Plus)).arch.has_value());
  PeSpec amd64Pe32;
  amd64Pe32.machine = 0x8664;
  EXPECT_FALSE(inspect(peImage(amd64Pe32)).arch.has_value());
}

TEST(BinaryHeaderPe, DotnetAnyCpu) {
  BinaryInfo info = inspect(peImage(dotnetSpec(kIlOnly)));
  EXPECT_TRUE(info.dotnet);
  EXPECT_TRUE(info.dotnetAnyCpu);
  EXPECT_FALSE(info.arch.has_value());
  EXPECT_EQ(info.bits, 32u);
  EXPECT_EQ(info.machine, 0x14c);
  EXPECT_EQ(info.description, "PE32 .NET Any CPU");
}

TEST(BinaryHeaderPe, DotnetAnyCpu32BitPreferredIsStillAnyCpu) {
  BinaryInfo info = inspect(peImage(dotnetSpec(kIlOnly | k32BitPreferred)));
  EXPECT_TRUE(info.dotnetAnyCpu);
  EXPECT_FALSE(info.arch.has_value());
  EXPECT_TRUE(contains(info.description, "PE32 .NET Any CPU")) << info.description;
}

TEST(BinaryHeaderPe, Dotnet32BitRequiredIsX86) {
  BinaryInfo info = inspect(peImage(dotnetSpec(kIlOnly | k32BitRequired)));
  EXPECT_TRUE(info.dotnet);
  EXPECT_FALSE(info.dotnetAnyCpu);
  EXPECT_EQ(info.arch, Arch::x86);
  EXPECT_EQ(info.description, "PE32 .NET (x86 only)");
}

TEST(BinaryHeaderPe, DotnetMixedModeIsX86) {
  BinaryInfo info = inspect(peImage(dotnetSpec(0)));
  EXPECT_TRUE(info.dotnet);
  EXPECT_FALSE(info.dotnetAnyCpu);
  EXPECT_EQ(info.arch, Arch::x86);
}

TEST(BinaryHeaderPe, Dotnet64IsX86_64) {
  PeSpec s = pe64Spec();
  s.clr = true;
  s.corFlags = kIlOnly;
  BinaryInfo info = inspect(peImage(s));
  EXPECT_TRUE(info.dotnet);
  EXPECT_FALSE(info.dotnetAnyCpu);
  EXPECT_EQ(info.arch, Arch::x86_64);
  EXPECT_EQ(info.bits, 64u);
  EXPECT_TRUE(contains(info.description, "PE32+ .NET")) << info.description;
}

TEST(BinaryHeaderPe, ClrDirectoryBeyondNumberOfRvaAndSizesIsIgnored) {
  PeSpec s = dotnetSpec(kIlOnly);
  s.numberOfRvaAndSizes = 14;
  BinaryInfo info = inspect(peImage(s));
  EXPECT_FALSE(info.dotnet);
  EXPECT_EQ(info.arch, Arch::x86);
}

TEST(BinaryHeaderPe, ClrDirectoryBeyondOptionalHeaderIsIgnored) {
  PeSpec s = dotnetSpec(kIlOnly);
  s.sizeOfOptionalHeader = 96 + 14 * 8;  // directories 0..13 only
  BinaryInfo info = inspect(peImage(s));
  EXPECT_FALSE(info.dotnet);
  EXPECT_EQ(info.arch, Arch::x86);
}

TEST(BinaryHeaderPe, ClrRvaNotInAnySection) {
  PeSpec s = dotnetSpec(kIlOnly);
  s.clrRva = 0x9000;
  Error e = expectBad(peImage(s), "Legacy.dll");
  EXPECT_TRUE(contains(e.message(), "Legacy.dll")) << e.message();
  EXPECT_TRUE(contains(e.message(), "CLR")) << e.message();
}

TEST(BinaryHeaderPe, ClrRvaBelowWrappingSectionIsNotMatched) {
  // VirtualAddress + SizeOfRawData wraps past 2^32; a naive "rva < va + size" would accept a
  // small RVA and compute a huge offset.
  PeSpec s = dotnetSpec(kIlOnly);
  s.sectionVirtualAddress = 0xffffff00u;
  s.clrRva = 0x10;
  expectBad(peImage(s));
}

TEST(BinaryHeaderPe, ClrHeaderRunningPastSectionIsRejected) {
  PeSpec s = dotnetSpec(kIlOnly);
  s.clrRva = 0x2000 + 0x200 - 8;  // inside .text, but the 20 bytes we need are not
  expectBad(peImage(s));
}

TEST(BinaryHeaderPe, RawPointerPastEndOfFileIsTruncation) {
  PeSpec s = dotnetSpec(kIlOnly);
  s.sectionRawPointer = 0xfffffff0u;
  Error e = expectBad(peImage(s));
  EXPECT_TRUE(contains(e.message(), "truncated")) << e.message();
}

TEST(BinaryHeaderPe, LfanewPastEnd) {
  Bytes image = peImage(PeSpec{});
  for (uint32_t lfanew : {uint32_t{0x400}, uint32_t{0x10000}, uint32_t{0xfffffff0u},
                          std::numeric_limits<uint32_t>::max(), uint32_t{0x3fe},
                          uint32_t{0x3f0}}) {
    SCOPED_TRACE("e_lfanew " + std::to_string(lfanew));
    Bytes bad = image;
    put32(bad, 0x3c, lfanew);
    Error e = expectBad(bad, "x.dll");
    EXPECT_TRUE(contains(e.message(), "x.dll")) << e.message();
  }
}

TEST(BinaryHeaderPe, MzWithoutPeSignature) {
  Bytes image = peImage(PeSpec{});
  image[0x40] = 'N';  // a 16-bit NE executable
  Error e = expectBad(image);
  EXPECT_TRUE(contains(e.message(), "PE signature")) << e.message();
}

TEST(BinaryHeaderPe, UnknownOptionalHeaderMagic) {
  PeSpec s;
  s.magic = 0x107;  // ROM image
  s.sizeOfOptionalHeader = 224;
  Error e = expectBad(peImage(s));
  EXPECT_TRUE(contains(e.message(), "0x0107")) << e.message();
}

TEST(BinaryHeaderPe, MissingOptionalHeader) {
  PeSpec s;
  s.sizeOfOptionalHeader = 0;
  expectBad(peImage(s));
}

TEST(BinaryHeaderPe, EveryPrefixParsesOrThrows) {
  // Plain images need everything up to the CLR directory's RVA (which decides .NET-ness).
  checkAllPrefixes(peImage(PeSpec{}), 0x58 + 96 + 14 * 8 + 4);
  checkAllPrefixes(peImage(pe64Spec()), 0x58 + 112 + 14 * 8 + 4);
  // .NET images also need the section table and the CLR header's Flags.
  checkAllPrefixes(peImage(dotnetSpec(kIlOnly)), 0x200 + 8 + 20);
  checkAllPrefixes(peImage(dotnetSpec(kIlOnly | k32BitRequired)), 0x200 + 8 + 20);
  PeSpec s = pe64Spec();
  s.clr = true;
  s.corFlags = kIlOnly;
  checkAllPrefixes(peImage(s), 0x200 + 8 + 20);
}

TEST(BinaryHeaderPe, TruncatedMessagesNameTheStructure) {
  Bytes image = peImage(dotnetSpec(kIlOnly));
  Error dos = expectError([&] { inspectPrefix(image, 30, "a.dll"); },
                          ErrorKind::BadConfiguration);
  EXPECT_EQ(dos.message(), "a.dll is truncated: MZ (DOS) header needs 64 bytes, file has 30");
  Error cor = expectError([&] { inspectPrefix(image, 0x210, "a.dll"); },
                          ErrorKind::BadConfiguration);
  EXPECT_TRUE(contains(cor.message(), "CLR header")) << cor.message();
  EXPECT_TRUE(contains(cor.message(), "file has 528")) << cor.message();
}

TEST(BinaryHeaderPe, RandomMutationsNeverCrash) {
  // Deterministic: failures are reproducible. Each mutant must parse or throw Error.
  std::mt19937 rng(12345);
  const Bytes bases[] = {peImage(dotnetSpec(kIlOnly)), peImage(pe64Spec()), elfImage(2, 62)};
  for (const Bytes& base : bases) {
    for (int round = 0; round < 3000; ++round) {
      Bytes mutant = base;
      int changes = 1 + static_cast<int>(rng() % 4);
      for (int i = 0; i < changes; ++i) {
        // Favour the header bytes, where the interesting fields are.
        size_t limit = (rng() % 2 == 0) ? std::min<size_t>(mutant.size(), 0x200) : mutant.size();
        size_t at = rng() % limit;
        mutant[at] = static_cast<uint8_t>(rng());
      }
      size_t length = (rng() % 4 == 0) ? rng() % (mutant.size() + 1) : mutant.size();
      try {
        inspectPrefix(mutant, length);
      } catch (const Error&) {
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Not a binary at all

TEST(BinaryHeaderGarbage, ScriptIsNotABinary) {
  std::string text = "#!/bin/sh\necho hello\n";
  Bytes image(text.begin(), text.end());
  Error e = expectBad(image, "run.sh");
  EXPECT_EQ(e.message(), "run.sh is not an ELF or PE binary (starts with 23 21 2f 62)");
  EXPECT_TRUE(contains(e.hint(), "script")) << e.hint();
}

TEST(BinaryHeaderGarbage, LinkerScriptGetsAHint) {
  std::string text = "/* GNU ld script\n   Use the shared library.  */\nGROUP ( libc.so.6 )\n";
  Error e = expectBad(Bytes(text.begin(), text.end()), "libc.so");
  EXPECT_TRUE(contains(e.hint(), "linker script")) << e.hint();
}

TEST(BinaryHeaderGarbage, Empty) {
  Error e = expectError([] { inspectBinaryBytes(nullptr, 0, "empty.so"); },
                        ErrorKind::BadConfiguration);
  EXPECT_TRUE(contains(e.message(), "empty.so")) << e.message();
  EXPECT_TRUE(contains(e.message(), "empty")) << e.message();
}

TEST(BinaryHeaderGarbage, RandomBytes) {
  std::mt19937 rng(777);
  for (size_t size : {1u, 2u, 3u, 4u, 5u, 19u, 20u, 63u, 64u, 100u, 4096u}) {
    for (int round = 0; round < 50; ++round) {
      Bytes image(size);
      for (uint8_t& b : image) b = static_cast<uint8_t>(rng());
      // Half the time, force a magic so the parsers themselves see garbage.
      if (round % 3 == 1 && size >= 2) {
        image[0] = 'M';
        image[1] = 'Z';
      } else if (round % 3 == 2) {
        const uint8_t magic[4] = {0x7f, 'E', 'L', 'F'};
        std::memcpy(image.data(), magic, std::min<size_t>(size, 4));
      }
      try {
        inspectPrefix(image, image.size());
      } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::BadConfiguration) << e.message();
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// requireLoadableBy

TEST(BinaryHeaderLoadable, MatchingArchPasses) {
  EXPECT_NO_THROW(requireLoadableBy(inspect(elfImage(1, 3)), Arch::x86, "lib32.so"));
  EXPECT_NO_THROW(requireLoadableBy(inspect(elfImage(2, 62)), Arch::x86_64, "lib64.so"));
  EXPECT_NO_THROW(requireLoadableBy(inspect(peImage(PeSpec{})), Arch::x86, "a.dll"));
  EXPECT_NO_THROW(
      requireLoadableBy(inspect(peImage(dotnetSpec(kIlOnly | k32BitRequired))), Arch::x86,
                        "n.dll"));
}

TEST(BinaryHeaderLoadable, SixtyFourBitLibraryInThirtyTwoBitHost) {
  BinaryInfo info = inspect(elfImage(2, 62));
  Error e = expectError([&] { requireLoadableBy(info, Arch::x86, "/x/libfoo.so"); },
                        ErrorKind::WrongBitness);
  EXPECT_TRUE(contains(e.message(), "/x/libfoo.so is ELF 64-bit x86-64")) << e.message();
  EXPECT_TRUE(contains(e.message(), "bitbridge-host32")) << e.message();
  EXPECT_TRUE(contains(e.message(), "bitbridge-host64")) << e.message();
  EXPECT_TRUE(contains(e.hint(), "bitbridge-host64")) << e.hint();
}

TEST(BinaryHeaderLoadable, ThirtyTwoBitLibraryInSixtyFourBitHost) {
  BinaryInfo info = inspect(peImage(PeSpec{}));
  Error e = expectError([&] { requireLoadableBy(info, Arch::x86_64, "C:\\v\\legacy.dll"); },
                        ErrorKind::WrongBitness);
  EXPECT_TRUE(contains(e.message(), "C:\\v\\legacy.dll")) << e.message();
  EXPECT_TRUE(contains(e.message(), "PE32 Intel 80386")) << e.message();
  EXPECT_TRUE(contains(e.message(), "bitbridge-host64")) << e.message();
  EXPECT_TRUE(contains(e.hint(), "bitbridge-host32")) << e.hint();
}

TEST(BinaryHeaderLoadable, AnyCpuIsExplained) {
  BinaryInfo info = inspect(peImage(dotnetSpec(kIlOnly)));
  for (Arch host : {Arch::x86, Arch::x86_64}) {
    Error e = expectError([&] { requireLoadableBy(info, host, "Calc.dll"); },
                          ErrorKind::WrongBitness);
    EXPECT_TRUE(contains(e.message(), "Calc.dll")) << e.message();
    EXPECT_TRUE(contains(e.message(), "Any CPU")) << e.message();
    EXPECT_TRUE(contains(e.hint(), "/platform:x86")) << e.hint();
    EXPECT_TRUE(contains(e.hint(), "32BITREQ")) << e.hint();
  }
}

TEST(BinaryHeaderLoadable, UnknownMachineIsExplained) {
  BinaryInfo info = inspect(elfImage(2, 183));
  Error e = expectError([&] { requireLoadableBy(info, Arch::x86_64, "libarm.so"); },
                        ErrorKind::WrongBitness);
  EXPECT_TRUE(contains(e.message(), "libarm.so")) << e.message();
  EXPECT_TRUE(contains(e.message(), "AArch64")) << e.message();
  EXPECT_TRUE(contains(e.message(), "x86 and x86_64")) << e.message();

  BinaryInfo x32 = inspect(elfImage(1, 62));
  Error e32 = expectError([&] { requireLoadableBy(x32, Arch::x86, "libx32.so"); },
                          ErrorKind::WrongBitness);
  EXPECT_TRUE(contains(e32.message(), "x32")) << e32.message();
}

// ---------------------------------------------------------------------------------------------
// Real files

#ifdef __linux__

// A file in /tmp holding `bytes`, removed when the test ends.
class TempFile {
 public:
  explicit TempFile(const Bytes& bytes) {
    char path[] = "/tmp/bitbridge-binary-header-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) throw std::runtime_error("mkstemp failed");
    path_ = path;
    size_t written = 0;
    while (written < bytes.size()) {
      ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
      if (n <= 0) break;
      written += static_cast<size_t>(n);
    }
    ::close(fd);
    if (written != bytes.size()) throw std::runtime_error("write to temp file failed");
  }
  ~TempFile() { ::unlink(path_.c_str()); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(BinaryHeaderFile, OwnExecutableIsCurrentArch) {
  BinaryInfo info = inspectBinary("/proc/self/exe");
  EXPECT_EQ(info.format, BinaryFormat::Elf);
  EXPECT_EQ(info.arch, currentArch());
  EXPECT_EQ(info.bits, sizeof(void*) * 8);
  EXPECT_NO_THROW(requireLoadableBy(info, currentArch(), "/proc/self/exe"));
}

TEST(BinaryHeaderFile, TempFilesMatchInMemoryResults) {
  const Bytes images[] = {elfImage(1, 3), elfImage(2, 62), peImage(PeSpec{}),
                          peImage(pe64Spec()), peImage(dotnetSpec(kIlOnly)),
                          peImage(dotnetSpec(kIlOnly | k32BitRequired))};
  for (const Bytes& image : images) {
    TempFile file(image);
    BinaryInfo fromFile = inspectBinary(file.path());
    BinaryInfo fromMemory = inspect(image);
    EXPECT_EQ(fromFile.format, fromMemory.format);
    EXPECT_EQ(fromFile.arch, fromMemory.arch);
    EXPECT_EQ(fromFile.bits, fromMemory.bits);
    EXPECT_EQ(fromFile.description, fromMemory.description);
    EXPECT_EQ(fromFile.dotnetAnyCpu, fromMemory.dotnetAnyCpu);
  }
}

TEST(BinaryHeaderFile, ClrHeaderFarIntoLargeFile) {
  // The CLR header lies past the first 64 KiB, so the file reader must fetch it separately.
  PeSpec s = dotnetSpec(kIlOnly);
  s.sectionRawPointer = 0x30000;
  s.fileSize = 0x30200;
  Bytes image = peImage(s);
  TempFile file(image);
  BinaryInfo info = inspectBinary(file.path());
  EXPECT_TRUE(info.dotnetAnyCpu);
  EXPECT_EQ(info.description, "PE32 .NET Any CPU");

  s.corFlags = kIlOnly | k32BitRequired;
  TempFile required(peImage(s));
  EXPECT_EQ(inspectBinary(required.path()).arch, Arch::x86);
}

TEST(BinaryHeaderFile, TruncatedFileReportsRealSize) {
  PeSpec s = dotnetSpec(kIlOnly);
  s.sectionRawPointer = 0x30000;
  s.fileSize = 0x30200;
  Bytes image = peImage(s);
  image.resize(0x30000 + 10);  // cut inside the CLR header
  TempFile file(image);
  Error e = expectError([&] { inspectBinary(file.path()); }, ErrorKind::BadConfiguration);
  EXPECT_TRUE(contains(e.message(), file.path())) << e.message();
  EXPECT_TRUE(contains(e.message(), "truncated")) << e.message();
  EXPECT_TRUE(contains(e.message(), "file has " + std::to_string(image.size())))
      << e.message();
}

TEST(BinaryHeaderFile, EmptyAndGarbageFiles) {
  TempFile empty(Bytes{});
  Error e = expectError([&] { inspectBinary(empty.path()); }, ErrorKind::BadConfiguration);
  EXPECT_TRUE(contains(e.message(), empty.path())) << e.message();

  std::string text = "#!/bin/sh\n";
  TempFile script(Bytes(text.begin(), text.end()));
  Error g = expectError([&] { inspectBinary(script.path()); }, ErrorKind::BadConfiguration);
  EXPECT_TRUE(contains(g.message(), "not an ELF or PE binary")) << g.message();
}

TEST(BinaryHeaderFile, RequireLoadableNamesTheFile) {
  TempFile file(elfImage(2, 62));
  BinaryInfo info = inspectBinary(file.path());
  Error e = expectError([&] { requireLoadableBy(info, Arch::x86, file.path()); },
                        ErrorKind::WrongBitness);
  EXPECT_TRUE(contains(e.message(), file.path())) << e.message();
  EXPECT_TRUE(contains(e.message(), "bitbridge-host32")) << e.message();
  EXPECT_TRUE(contains(e.hint(), "bitbridge-host64")) << e.hint();
}

TEST(BinaryHeaderFile, ForeignFormatIsRefusedBeforeBitness) {
  // A Windows DLL of the right bitness offered to a Linux host (and, on Windows, the reverse).
  TempFile foreign(nativeBinaryFormat() == BinaryFormat::Elf ? peImage(PeSpec{}) : elfImage(1, 3));
  Error e = expectError([&] { requireHostable(foreign.path(), Arch::x86, BinaryRole::Component); },
                        ErrorKind::BadConfiguration);
  EXPECT_TRUE(contains(e.message(), foreign.path())) << e.message();
  EXPECT_TRUE(contains(e.message(), nativeBinaryFormat() == BinaryFormat::Elf ? "Windows image"
                                                                              : "ELF image"))
      << e.message();
}

TEST(BinaryHeaderFile, LegacyLibraryMismatchSaysToSupplyTheRightLibrary) {
  TempFile library(elfImage(2, 62));
  Error e = expectError(
      [&] { requireHostable(library.path(), Arch::x86, BinaryRole::LegacyLibrary); },
      ErrorKind::WrongBitness);
  EXPECT_TRUE(contains(e.message(), "the x86 component that wraps it")) << e.message();
  EXPECT_TRUE(contains(e.hint(), "32-bit")) << e.hint();
  EXPECT_NO_THROW(requireHostable(library.path(), Arch::x86_64, BinaryRole::LegacyLibrary));
}

TEST(BinaryHeaderFile, MissingPathIsNotFound) {
  std::string path = "/tmp/bitbridge-no-such-dir/libmissing.so";
  Error e = expectError([&] { inspectBinary(path); }, ErrorKind::NotFound);
  EXPECT_TRUE(contains(e.message(), path)) << e.message();
  EXPECT_TRUE(contains(e.message(), std::strerror(ENOENT))) << e.message();

  Error relative = expectError([] { inspectBinary("bitbridge-no-such-file.so"); },
                               ErrorKind::NotFound);
  EXPECT_TRUE(contains(relative.message(), "bitbridge-no-such-file.so")) << relative.message();
  EXPECT_TRUE(contains(relative.hint(), "current directory")) << relative.hint();

  expectError([] { inspectBinary(""); }, ErrorKind::NotFound);
}

TEST(BinaryHeaderFile, DirectoryIsBadConfiguration) {
  Error e = expectError([] { inspectBinary("/tmp"); }, ErrorKind::BadConfiguration);
  EXPECT_TRUE(contains(e.message(), "/tmp")) << e.message();
  EXPECT_TRUE(contains(e.message(), "directory")) << e.message();
}

#endif  // __linux__

}  // namespace
}  // namespace bitbridge
