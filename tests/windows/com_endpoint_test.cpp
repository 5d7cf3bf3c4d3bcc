// The Endpoint a COM-activated host's object answers (com_ids.h) is the client's first input from
// the host: whatever a class registered under our CLSID answers must be refused clearly unless
// it is four fields naming bitbridge pipes and a pid. No COM needed: the parser alone.
#include <string>

#include <gtest/gtest.h>

#include "bitbridge/error.h"
#include "client/com_activation.h"
#include "support/test_support.h"

namespace bitbridge {
namespace {

using test::expectError;

const std::string kPipe = "\\\\.\\pipe\\bitbridge-com-12-00ff";
const std::string kLog = "\\\\.\\pipe\\bitbridge-com-log-12-00ff";
const std::string kBeat = "\\\\.\\pipe\\bitbridge-com-heartbeat-12-00ff";

Error refused(const std::string& text) {
  ComEndpoint endpoint;
  return expectError(ErrorKind::MalformedPeer, [&] { parseComEndpoint(Arch::x86, text, endpoint); });
}

TEST(ComEndpoint, FourFieldsNameThePipesAndThePid) {
  ComEndpoint endpoint;
  parseComEndpoint(Arch::x86_64, kPipe + "|4242|" + kLog + "|" + kBeat, endpoint);
  EXPECT_EQ(endpoint.pipe, kPipe);
  EXPECT_EQ(endpoint.pid, 4242u);
  EXPECT_EQ(endpoint.logPipe, kLog);
  EXPECT_EQ(endpoint.heartbeatPipe, kBeat);
}

TEST(ComEndpoint, AnOlderHostsTwoFieldsAreRefusedNamingReRegistration) {
  Error e = refused(kPipe + "|4242");
  EXPECT_CONTAINS(e.message(), "a host of an older bitbridge");
  EXPECT_CONTAINS(e.hint(), "bitbridge-host32.exe --regserver from this bitbridge install");
}

TEST(ComEndpoint, GarbageIsRefusedNamingIt) {
  const std::string good = kPipe + "|4242|" + kLog + "|" + kBeat;
  for (const std::string& text : {
           std::string(), std::string("|||"), std::string("hello"), kPipe,
           kPipe + "|4242|" + kLog,                                   // three fields
           good + "|" + kBeat,                                       // five
           kPipe + "|0|" + kLog + "|" + kBeat,                       // pid 0
           kPipe + "|-5|" + kLog + "|" + kBeat,                      // negative
           kPipe + "|4294967296|" + kLog + "|" + kBeat,              // over 32 bits
           kPipe + "|42x|" + kLog + "|" + kBeat,                     // trailing junk
           kPipe + "||" + kLog + "|" + kBeat,                        // no pid
           "C:\\evil|4242|" + kLog + "|" + kBeat,                    // not a pipe
           kPipe + "|4242|\\\\.\\pipe\\other|" + kBeat,              // not one of ours
           kPipe + "|4242|" + kLog + "|\\\\.\\pipe\\bitbridge-",     // a prefix, no name
           kPipe + "|+42|" + kLog + "|" + kBeat,                     // a sign
           kPipe + "|4242|" + kLog + "|" + kBeat + "\\..\\x",        // a path after the name
           std::string("\\\\.\\pipe\\bitbridge-") + std::string(1, '\0') + "|1|" + kLog + "|" + kBeat,
       }) {
    SCOPED_TRACE(text);
    Error e = refused(text);
    EXPECT_CONTAINS(e.message(), "not a bitbridge host endpoint");
    EXPECT_CONTAINS(e.hint(), "another program registered that class");
  }
}

TEST(ComEndpoint, AHugeAnswerIsRefusedAndQuotedOnlyInPart) {
  std::string huge = kPipe + "|" + std::string(1 << 20, '7') + "|" + kLog + "|" + kBeat;
  Error e = refused(huge);
  EXPECT_LT(e.message().size(), 1000u);
}

}  // namespace
}  // namespace bitbridge
