// Dependency resolution as the host does it (bridge-core/src/common/binary/dependency_resolver.h), on real
// libraries of both bitnesses laid out in temporary directories.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include "client/host_locator.h"
#include "common/binary/dependency_resolver.h"
#include "support/synthetic_binaries.h"
#include "support/temp_dir.h"
#include "support/test_support.h"

namespace bitbridge::cli {
namespace {

namespace fs = std::filesystem;
using test::testComponent;

using test::TempDir;

void write(const std::string& path, const test::Bytes& bytes) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                              static_cast<std::streamsize>(bytes.size()));
}

const Dependency* find(const std::vector<Dependency>& deps, const std::string& name) {
  for (const auto& d : deps) {
    if (d.name == name) return &d;
  }
  return nullptr;
}

// No LD_LIBRARY_PATH from the test's environment: each test sets what it needs.
SearchEnvironment environment() {
  SearchEnvironment env = nativeSearchEnvironment();
  env.libraryPath.clear();
  return env;
}

std::vector<Dependency> resolveFile(const DependencyResolver& resolver, const std::string& path) {
  return resolver.resolve(path, readBinaryImage(path));
}

TEST(DependencyResolver, MissingDependencyIsMissingAndBridgeCoreIsProvidedByTheHost) {
  for (Arch arch : {Arch::x86, Arch::x86_64}) {
    SCOPED_TRACE(std::string(archName(arch)));
    DependencyResolver resolver(environment());
    auto deps = resolveFile(resolver, testComponent("missing_dependency_component", arch));
    const Dependency* missing = find(deps, "libprobe_dependency.so");
    ASSERT_NE(missing, nullptr);
    EXPECT_EQ(missing->status, DependencyStatus::Missing);
    EXPECT_EQ(missing->depth, 1u);
    const Dependency* core = find(deps, "libbitbridge-core.so.0");
    ASSERT_NE(core, nullptr);
    // ldd says "not found" here; the host has it loaded already.
    EXPECT_EQ(core->status, DependencyStatus::ProvidedByHost);
  }
}

TEST(DependencyResolver, HostClosureIsProvidedWithPathsAndNothingIsListedTwice) {
  for (Arch arch : {Arch::x86, Arch::x86_64}) {
    SCOPED_TRACE(std::string(archName(arch)));
    DependencyResolver resolver(environment());
    resolver.addHostLibraries(locateHostExecutable(arch, ""));
    auto deps = resolveFile(resolver, testComponent("probe_component", arch));
    const Dependency* core = find(deps, "libbitbridge-core.so.0");
    ASSERT_NE(core, nullptr);
    EXPECT_EQ(core->status, DependencyStatus::ProvidedByHost);
    EXPECT_CONTAINS(core->path, "libbitbridge-core.so");
    const Dependency* cxx = find(deps, "libstdc++.so.6");
    ASSERT_NE(cxx, nullptr);
    EXPECT_EQ(cxx->status, DependencyStatus::ProvidedByHost);
    std::set<std::string> names;
    for (const auto& d : deps) {
      EXPECT_TRUE(names.insert(d.name).second) << d.name << " listed twice";
      EXPECT_FALSE(isProblem(d.status)) << d.name << ": " << d.detail;
    }
  }
}

TEST(DependencyResolver, WrongBitnessCandidateIsSkippedAndReported) {
  Arch arch = currentArch();
  TempDir wrong("bitbridge-resolver"), right("bitbridge-resolver");
  // A library of the other bitness under the needed name, first on LD_LIBRARY_PATH.
  fs::copy_file(testComponent("not_a_component", test::otherArch()), wrong / "libprobe_dependency.so");
  SearchEnvironment env = environment();
  env.libraryPath = {wrong.str()};
  auto deps = resolveFile(DependencyResolver(env), testComponent("missing_dependency_component", arch));
  const Dependency* d = find(deps, "libprobe_dependency.so");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->status, DependencyStatus::WrongBitness);
  EXPECT_EQ(d->path, wrong / "libprobe_dependency.so");
  EXPECT_CONTAINS(d->detail, arch == Arch::x86 ? "64-bit" : "32-bit");

  // ld.so skips it and takes the right one further down the path.
  fs::copy_file(testComponent("not_a_component", arch), right / "libprobe_dependency.so");
  env.libraryPath.push_back(right.str());
  deps = resolveFile(DependencyResolver(env), testComponent("missing_dependency_component", arch));
  d = find(deps, "libprobe_dependency.so");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->status, DependencyStatus::Found);
  EXPECT_EQ(d->path, right / "libprobe_dependency.so");
}

