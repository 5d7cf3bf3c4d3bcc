// Host::bind on Windows (under Wine), beyond the portable bind tests: calling conventions
// ($C.stdcall / $C.cdecl), decorated stdcall names found from the undecorated one, a function
// exported by ordinal only ($C.ordinal), a C++-mangled name, and DLLs of the system bound by
// bare name. In hosts of both bitnesses from this test program's bitness (both programs run:
// 64->32, 32->64, 32->32, 64->64).
#include <windows.h>

#include <algorithm>
#include <cctype>

#include <gtest/gtest.h>

#include "bind_test_win32.capnp.h"
#include "bitbridge/host.h"
#include "support/test_support.h"

namespace bitbridge {
namespace {

using test::expectError;
using test::testComponent;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

class BindWin32 : public ::testing::TestWithParam<Arch> {
 protected:
  BindWin32() {
    HostOptions options;
    options.legacyLibrary = path;  // its header picks the host
    host = std::make_unique<Host>(Host::spawn(runtime, options));
    lib = std::make_unique<bindwin::Win32Test::Client>(host->bind<bindwin::Win32Test>(path));
  }
  template <typename Promise>
  auto wait(Promise&& promise) {
    return host->wait(kj::mv(promise));
  }
  bool x86() const { return GetParam() == Arch::x86; }

  std::string path = testComponent("bind_test_lib_win32", GetParam());
  Runtime runtime;
  std::unique_ptr<Host> host;
  std::unique_ptr<bindwin::Win32Test::Client> lib;  // noexcept fixture: see bind_test.cpp
};

TEST_P(BindWin32, StdcallFunctionsByTheirUndecoratedNames) {
  EXPECT_EQ(host->arch(), GetParam());
  auto sub = lib->subRequest();  // exported as btw_sub@8 (32-bit), btw_sub (64-bit)
  sub.setA(50);
  sub.setB(8);
  EXPECT_EQ(wait(sub.send()).getResult(), 42);

  auto mix = lib->mixRequest();  // exported as _btw_mix@24: int8 + int64 + double + float
  mix.setA(-3);
  mix.setB(5000000000LL);
  mix.setC(0.5);
  mix.setD(0.25f);
  EXPECT_DOUBLE_EQ(wait(mix.send()).getResult(), 4999999997.75);

  auto plain = lib->plainRequest();  // undecorated, as the system DLLs export WINAPI functions
  plain.setA(14);
  EXPECT_EQ(wait(plain.send()).getResult(), 42);
}

TEST_P(BindWin32, CdeclBesideStdcallAndManyCallsKeepTheStackBalanced) {
  auto mul = lib->mulRequest();  // $C.cdecl overrides the interface's $C.stdcall
  mul.setA(6);
  mul.setB(7);
  EXPECT_EQ(wait(mul.send()).getResult(), 42);
  for (int i = 0; i < 300; ++i) {
    auto count = lib->countRequest();
    count.setA(i);
    count.setB(1);
    count.setC(-1);
    ASSERT_EQ(wait(count.send()).getResult(), i);
    auto again = lib->mulRequest();
    again.setA(i);
    again.setB(2);
    ASSERT_EQ(wait(again.send()).getResult(), 2 * i);
  }

  auto perMethod = host->bind<bindwin::PerMethod>(path);
  auto sub = perMethod.subRequest();
  sub.setA(1);
  sub.setB(2);
  EXPECT_EQ(wait(sub.send()).getResult(), -1);
  auto mul2 = perMethod.mulRequest();
  mul2.setA(-3);
  mul2.setB(3);
  EXPECT_EQ(wait(mul2.send()).getResult(), -9);
}

TEST_P(BindWin32, AFunctionExportedByOrdinalOnly) {
  auto secret = lib->secretRequest();
  secret.setX(0x5a5a ^ 42);
  EXPECT_EQ(wait(secret.send()).getResult(), 42);
  // NONAME: its name is not exported, so only the ordinal finds it.
  Error e = expectError(ErrorKind::NotFound, [&] { host->bind<bindwin::SecretByName>(path); });
  EXPECT_CONTAINS(e.message(), "SecretByName.secret");
  EXPECT_CONTAINS(e.message(), "does not export 'btw_secret'");
  EXPECT_CONTAINS(e.message(), "libbind_test_lib_win32.dll");
  EXPECT_CONTAINS(e.hint(), "$C.ordinal");
}

TEST_P(BindWin32, ACppFunctionByItsMangledName) {
  auto square = lib->squareRequest();
  square.setX(-12);
  EXPECT_EQ(wait(square.send()).getResult(), 144);
}

TEST_P(BindWin32, MistakesAreRefusedAtBindTimeNamingMethodSymbolAndLibrary) {
  Error ordinal = expectError(ErrorKind::NotFound, [&] { host->bind<bindwin::NoSuchOrdinal>(path); });
  EXPECT_CONTAINS(ordinal.message(), "NoSuchOrdinal.f");
  EXPECT_CONTAINS(ordinal.message(), "does not export ordinal 99");
  EXPECT_CONTAINS(ordinal.message(), "libbind_test_lib_win32.dll");

  Error missing = expectError(ErrorKind::NotFound, [&] { host->bind<bindwin::NoSuchStdcall>(path); });
  EXPECT_CONTAINS(missing.message(), "NoSuchStdcall.f");
  EXPECT_CONTAINS(missing.message(), "does not export 'btw_nothing'");
  if (x86()) {
    EXPECT_CONTAINS(missing.message(), "nor '_btw_nothing@4' or 'btw_nothing@4'");
  }

  if (x86()) {
    // A stdcall function declared cdecl: its decorated name gives it away.
    Error forgot = expectError(ErrorKind::BadConfiguration,
                               [&] { host->bind<bindwin::ForgotStdcall>(path); });
    EXPECT_CONTAINS(forgot.message(), "ForgotStdcall.sub");
    EXPECT_CONTAINS(forgot.message(), "exports it as 'btw_sub@8'");
    EXPECT_CONTAINS(forgot.hint(), "$C.stdcall");
  } else {
    // One convention on x86-64: the plain name, and $C.stdcall would not matter.
    auto forgot = host->bind<bindwin::ForgotStdcall>(path);
    auto sub = forgot.subRequest();
    sub.setA(2);
    sub.setB(3);
    EXPECT_EQ(wait(sub.send()).getResult(), -1);
  }

  // The host serves on.
  auto plain = lib->plainRequest();
  plain.setA(1);
  EXPECT_EQ(wait(plain.send()).getResult(), 3);
}

INSTANTIATE_TEST_SUITE_P(BothBitnesses, BindWin32, ::testing::Values(Arch::x86, Arch::x86_64),
                         [](const auto& info) { return std::string(archName(info.param)); });

// The system's own DLLs, named by bare name: each host loads its own bitness's (System32 for a
// 64-bit host, the 32-bit system directory for a 32-bit one), which no path computed by a client
// of the other bitness would name. The host's bitness is chosen with HostOptions::arch.
class BindSystemDll : public ::testing::TestWithParam<Arch> {
 protected:
  BindSystemDll() {
    HostOptions options;
    options.arch = GetParam();
    host = std::make_unique<Host>(Host::spawn(runtime, options));
  }
  template <typename Promise>
  auto wait(Promise&& promise) {
    return host->wait(kj::mv(promise));
  }

