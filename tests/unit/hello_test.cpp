// The raw handshake: layout is ABI (asserted in hello.h in both builds), validation rejects
// anything that is not a bitbridge peer of this protocol version.
#include <unistd.h>

#include <cstring>

#include <gtest/gtest.h>

#include "bitbridge/error.h"
#include "bitbridge/host.capnp.h"
#include "wire/hello.h"

namespace bitbridge {
namespace {

ErrorKind kindOfValidation(const WireHello& hello, HelloRole expected) {
  try {
    validateHello(hello, expected, "peer");
  } catch (const Error& e) {
    return e.kind();
  }
  ADD_FAILURE() << "validateHello accepted it";
  return ErrorKind::Remote;
}

TEST(Hello, DescribesThisProcess) {
  WireHello hello = makeHello(HelloRole::Host);
  EXPECT_EQ(std::memcmp(hello.magic, kHelloMagic, 8), 0);
  EXPECT_EQ(hello.protocolVersion, proto::PROTOCOL_VERSION);
  EXPECT_EQ(hello.pid, static_cast<uint32_t>(::getpid()));
  EXPECT_EQ(hello.role, static_cast<uint8_t>(HelloRole::Host));
  EXPECT_EQ(hello.arch, static_cast<uint8_t>(currentArch()));
  EXPECT_EQ(hello.pointerBits, sizeof(void*) * 8);
  EXPECT_EQ(hello.refusal, 0);
  EXPECT_EQ(hello.refusalLimit, 0u);
}

TEST(Hello, ARefusalNamesTheLimitAndTheOption) {
  WireHello refusal = makeRefusal(HelloRefusal::TooManyFromThisClient, 4);
  try {
    validateHello(refusal, HelloRole::Host, "shared bitbridge-host32 'x' (pid 9)");
    ADD_FAILURE() << "a refusal was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Overloaded);
    EXPECT_NE(std::string(e.message()).find("already has 4 connections"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("HostOptions::sharedMaxConnectionsPerClient"),
              std::string::npos) << e.what();
  }
  // A client's hello never refuses; the field is only read from hosts.
  WireHello client = makeHello(HelloRole::Client);
  client.refusal = 1;
  EXPECT_NO_THROW(validateHello(client, HelloRole::Client, "client"));
}

TEST(Hello, AcceptsAPeerInTheExpectedRole) {
  EXPECT_NO_THROW(validateHello(makeHello(HelloRole::Client), HelloRole::Client, "client"));
}

TEST(Hello, RejectsForeignBytesAndShowsThem) {
  WireHello hello{};
  std::memcpy(&hello, "HTTP/1.1 400 Bad Request", sizeof(hello));
  try {
    validateHello(hello, HelloRole::Host, "bitbridge-host32 (pid 9)");
    FAIL() << "accepted garbage";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::MalformedPeer);
    EXPECT_NE(e.message().find("bitbridge-host32 (pid 9) is not a bitbridge peer"), std::string::npos);
    EXPECT_NE(e.message().find("48 54 54 50"), std::string::npos);  // "HTTP"
  }
}

TEST(Hello, RejectsOtherProtocolVersion) {
  WireHello hello = makeHello(HelloRole::Host);
  hello.protocolVersion += 1;
  EXPECT_EQ(kindOfValidation(hello, HelloRole::Host), ErrorKind::BadConfiguration);
}

TEST(Hello, RejectsWrongRole) {
  EXPECT_EQ(kindOfValidation(makeHello(HelloRole::Client), HelloRole::Host), ErrorKind::MalformedPeer);
}

TEST(Hello, RejectsInconsistentArchitecture) {
  WireHello hello = makeHello(HelloRole::Host);
  hello.arch = static_cast<uint8_t>(Arch::x86);
  hello.pointerBits = 64;
  EXPECT_EQ(kindOfValidation(hello, HelloRole::Host), ErrorKind::MalformedPeer);
}

}  // namespace
}  // namespace bitbridge
