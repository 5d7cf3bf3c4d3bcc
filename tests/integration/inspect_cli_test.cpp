// The installed program `bitbridge inspect` (tools/bitbridge-cli), run as a user runs it, on
// real components of both bitnesses (classes listed by real hosts), broken ones, plain
// libraries and non-binaries; exit status and text/JSON output checked.
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "support/temp_dir.h"
#include "support/test_support.h"

namespace bitbridge {
namespace {

namespace fs = std::filesystem;
using test::testComponent;

struct CliRun {
  int status = -1;
  std::string out;
};

std::string shellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs `[env] bitbridge <args>`, capturing stdout (stderr goes to the test log).
CliRun bitbridge(const std::string& args, const std::string& env = "") {
  std::string command = env + (env.empty() ? "" : " ") + shellQuote(BITBRIDGE_CLI) + " " + args;
  CliRun run;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return run;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) run.out.append(buffer, n);
  int status = ::pclose(pipe);
  run.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

using test::TempDir;

// A minimal structural check of JSON: strings closed, brackets balanced and matched.
bool wellFormedJson(const std::string& text) {
  std::string stack;
  bool inString = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (inString) {
      if (c == '\\') ++i;
      else if (c == '"') inString = false;
      else if (static_cast<unsigned char>(c) < 0x20) return false;
      continue;
    }
    if (c == '"') inString = true;
    else if (c == '{' || c == '[') stack.push_back(c);
    else if (c == '}' || c == ']') {
      if (stack.empty() || stack.back() != (c == '}' ? '{' : '[')) return false;
      stack.pop_back();
    }
  }
  return !inString && stack.empty();
}

class InspectComponent : public ::testing::TestWithParam<Arch> {};

TEST_P(InspectComponent, ListsHostClassesAndProvidedBridgeCore) {
  Arch arch = GetParam();
  std::string component = testComponent("probe_component", arch);
  CliRun run = bitbridge("inspect " + shellQuote(component));
  EXPECT_EQ(run.status, 0) << run.out;
  EXPECT_CONTAINS(run.out, component);
  EXPECT_CONTAINS(run.out, arch == Arch::x86 ? "ELF 32-bit Intel 80386" : "ELF 64-bit x86-64");
  EXPECT_CONTAINS(run.out, std::string("host:         ") + hostExecutableName(arch));
  EXPECT_CONTAINS(run.out, "component:    yes");
  // Asked of a real host of that bitness.
  EXPECT_CONTAINS(run.out, "classes:      probe, probe-alias (loaded by ");
  EXPECT_CONTAINS(run.out, hostExecutableName(arch) + ")");
  EXPECT_CONTAINS(run.out, "libbitbridge-core.so.0");
  EXPECT_CONTAINS(run.out, "=> provided by the host");
  EXPECT_EQ(run.out.find("MISSING"), std::string::npos) << run.out;
  EXPECT_CONTAINS(run.out, "status:       ok");
}

TEST_P(InspectComponent, MissingDependencyIsMarkedAndFails) {
  Arch arch = GetParam();
  CliRun run = bitbridge("inspect " + shellQuote(testComponent("missing_dependency_component", arch)));
  EXPECT_EQ(run.status, 1) << run.out;
  EXPECT_CONTAINS(run.out, "libprobe_dependency.so");
  EXPECT_CONTAINS(run.out, "=> MISSING");
  EXPECT_CONTAINS(run.out, "LOAD FAILED");  // and the host says so too, in its own words
  EXPECT_CONTAINS(run.out, "status:       PROBLEM");
}

TEST_P(InspectComponent, WrongBitnessDependencyIsMarked) {
  Arch arch = GetParam();
  Arch other = arch == Arch::x86 ? Arch::x86_64 : Arch::x86;
  TempDir dir("bitbridge-inspect");
  fs::copy_file(testComponent("not_a_component", other), dir / "libprobe_dependency.so");
  CliRun run = bitbridge("inspect --no-load " +
                          shellQuote(testComponent("missing_dependency_component", arch)),
                      "LD_LIBRARY_PATH=" + shellQuote(dir.str()));
  EXPECT_EQ(run.status, 1) << run.out;
  EXPECT_CONTAINS(run.out, "=> WRONG BITNESS: " + (dir / "libprobe_dependency.so"));
  EXPECT_CONTAINS(run.out, "libprobe_dependency.so is wrong-bitness");
}

INSTANTIATE_TEST_SUITE_P(BothBitnesses, InspectComponent, ::testing::Values(Arch::x86, Arch::x86_64),
                         [](const auto& info) { return std::string(archName(info.param)); });

TEST(InspectCli, PlainLibraryIsNotAComponent) {
  CliRun run = bitbridge("inspect --exports " + shellQuote(testComponent("not_a_component")));
  EXPECT_EQ(run.status, 0) << run.out;
  EXPECT_CONTAINS(run.out, "component:    no");
  EXPECT_CONTAINS(run.out, "not_a_component_answer") << "only with --exports";
  EXPECT_CONTAINS(run.out, "status:       ok");
}

TEST(InspectCli, NoLoadSkipsTheHost) {
  CliRun run = bitbridge("inspect --no-load " + shellQuote(testComponent("probe_component")));
  EXPECT_EQ(run.status, 0) << run.out;
  EXPECT_CONTAINS(run.out, "not listed: --no-load");
}

TEST(InspectCli, NonBinaryAndMissingFilesAreNamedWithTheirCause) {
  TempDir dir("bitbridge-inspect");
  std::ofstream(dir / "notes.txt") << "hello\n";
  CliRun run = bitbridge("inspect " + shellQuote(dir / "notes.txt") + " " +
                      shellQuote(dir / "absent.so"));
  EXPECT_EQ(run.status, 1) << run.out;
  EXPECT_CONTAINS(run.out, dir / "notes.txt" + " is not an ELF or PE binary");
  EXPECT_CONTAINS(run.out, "cannot open " + (dir / "absent.so"));
}

TEST(InspectCli, UsageErrorsExitWith2) {
  EXPECT_EQ(bitbridge("").status, 2);
  EXPECT_EQ(bitbridge("inspect").status, 2);
  EXPECT_EQ(bitbridge("inspect --bogus x").status, 2);
  EXPECT_EQ(bitbridge("frobnicate").status, 2);
  EXPECT_EQ(bitbridge("inspect --help").status, 0);
}

TEST(InspectCli, JsonOutputCarriesTheFacts) {
  CliRun run = bitbridge("inspect --json " + shellQuote(testComponent("probe_component", Arch::x86)) +
                      " " + shellQuote(testComponent("missing_dependency_component", Arch::x86_64)));
  EXPECT_EQ(run.status, 1);
  ASSERT_TRUE(wellFormedJson(run.out)) << run.out;
  EXPECT_CONTAINS(run.out, "\"schema\": \"bitbridge-inspect/1\"");
  EXPECT_CONTAINS(run.out, "\"ok\": false");
  EXPECT_CONTAINS(run.out, "\"bits\": 32");
  EXPECT_CONTAINS(run.out, "\"arch\": \"x86\"");
  EXPECT_CONTAINS(run.out, "\"host\": \"bitbridge-host32\"");
  EXPECT_CONTAINS(run.out, "\"component\": true");
  EXPECT_CONTAINS(run.out, "\"names\": [\"probe\", \"probe-alias\"]");
  EXPECT_CONTAINS(run.out, "\"bitbridge_component_v1\"");
  EXPECT_CONTAINS(run.out, "{\"name\": \"libprobe_dependency.so\", \"status\": \"missing\"");
  EXPECT_CONTAINS(run.out, "\"status\": \"provided-by-host\"");
}

}  // namespace
}  // namespace bitbridge
