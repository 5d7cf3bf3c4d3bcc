// The flagship example as a test: every legacy-calc function through bitbridge-host32 (from
// both a 64-bit and a 32-bit test binary), and the reverse example through bitbridge-host64.
// The library reports its own pointer width and the host's pid, so a faked or in-process call
// cannot pass.
#include <unistd.h>

#include <cmath>

#include <gtest/gtest.h>

#include "bitbridge/host.h"
#include "calc.capnp.h"
#include "support/test_support.h"
#include "wide_math.capnp.h"

namespace bitbridge {
namespace {

using test::expectError;

class LegacyCalc : public ::testing::Test {
 protected:
  static HostOptions calcOptions() {
    HostOptions options;
    options.component = CALC_COMPONENT;
    options.legacyLibrary = CALC_LIBRARY;
    return options;
  }
  Runtime runtime;
  Host host = Host::spawn(runtime, calcOptions());
  // Cap'n Proto clients have noexcept(false) destructors; the fixture's must be noexcept.
  std::unique_ptr<legacy_calc::Calc::Client> instance =
      std::make_unique<legacy_calc::Calc::Client>(host.activate<legacy_calc::Calc>("legacy-calc"));
  legacy_calc::Calc::Client& calc = *instance;
};

TEST_F(LegacyCalc, RunsIn32BitHostWhateverTheClient) {
  EXPECT_EQ(host.arch(), Arch::x86);
  auto info = host.wait(calc.libraryInfoRequest().send());
  EXPECT_EQ(info.getPointerBits(), 32);  // computed inside the legacy library
  EXPECT_EQ(info.getHostPid(), host.pid());
  EXPECT_NE(info.getHostPid(), static_cast<uint32_t>(::getpid()));
  EXPECT_FALSE(std::string(info.getVersion().cStr()).empty());
}

TEST_F(LegacyCalc, Add) {
  auto request = calc.addRequest();
  request.setA(-7);
  request.setB(49);
  EXPECT_EQ(host.wait(request.send()).getSum(), 42);
  auto overflow = calc.addRequest();
  overflow.setA(INT32_MAX);
  overflow.setB(1);
  EXPECT_CONTAINS(expectError(ErrorKind::Remote, [&] { host.wait(overflow.send()); }).message(),
                  "calc_add");
}

TEST_F(LegacyCalc, DivideAndTheLibrarysErrorCode) {
  auto request = calc.divideRequest();
  request.setA(85);
  request.setB(2);
  EXPECT_EQ(host.wait(request.send()).getQuotient(), 42);
  auto byZero = calc.divideRequest();
  byZero.setA(1);
  byZero.setB(0);
  Error e = expectError(ErrorKind::Remote, [&] { host.wait(byZero.send()); });
  EXPECT_CONTAINS(e.message(), "division by zero");
  // The instance survives its library's error.
  auto again = calc.divideRequest();
  again.setA(-84);
  again.setB(2);
  EXPECT_EQ(host.wait(again.send()).getQuotient(), -42);
}

TEST_F(LegacyCalc, AccumulateKeepsStatePerInstance) {
  for (int64_t v : {10, 20, 12}) {
    auto request = calc.accumulateRequest();
    request.setValue(v);
    host.wait(request.send());
  }
  EXPECT_EQ(host.wait(calc.totalRequest().send()).getTotal(), 42);
  auto other = host.activate<legacy_calc::Calc>("legacy-calc");
  EXPECT_EQ(host.wait(other.totalRequest().send()).getTotal(), 0);
  auto big = calc.accumulateRequest();
  big.setValue(int64_t{5} << 40);  // 64-bit values survive the 32-bit host intact
  EXPECT_EQ(host.wait(big.send()).getTotal(), (int64_t{5} << 40) + 42);
}

TEST_F(LegacyCalc, MeanOfArrayAndEmptyArrayError) {
  auto request = calc.meanRequest();
  auto values = request.initValues(4);
  for (unsigned i = 0; i < 4; ++i) values.set(i, 1.5 + i);
  EXPECT_DOUBLE_EQ(host.wait(request.send()).getMean(), 3.0);
  auto empty = calc.meanRequest();
  empty.initValues(0);
  expectError(ErrorKind::Remote, [&] { host.wait(empty.send()); });
}

TEST_F(LegacyCalc, ScaleArrayInAndOut) {
  auto request = calc.scaleRequest();
  auto values = request.initValues(1000);
  for (unsigned i = 0; i < 1000; ++i) values.set(i, i * 0.5);
  request.setFactor(-2.0);
  auto response = host.wait(request.send());  // readers point into the response: keep it
  auto scaled = response.getScaled();
  ASSERT_EQ(scaled.size(), 1000u);
  for (unsigned i = 0; i < 1000; ++i) EXPECT_DOUBLE_EQ(scaled[i], -1.0 * i);
}

TEST_F(LegacyCalc, GreetStringInAndOut) {
  auto request = calc.greetRequest();
  request.setName("Grace");
  std::string greeting = host.wait(request.send()).getGreeting().cStr();
  EXPECT_CONTAINS(greeting, "Grace");
  EXPECT_CONTAINS(greeting, "32-bit");
  // Longer than any fixed buffer a VB6-era API would start with.
  std::string longName(5000, 'x');
  auto longRequest = calc.greetRequest();
  longRequest.setName(longName);
  EXPECT_CONTAINS(std::string(host.wait(longRequest.send()).getGreeting().cStr()), longName);
}

TEST(WideMath, ThirtyTwoBitClientsReachA64BitHost) {
  Runtime runtime;
  HostOptions options;
  options.component = WIDE_MATH_COMPONENT;
  Host host = Host::spawn(runtime, options);
  EXPECT_EQ(host.arch(), Arch::x86_64);
  auto math = host.activate<wide_math::WideMath>("wide-math");
  auto info = host.wait(math.infoRequest().send());
  EXPECT_EQ(info.getPointerBits(), 64);
  EXPECT_EQ(info.getHostPid(), host.pid());

  auto reserve = math.reserveRequest();
  reserve.setBytes(uint64_t{6} << 30);  // more than a 32-bit address space
  EXPECT_EQ(host.wait(reserve.send()).getReserved(), uint64_t{6} << 30);

  auto sum = math.sumOfSquaresRequest();
  auto values = sum.initValues(3);
  values.set(0, 1);
  values.set(1, 2);
  values.set(2, 3);
  EXPECT_DOUBLE_EQ(host.wait(sum.send()).getSum(), 14.0);
}

}  // namespace
}  // namespace bitbridge
