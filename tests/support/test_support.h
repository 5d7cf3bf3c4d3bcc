// Helpers shared by the unit and integration test binaries (header-only).
#pragma once

#include <string>

#include <gtest/gtest.h>

#include "bitbridge/arch.h"
#include "bitbridge/error.h"

namespace bitbridge::test {

#ifndef TEST_MODULE_SUFFIX
#define TEST_MODULE_SUFFIX ".so"  // Windows builds define ".dll"
#endif
// The name a component records for bridge-core: its soname, or the DLL's name on Windows.
#ifndef TEST_CORE_DEPENDENCY
#define TEST_CORE_DEPENDENCY "libbitbridge-core.so.0"  // Windows builds define the DLL's name
#endif

/// Path of a test component built for `arch` (both platform builds make them).
inline std::string testComponent(const std::string& name, Arch arch = currentArch()) {
  return std::string(arch == Arch::x86 ? TEST_COMPONENTS_DIR_X86 : TEST_COMPONENTS_DIR_X86_64) +
         "/lib" + name + TEST_MODULE_SUFFIX;
}

inline Arch otherArch() { return currentArch() == Arch::x86 ? Arch::x86_64 : Arch::x86; }

#ifdef TEST_SYSTEM_C_LIBRARY_X86
/// The platform's own C library for a host of `arch` (glibc's libc.so.6 of that bitness,
/// msvcrt.dll on Windows): a library nobody on the team wrote.
inline std::string systemCLibrary(Arch arch) {
  return arch == Arch::x86 ? TEST_SYSTEM_C_LIBRARY_X86 : TEST_SYSTEM_C_LIBRARY_X86_64;
}
#endif

/// Runs `body`, expecting a bitbridge::Error of `kind`; returns it for further checks. A body
/// that returns normally or throws anything else fails the test.
template <typename Body>
Error expectError(ErrorKind kind, Body&& body) {
  try {
    body();
  } catch (const Error& e) {
    EXPECT_EQ(errorKindName(e.kind()), errorKindName(kind)) << e.what();
    return e;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected bitbridge::Error(" << errorKindName(kind) << "), got " << e.what();
    return Error(ErrorKind::Remote, "wrong exception type");
  }
  ADD_FAILURE() << "expected bitbridge::Error(" << errorKindName(kind) << "), nothing was thrown";
  return Error(ErrorKind::Remote, "nothing thrown");
}

/// gtest matcher-free substring check with a readable failure.
#define EXPECT_CONTAINS(haystack, needle)                                                 \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos)                        \
      << "expected to find \"" << (needle) << "\" in:\n" << (haystack)

}  // namespace bitbridge::test