TEST(DependencyResolver, RunpathOriginIsExpandedAndDependenciesAreFollowed) {
  TempDir dir("bitbridge-resolver");
  test::ElfDynamicSpec s;
  s.elfClass = currentArch() == Arch::x86 ? 1 : 2;
  s.machine = currentArch() == Arch::x86 ? 3 : 62;
  s.needed = {"libinner.so"};
  s.runpath = "$ORIGIN/sub";
  write(dir / "libouter.so", test::elfDynamicImage(s));
  fs::create_directories(dir / "sub");
  fs::copy_file(testComponent("probe_component"), dir / "sub/libinner.so");
  auto deps = resolveFile(DependencyResolver(environment()), dir / "libouter.so");
  const Dependency* inner = find(deps, "libinner.so");
  ASSERT_NE(inner, nullptr);
  EXPECT_EQ(inner->status, DependencyStatus::Found);
  EXPECT_EQ(inner->path, dir / "sub/libinner.so");
  // libinner.so's own dependencies come next, one level deeper.
  const Dependency* core = find(deps, "libbitbridge-core.so.0");
  ASSERT_NE(core, nullptr);
  EXPECT_EQ(core->depth, 2u);
  EXPECT_EQ(core->neededBy, dir / "sub/libinner.so");
  EXPECT_EQ(core->status, DependencyStatus::ProvidedByHost);
  const Dependency* cxx = find(deps, "libstdc++.so.6");
  ASSERT_NE(cxx, nullptr);
  EXPECT_EQ(cxx->status, DependencyStatus::Found);
}

TEST(DependencyResolver, WindowsImageOnLinuxLooksOnlyInItsOwnDirectory) {
  TempDir dir("bitbridge-resolver");
  test::PeSpec component;
  component.imports = {"KERNEL32.dll", "libbitbridge-core.dll", "Legacy.dll", "wide.dll",
                       "elsewhere.dll"};
  write(dir / "component.dll", test::peImage(component));
  write(dir / "legacy.dll", test::peImage(test::PeSpec{}));  // found case-insensitively
  write(dir / "wide.dll", test::peImage(test::pe64Spec()));   // PE32+: wrong bitness
  SearchEnvironment env = environment();
  env.nativeFormat = BinaryFormat::Elf;
  auto deps = resolveFile(DependencyResolver(env), dir / "component.dll");
  EXPECT_EQ(find(deps, "KERNEL32.dll")->status, DependencyStatus::System);
  EXPECT_EQ(find(deps, "libbitbridge-core.dll")->status, DependencyStatus::ProvidedByHost);
  EXPECT_EQ(find(deps, "Legacy.dll")->status, DependencyStatus::Found);
  EXPECT_EQ(find(deps, "wide.dll")->status, DependencyStatus::WrongBitness);
  EXPECT_EQ(find(deps, "elsewhere.dll")->status, DependencyStatus::NotResolvedHere);
  EXPECT_CONTAINS(find(deps, "elsewhere.dll")->detail, "Windows");
}

TEST(DependencyResolver, ElfImageSeenFromWindowsIsNotResolvedThere) {
  SearchEnvironment env = environment();
  env.nativeFormat = BinaryFormat::Pe;
  auto deps = resolveFile(DependencyResolver(env), testComponent("missing_dependency_component"));
  EXPECT_EQ(find(deps, "libprobe_dependency.so")->status, DependencyStatus::NotResolvedHere);
  EXPECT_EQ(find(deps, "libbitbridge-core.so.0")->status, DependencyStatus::ProvidedByHost);
}

TEST(SearchEnvironment, LdSoConfFollowsIncludes) {
  TempDir dir("bitbridge-resolver");
  std::ofstream(dir / "ld.so.conf") << "# comment\ninclude conf.d/*.conf\n/opt/one\n";
  fs::create_directories(dir / "conf.d");
  std::ofstream(dir / "conf.d/b.conf") << "/opt/b\n";
  std::ofstream(dir / "conf.d/a.conf") << "/opt/a  # trailing\n";
  std::ofstream(dir / "conf.d/ignored.txt") << "/opt/no\n";
  EXPECT_EQ(readLdSoConf(dir / "ld.so.conf"),
            (std::vector<std::string>{"/opt/a", "/opt/b", "/opt/one"}));
  EXPECT_EQ(defaultElfDirs(32).front(), "/lib/i386-linux-gnu");
}

}  // namespace
}  // namespace bitbridge::cli
