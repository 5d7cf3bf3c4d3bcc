// Loading real component libraries in-process (same bitness as this test binary): the entry
// point and table checks, and that every failure carries the loader's own words.
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include <gtest/gtest.h>

#include "bitbridge/component.h"
#include "host/components/component_loader.h"
#include "support/test_support.h"

namespace bitbridge {
namespace {

using test::expectError;
using test::testComponent;

TEST(ComponentLoader, LoadsTheProbeAndListsItsClasses) {
  LoadedComponent loaded = openComponentLibrary(testComponent("probe_component"), "");
  EXPECT_EQ(loaded.classes, (std::vector<std::string>{"probe", "probe-alias"}));
  EXPECT_EQ(loaded.table->abiVersion, kComponentAbiVersion);
  EXPECT_EQ(loaded.path[0], '/');
}

TEST(ComponentLoader, MissingFileIsNotFound) {
  Error e = expectError(ErrorKind::NotFound,
                        [] { openComponentLibrary("/nonexistent/libnothing.so", ""); });
  EXPECT_CONTAINS(e.message(), "/nonexistent/libnothing.so");
}

TEST(ComponentLoader, OtherBitnessIsRefusedBeforeLoading) {
  std::string path = testComponent("probe_component", test::otherArch());
  Error e = expectError(ErrorKind::WrongBitness, [&] { openComponentLibrary(path, ""); });
  EXPECT_CONTAINS(e.message(), path);
  EXPECT_CONTAINS(e.message(), hostExecutableName(test::otherArch()));
}

TEST(ComponentLoader, LegacyLibraryOfOtherBitnessIsNamed) {
  std::string legacy = testComponent("not_a_component", test::otherArch());
  Error e = expectError(ErrorKind::WrongBitness,
                        [&] { openComponentLibrary(testComponent("probe_component"), legacy); });
  EXPECT_CONTAINS(e.message(), legacy);
}

TEST(ComponentLoader, PlainLibraryIsNotAComponent) {
  Error e = expectError(ErrorKind::BadConfiguration,
                        [] { openComponentLibrary(testComponent("not_a_component"), ""); });
  EXPECT_CONTAINS(e.message(), "is not a bitbridge component");
  EXPECT_CONTAINS(e.message(), "bitbridge_component_v1");
  EXPECT_CONTAINS(e.hint(), "BITBRIDGE_COMPONENT");
}

TEST(ComponentLoader, FutureAbiIsRefusedByVersion) {
  Error e = expectError(ErrorKind::BadConfiguration,
                        [] { openComponentLibrary(testComponent("bad_abi_component"), ""); });
  EXPECT_CONTAINS(e.message(), "component ABI 999");
}

TEST(ComponentLoader, MissingDependencyReportsDlerrorVerbatim) {
  Error e = expectError(ErrorKind::BadConfiguration, [] {
    openComponentLibrary(testComponent("missing_dependency_component"), "");
  });
  EXPECT_CONTAINS(e.message(),
                  "libprobe_dependency.so: cannot open shared object file: No such file or directory");
  // The hint names the tool that finds the missing library (not ldd, which also reports
  // libbitbridge-core as missing) and the component, ready to run.
  EXPECT_CONTAINS(e.hint(), "bitbridge inspect ");
  EXPECT_CONTAINS(e.hint(), "missing_dependency_component");
  EXPECT_EQ(e.hint().find("ldd"), std::string::npos) << e.hint();
}

TEST(ComponentLoader, UndefinedSymbolFailsAtLoadNotAtCall) {
  Error e = expectError(ErrorKind::BadConfiguration, [] {
    openComponentLibrary(testComponent("undefined_symbol_component"), "");
  });
  EXPECT_CONTAINS(e.message(), "undefined symbol: legacy_function_that_does_not_exist");
}

TEST(ComponentLoader, GarbageFileIsRejectedByHeader) {
  char path[] = "/tmp/bitbridge-garbage-XXXXXX";
  int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, "#!/bin/sh\necho hi\n", 18), 18);
  ::close(fd);
  Error e = expectError(ErrorKind::BadConfiguration, [&] { openComponentLibrary(path, ""); });
  EXPECT_CONTAINS(e.message(), path);
  ::unlink(path);
}

ClassFactory goodClass{"c", [](ComponentContext&) -> capnp::Capability::Client { return nullptr; }, 0};

TEST(ComponentTable, Checks) {
  auto kindFor = [](const ComponentTable* table) {
    return expectError(ErrorKind::BadConfiguration, [&] { validateComponentTable(table, "lib.so"); });
  };
  kindFor(nullptr);
  ComponentTable wrongCapnp{kComponentAbiVersion, CAPNP_VERSION + 1, 1, &goodClass};
  EXPECT_CONTAINS(kindFor(&wrongCapnp).message(), "Cap'n Proto");
  ComponentTable empty{kComponentAbiVersion, CAPNP_VERSION, 0, &goodClass};
  EXPECT_CONTAINS(kindFor(&empty).message(), "offers no classes");
  ClassFactory unnamed{"", goodClass.create, 0};
  ComponentTable noName{kComponentAbiVersion, CAPNP_VERSION, 1, &unnamed};
  EXPECT_CONTAINS(kindFor(&noName).message(), "no name");
  ComponentTable good{kComponentAbiVersion, CAPNP_VERSION, 1, &goodClass};
  EXPECT_NO_THROW(validateComponentTable(&good, "lib.so"));
}

TEST(ComponentRegistry, SameClassFromTwoLibrariesIsAnError) {
  // A byte-identical copy at another path offers the same class names.
  std::string original = testComponent("probe_component");
  std::string copy = "/tmp/bitbridge-probe-copy-" + std::to_string(::getpid()) + ".so";
  {
    std::ifstream in(original, std::ios::binary);
    std::ofstream out(copy, std::ios::binary);
    out << in.rdbuf();
  }
  ComponentRegistry registry;
  registry.load(original, "");
  EXPECT_EQ(registry.load(original, "").path, registry.components()[0]->path);  // idempotent
  Error e = expectError(ErrorKind::BadConfiguration, [&] { registry.load(copy, ""); });
  EXPECT_CONTAINS(e.message(), "offered by both");
  ::unlink(copy.c_str());
}

TEST(ComponentRegistry, UnknownClassListsWhatIsOffered) {
  ComponentRegistry registry;
  registry.load(testComponent("probe_component"), "");
  struct NullContext final : ComponentContext {
    spdlog::logger& logger() override { std::abort(); }
    const char* componentPath() const override { return ""; }
    BulkAccess& bulk() override { std::abort(); }
    kj::Promise<void> offloadWork(kj::Function<void()>) override { std::abort(); }
  } context;
  Error e = expectError(ErrorKind::NotFound, [&] { registry.create("calculator", context); });
  EXPECT_CONTAINS(e.message(), "no class 'calculator'");
  EXPECT_CONTAINS(e.message(), "probe, probe-alias");
}

}  // namespace
}  // namespace bitbridge
