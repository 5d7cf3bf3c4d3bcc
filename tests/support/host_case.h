// The host cases that suites spawning real hosts run against: each bitness over each
// transport. Shared by the Linux suites (tests/integration) and the Windows ones
// (tests/windows), so both cover the same combinations.
#pragma once

#include <ostream>
#include <string>

#include <gtest/gtest.h>

#include "bitbridge/arch.h"
#include "bitbridge/host.h"

namespace bitbridge::test {

/// A host bitness and a transport: the suites that spawn hosts run against every combination.
/// Converts to its Arch, so cases read GetParam() as the host's architecture.
struct HostCase {
  Arch arch;
  Transport transport;
  operator Arch() const { return arch; }  // NOLINT(google-explicit-constructor): see above
};
inline void PrintTo(const HostCase& c, std::ostream* out) {
  *out << archName(c.arch) << " over " << transportName(c.transport);
}
/// Both bitnesses over both transports, for INSTANTIATE_TEST_SUITE_P.
inline auto everyHostCase() {
  return ::testing::Values(HostCase{Arch::x86, Transport::Socket},
                           HostCase{Arch::x86_64, Transport::Socket},
                           HostCase{Arch::x86, Transport::SharedMemory},
                           HostCase{Arch::x86_64, Transport::SharedMemory});
}
/// Test-name suffix such as "x86_shm".
inline std::string hostCaseName(const ::testing::TestParamInfo<HostCase>& info) {
  return std::string(archName(info.param.arch)) + "_" + transportName(info.param.transport);
}

}  // namespace bitbridge::test
