// The export/dependency reader (binary_image.h) on synthetic images of both formats and
// bitnesses, on real libraries built by both platform builds, and on hostile variants
// (truncated at every length, single bytes flipped): each gives a result or an Error naming
// the file, never a crash (the ASan pass of scripts/test.sh checks the reads too).
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "bitbridge/component.h"
#include "common/binary/binary_image.h"
#include "support/synthetic_binaries.h"
#include "support/test_support.h"

namespace bitbridge {
namespace {

using test::Bytes;
using test::expectError;
using test::testComponent;

BinaryImage parse(const Bytes& b) { return parseBinaryImage(b.data(), b.size(), "img"); }

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

test::ElfDynamicSpec dynamicSpec(uint8_t elfClass) {
  test::ElfDynamicSpec s;
  s.elfClass = elfClass;
  s.machine = elfClass == 1 ? 3 : 62;
  s.needed = {"libbitbridge-core.so.0", "libfoo.so.1"};
  s.soname = "libthing.so.2";
  s.runpath = "$ORIGIN:/opt/x";
  s.exports = {"zeta", BITBRIDGE_COMPONENT_ENTRY_NAME, "alpha"};
  return s;
}

TEST(BinaryImage, ElfDynamicSectionOfBothClasses) {
  for (uint8_t elfClass : {1, 2}) {
    SCOPED_TRACE(int(elfClass));
    BinaryImage image = parse(test::elfDynamicImage(dynamicSpec(elfClass)));
    EXPECT_EQ(image.header.bits, elfClass == 1 ? 32u : 64u);
    EXPECT_EQ(image.kind, BinaryKind::SharedLibrary);
    EXPECT_TRUE(image.dynamic);
    EXPECT_EQ(image.needed, (std::vector<std::string>{"libbitbridge-core.so.0", "libfoo.so.1"}));
    EXPECT_EQ(image.soname, "libthing.so.2");
    EXPECT_EQ(image.runpath, (std::vector<std::string>{"$ORIGIN", "/opt/x"}));
    EXPECT_TRUE(image.rpath.empty());
    // Through DT_HASH (no section headers), sorted.
    EXPECT_EQ(image.exports,
              (std::vector<std::string>{"alpha", BITBRIDGE_COMPONENT_ENTRY_NAME, "zeta"}));
    EXPECT_TRUE(image.exportsComponentEntry());
  }
}

TEST(BinaryImage, ElfRpath) {
  test::ElfDynamicSpec s = dynamicSpec(2);
  s.runpath.clear();
  s.rpath = "/a:/b";
  s.exports = {"plain"};
  BinaryImage image = parse(test::elfDynamicImage(s));
  EXPECT_EQ(image.rpath, (std::vector<std::string>{"/a", "/b"}));
  EXPECT_FALSE(image.exportsComponentEntry());
}

TEST(BinaryImage, PeExportImportAndDelayLoadTables) {
  for (bool pe64 : {false, true}) {
    SCOPED_TRACE(pe64);
    test::PeSpec s = pe64 ? test::pe64Spec() : test::PeSpec{};
    s.dllName = "thing.dll";
    s.exports = {BITBRIDGE_COMPONENT_ENTRY_NAME, "Add"};
    s.imports = {"KERNEL32.dll", "legacy.dll"};
    s.delayImports = {"late.dll"};
    BinaryImage image = parse(test::peImage(s));
    EXPECT_EQ(image.header.bits, pe64 ? 64u : 32u);
    EXPECT_EQ(image.kind, BinaryKind::SharedLibrary);
    EXPECT_EQ(image.soname, "thing.dll");
    EXPECT_EQ(image.exports, (std::vector<std::string>{"Add", BITBRIDGE_COMPONENT_ENTRY_NAME}));
    EXPECT_EQ(image.needed, (std::vector<std::string>{"KERNEL32.dll", "legacy.dll"}));
    EXPECT_EQ(image.delayLoaded, (std::vector<std::string>{"late.dll"}));
    EXPECT_TRUE(image.exportsComponentEntry());
  }
}

TEST(BinaryImage, DotnetCorFlagsTellAnyCpuFromPreferredFromX86) {
  struct Case {
    uint32_t flags;
    bool anyCpu;
    const char* description;
  } cases[] = {{test::kIlOnly, true, "PE32 .NET Any CPU"},
               {test::kIlOnly | test::k32BitPreferred, true, "PE32 .NET Any CPU (32-bit preferred)"},
               {test::kIlOnly | test::k32BitRequired, false, "PE32 .NET (x86 only)"}};
  for (const Case& c : cases) {
    BinaryImage image = parse(test::peImage(test::dotnetSpec(c.flags)));
    EXPECT_EQ(image.header.corFlags, c.flags);
    EXPECT_EQ(image.header.dotnetAnyCpu, c.anyCpu);
    EXPECT_EQ(image.header.description, c.description);
  }
}

TEST(BinaryImage, RealComponentsOfBothBitnesses) {
  for (Arch arch : {Arch::x86, Arch::x86_64}) {
    SCOPED_TRACE(std::string(archName(arch)));
    BinaryImage probe = readBinaryImage(testComponent("probe_component", arch));
    EXPECT_EQ(probe.header.arch, arch);
    EXPECT_EQ(probe.kind, BinaryKind::SharedLibrary);
    EXPECT_TRUE(probe.exportsComponentEntry());
    EXPECT_TRUE(contains(probe.needed, TEST_CORE_DEPENDENCY));

    BinaryImage missing = readBinaryImage(testComponent("missing_dependency_component", arch));
    EXPECT_TRUE(contains(missing.needed, std::string("libprobe_dependency") + TEST_MODULE_SUFFIX));

    BinaryImage plain = readBinaryImage(testComponent("not_a_component", arch));
    EXPECT_FALSE(plain.exportsComponentEntry());
    EXPECT_TRUE(contains(plain.exports, "not_a_component_answer"));
  }
}

TEST(BinaryImage, CorruptStringTableIsAnErrorNamingTheFile) {
  Bytes b = test::elfDynamicImage(dynamicSpec(2));
  // DT_STRTAB is the first entry after the 4 name entries (needed x2, soname, runpath).
  test::put64(b, 64 + 2 * 56 + 4 * 16 + 8, 0x7fffffff);
  Error e = expectError(ErrorKind::BadConfiguration, [&] { parse(b); });
  EXPECT_CONTAINS(e.message(), "img is corrupt");
  EXPECT_CONTAINS(e.message(), "string table");
}

TEST(BinaryImage, PeImportTableOutsideTheFileIsAnError) {
  test::PeSpec s;
  s.imports = {"a.dll"};
  Bytes b = test::peImage(s);
  b.resize(0x400 + 0x10);  // the .rdata section's data is cut off
  Error e = expectError(ErrorKind::BadConfiguration, [&] { parse(b); });
  EXPECT_CONTAINS(e.message(), "img");
}

// Every prefix and every single-byte corruption must give an image or an Error.
void survivesMutations(const Bytes& original, size_t step) {
  for (size_t n = 0; n <= original.size(); n += step) {
    Bytes cut(original.begin(), original.begin() + static_cast<std::ptrdiff_t>(n));
    try { parse(cut); } catch (const Error&) {}
  }
  for (size_t i = 0; i < original.size(); i += step) {
    for (uint8_t value : {uint8_t{0x00}, uint8_t{0xff}, uint8_t{0x80}}) {
      Bytes bent = original;
      bent[i] = value;
      try { parse(bent); } catch (const Error&) {}
    }
  }
}

TEST(BinaryImage, HostileSyntheticImagesNeverCrash) {
  survivesMutations(test::elfDynamicImage(dynamicSpec(1)), 1);
  survivesMutations(test::elfDynamicImage(dynamicSpec(2)), 1);
  test::PeSpec s = test::pe64Spec();
  s.dllName = "x.dll";
  s.exports = {"a", "b"};
  s.imports = {"k.dll"};
  s.delayImports = {"d.dll"};
  survivesMutations(test::peImage(s), 1);
}

TEST(BinaryImage, HostileRealImagesNeverCrash) {
  for (Arch arch : {Arch::x86, Arch::x86_64}) {
    std::ifstream in(testComponent("not_a_component", arch), std::ios::binary);
    Bytes bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_GT(bytes.size(), 1000u);
    survivesMutations(bytes, 7);
  }
}

}  // namespace
}  // namespace bitbridge
