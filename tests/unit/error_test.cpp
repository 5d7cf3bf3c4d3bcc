// Error taxonomy: messages, the wire encoding that carries a kind through Cap'n Proto, and the
// mapping of plain kj exception types.
#include <gtest/gtest.h>
#include <kj/debug.h>
#include <kj/exception.h>

#include "bitbridge/error.h"

namespace bitbridge {
namespace {

constexpr ErrorKind kKinds[] = {
    ErrorKind::BadConfiguration, ErrorKind::WrongBitness,  ErrorKind::NotFound,
    ErrorKind::Disconnected,     ErrorKind::TimedOut,      ErrorKind::Remote,
    ErrorKind::MalformedPeer,    ErrorKind::Unimplemented, ErrorKind::Overloaded,
};

kj::Exception captureAsKj(const Error& error) {
  KJ_IF_MAYBE(e, kj::runCatchingExceptions([&] { throwAsKj(error); })) { return kj::mv(*e); }
  ADD_FAILURE() << "throwAsKj did not throw";
  return KJ_EXCEPTION(FAILED, "unreachable");
}

TEST(Error, WhatNamesKindMessageAndFix) {
  Error error(ErrorKind::WrongBitness, "libx.so is ELF 64-bit x86-64", "use bitbridge-host64");
  EXPECT_STREQ(error.what(),
               "bitbridge: wrong-bitness: libx.so is ELF 64-bit x86-64 (fix: use bitbridge-host64)");
  EXPECT_EQ(error.kind(), ErrorKind::WrongBitness);
  EXPECT_EQ(error.message(), "libx.so is ELF 64-bit x86-64");
  EXPECT_EQ(error.hint(), "use bitbridge-host64");
}

TEST(Error, WhatWithoutHintHasNoFixClause) {
  EXPECT_STREQ(Error(ErrorKind::Remote, "boom").what(), "bitbridge: remote: boom");
}

TEST(Error, KindNamesAreDistinct) {
  for (ErrorKind a : kKinds) {
    for (ErrorKind b : kKinds) {
      if (a != b) {
        EXPECT_NE(errorKindName(a), errorKindName(b));
      }
    }
  }
}

TEST(Error, EveryKindSurvivesTheWireWithMessageAndHint) {
  for (ErrorKind kind : kKinds) {
    Error sent(kind, "line one: with a colon", "do this");
    kj::Exception local = captureAsKj(sent);
    Error back = fromKjException(local);
    EXPECT_EQ(back.kind(), kind) << errorKindName(kind);
    EXPECT_EQ(back.message(), sent.message());
    EXPECT_EQ(back.hint(), "do this");

    // As Cap'n Proto delivers it to the other process.
    kj::Exception remote(local.getType(), "(remote)", 0,
                         kj::str("remote exception: ", local.getDescription()));
    Error fromRemote = fromKjException(remote);
    EXPECT_EQ(fromRemote.kind(), kind) << errorKindName(kind);
    EXPECT_EQ(fromRemote.message(), sent.message());
  }
}

TEST(Error, ErrorThrownAsStdExceptionByAComponentKeepsItsKind) {
  Error thrown(ErrorKind::MalformedPeer, "ref (offset 1) is outside", "check the offset");
  kj::Exception e(kj::Exception::Type::FAILED, "(remote)", 0,
                  kj::str("remote exception: std::exception: ", thrown.what()));
  Error back = fromKjException(e);
  EXPECT_EQ(back.kind(), ErrorKind::MalformedPeer);
  EXPECT_EQ(back.message(), "ref (offset 1) is outside");
  EXPECT_EQ(back.hint(), "check the offset");
  Error noHint(ErrorKind::NotFound, "gone");
  Error back2 = fromKjException(kj::Exception(kj::Exception::Type::FAILED, "(remote)", 0,
                                              kj::str("remote exception: std::exception: ",
                                                      noHint.what())));
  EXPECT_EQ(back2.kind(), ErrorKind::NotFound);
  EXPECT_EQ(back2.message(), "gone");
  EXPECT_EQ(back2.hint(), "");
}

TEST(Error, PlainRemoteFailureIsRemoteKind) {
  kj::Exception e(kj::Exception::Type::FAILED, "(remote)", 0,
                  kj::str("remote exception: std::exception: legacy said no"));
  Error error = fromKjException(e);
  EXPECT_EQ(error.kind(), ErrorKind::Remote);
  EXPECT_NE(error.message().find("legacy said no"), std::string::npos);
}

TEST(Error, DisconnectCarriesContext) {
  kj::Exception e(kj::Exception::Type::DISCONNECTED, __FILE__, __LINE__,
                  kj::str("Peer disconnected."));
  Error error = fromKjException(e, "bitbridge-host32 (pid 7) was killed by signal 9 (Killed)");
  EXPECT_EQ(error.kind(), ErrorKind::Disconnected);
  EXPECT_NE(error.message().find("killed by signal 9"), std::string::npos);
  EXPECT_FALSE(error.hint().empty());
}

TEST(Error, OneDeathGivesOneMessageWhateverKjNoticedFirst) {
  // The same host death is seen as EOF on one run and as a failed read or write on another.
  const std::string context = "bitbridge-host32 (pid 7) was killed by signal 9 (Killed)";
  kj::Exception eof(kj::Exception::Type::DISCONNECTED, __FILE__, __LINE__,
                    kj::str("Peer disconnected."));
  kj::Exception reset(kj::Exception::Type::DISCONNECTED, __FILE__, __LINE__,
                      kj::str("read(): Connection reset by peer"));
  Error first = fromKjException(eof, context);
  Error second = fromKjException(reset, context);
  EXPECT_EQ(first.message(), second.message());
  EXPECT_EQ(first.message().rfind(context, 0), 0u) << "the host's fate comes first";
  EXPECT_EQ(first.message().find("Peer disconnected"), std::string::npos);
}

TEST(Error, ContextIsOnlyAddedToDisconnections) {
  Error error = fromKjException(
      kj::Exception(kj::Exception::Type::FAILED, "(remote)", 0, kj::str("remote exception: x")),
      "context");
  EXPECT_EQ(error.message(), "x");
}

TEST(Error, KjTypesMapToKinds) {
  auto kindOf = [](kj::Exception::Type type) {
    return fromKjException(kj::Exception(type, __FILE__, __LINE__, kj::str("m"))).kind();
  };
  EXPECT_EQ(kindOf(kj::Exception::Type::OVERLOADED), ErrorKind::Overloaded);
  EXPECT_EQ(kindOf(kj::Exception::Type::UNIMPLEMENTED), ErrorKind::Unimplemented);
  EXPECT_EQ(kindOf(kj::Exception::Type::DISCONNECTED), ErrorKind::Disconnected);
  EXPECT_EQ(kindOf(kj::Exception::Type::FAILED), ErrorKind::MalformedPeer);
}

TEST(Error, UnknownWireKindIsNotMisparsed) {
  kj::Exception e(kj::Exception::Type::FAILED, "(remote)", 0,
                  kj::str("remote exception: bitbridge:no-such-kind: text"));
  Error error = fromKjException(e);
  EXPECT_EQ(error.kind(), ErrorKind::Remote);
  EXPECT_EQ(error.message(), "bitbridge:no-such-kind: text");
}

}  // namespace
}  // namespace bitbridge