  Runtime runtime;
  std::unique_ptr<Host> host;
};

TEST_P(BindSystemDll, Kernel32StdcallAndWideText) {
  auto kernel32 = host->bind<bindwin::Kernel32>("kernel32.dll");
  EXPECT_EQ(wait(kernel32.getCurrentProcessIdRequest().send()).getResult(), host->info().pid);

  auto a = kernel32.lstrlenARequest();
  a.setS("eleven char");
  EXPECT_EQ(wait(a.send()).getResult(), 11);
  auto w = kernel32.lstrlenWRequest();
  w.setS("\xC3\xA9\xF0\x9F\x98\x80");  // "é😀": three UTF-16 units
  EXPECT_EQ(wait(w.send()).getResult(), 3);

  auto mulDiv = kernel32.mulDivRequest();  // three arguments: MulDiv@12 in the 32-bit kernel32
  mulDiv.setNumber(1000000);
  mulDiv.setNumerator(3000);
  mulDiv.setDenominator(7);
  EXPECT_EQ(wait(mulDiv.send()).getResult(), 428571429);

  auto dir = kernel32.getSystemDirectoryWRequest();
  dir.setSize(260);
  auto got = wait(dir.send());
  std::string system = got.getBuffer();
  EXPECT_EQ(got.getResult(), system.size());
  EXPECT_CONTAINS(lower(system), "c:\\windows\\");

  // The same DLL by its full path in that host's system directory.
  auto byPath = host->bind<bindwin::Kernel32>(system + "\\kernel32.dll");
  auto again = byPath.lstrlenARequest();
  again.setS("abc");
  EXPECT_EQ(wait(again.send()).getResult(), 3);
}

TEST_P(BindSystemDll, MsvcrtCdecl) {
  auto msvcrt = host->bind<bindwin::Msvcrt>("msvcrt.dll");
  auto length = msvcrt.strlenRequest();
  length.setS("twelve bytes");
  EXPECT_EQ(wait(length.send()).getResult(), 12u);
  auto absolute = msvcrt.absRequest();
  absolute.setV(-42);
  EXPECT_EQ(wait(absolute.send()).getResult(), 42);
  auto wide = msvcrt.wcslenRequest();
  wide.setS("wide");
  EXPECT_EQ(wait(wide.send()).getResult(), 4u);
}

TEST_P(BindSystemDll, ABareNameNotFoundIsNamed) {
  Error e = expectError(ErrorKind::NotFound,
                        [&] { host->bind<bindwin::Msvcrt>("bitbridge-no-such-library.dll"); });
  EXPECT_CONTAINS(e.message(), "cannot load bitbridge-no-such-library.dll");
  EXPECT_CONTAINS(e.message(), "where LoadLibrary looks");
}

INSTANTIATE_TEST_SUITE_P(BothBitnesses, BindSystemDll, ::testing::Values(Arch::x86, Arch::x86_64),
                         [](const auto& info) { return std::string(archName(info.param)); });

}  // namespace
}  // namespace bitbridge
