// Seeds for fuzz_host_connection: what a client sends after its hello (which the target
// prepends), as Cap'n Proto RPC frames built with the real rpc.capnp structures, so that the
// fuzzer starts from inputs that reach HostService's methods; plus broken framing, and
// "BitB..." inputs that carry their own hello (see fuzz_host_connection.cpp).
#include <capnp/message.h>
#include <capnp/rpc.capnp.h>
#include <capnp/serialize.h>

#include <cstring>

#include "bitbridge/host.capnp.h"
#include "seeds.h"
#include "wire/hello.h"

namespace bitbridge::fuzz {
namespace {

namespace rpc = capnp::rpc;
using Host = proto::Host;

// Method ordinals of schemas/bitbridge/host.capnp.
enum Method : uint16_t {
  kInfo = 0,
  kLoad = 1,
  kActivate = 2,
  kShutdown = 3,
  kAttach = 4,
  kDetach = 5
};

// A client's side of a conversation: RPC messages appended one frame after another.
class Conversation {
 public:
  template <typename Fill>
  Conversation& message(Fill&& fill) {
    capnp::MallocMessageBuilder builder;
    fill(builder.initRoot<rpc::Message>());
    auto words = capnp::messageToFlatArray(builder);
    auto bytes = words.asBytes();
    bytes_.insert(bytes_.end(), bytes.begin(), bytes.end());
    return *this;
  }

  Conversation& bootstrap(uint32_t question) {
    return message([&](rpc::Message::Builder m) { m.initBootstrap().setQuestionId(question); });
  }

  // Calls Host.`method` on the answer to bootstrap question `on`; `fill` sets the params.
  template <typename Params, typename Fill>
  Conversation& call(uint32_t question, uint32_t on, uint16_t method, Fill&& fill) {
    return message([&](rpc::Message::Builder m) {
      auto call = m.initCall();
      call.setQuestionId(question);
      call.initTarget().initPromisedAnswer().setQuestionId(on);
      call.setInterfaceId(capnp::typeId<Host>());
      call.setMethodId(method);
      fill(call.initParams().getContent().initAs<Params>());
    });
  }

  Conversation& info(uint32_t question, uint32_t on = 0) {
    return call<Host::InfoParams>(question, on, kInfo, [](auto) {});
  }

  Conversation& finish(uint32_t question) {
    return message([&](rpc::Message::Builder m) { m.initFinish().setQuestionId(question); });
  }

  Conversation& raw(const Bytes& bytes) {
    bytes_.insert(bytes_.end(), bytes.begin(), bytes.end());
    return *this;
  }

  Bytes bytes() const { return bytes_; }

 private:
  Bytes bytes_;
};

// A segment table claiming `count` segments of `words` words each, with no data after it.
Bytes segmentTable(uint32_t count, uint32_t words) {
  Bytes b(4 + 4 * size_t{count} + (count % 2 == 0 ? 4 : 0), 0);
  put32(b, 0, count - 1);
  for (uint32_t i = 0; i < count; ++i) put32(b, 4 + 4 * size_t{i}, words);
  return b;
}

// A hello with one field changed, for the "BitB..." inputs.
Bytes hello(void (*change)(WireHello&) = nullptr) {
  WireHello h = makeHello(HelloRole::Client);
  h.pid = 4242;  // fixed, so that the seed does not depend on who generated it
  h.arch = 2;    // x86_64, whichever build generated it
  h.pointerBits = 64;
  if (change) change(h);
  Bytes b(sizeof h);
  std::memcpy(b.data(), &h, sizeof h);
  return b;
}

}  // namespace

Seeds hostConnectionSeeds() {
  Seeds s;
  s["gen-hello-only"] = Bytes();
  s["gen-bootstrap"] = Conversation().bootstrap(0).finish(0).bytes();
  s["gen-info"] = Conversation().bootstrap(0).info(1).finish(1).finish(0).bytes();

  s["gen-load-missing"] =
      Conversation()
          .bootstrap(0)
          .call<Host::LoadParams>(1, 0, kLoad,
                                  [](auto p) { p.setPath("/nonexistent/libfuzz_component.so"); })
          .call<Host::LoadParams>(2, 0, kLoad,
                                  [](auto p) {
                                    p.setPath("libfuzz_component.so");
                                    p.setLegacyLibrary("/nonexistent/legacy.dll");
                                  })
          .finish(1)
          .bytes();

  // activate fails (no component loaded); a call pipelined on its result must fail cleanly.
  s["gen-activate-pipelined"] =
      Conversation()
          .bootstrap(0)
          .call<Host::ActivateParams>(1, 0, kActivate, [](auto p) { p.setClassName("nope"); })
          .message([](rpc::Message::Builder m) {
            auto call = m.initCall();
            call.setQuestionId(2);
            auto target = call.initTarget().initPromisedAnswer();
            target.setQuestionId(1);
            target.initTransform(1)[0].setGetPointerField(0);
            call.setInterfaceId(0x8f0e4b5a3c2d1e0full);
            call.setMethodId(0);
            call.initParams().getContent().initAsAnyStruct(1, 0);
          })
          .finish(2)
          .finish(1)
          .bytes();

  s["gen-bulk"] =
      Conversation()
          .bootstrap(0)
          .call<Host::AttachBulkParams>(1, 0, kAttach,
                                        [](auto p) { p.setName("bitbridge-0-fuzz-missing"); })
          .call<Host::AttachBulkParams>(2, 0, kAttach, [](auto p) { p.setName("../etc/passwd"); })
          .call<Host::DetachBulkParams>(3, 0, kDetach, [](auto p) { p.setSegment(7); })
          .bytes();

  s["gen-shutdown"] = Conversation()
                          .bootstrap(0)
                          .call<Host::ShutdownParams>(1, 0, kShutdown, [](auto) {})
                          .info(2)
                          .bytes();

  s["gen-bad-method"] = Conversation()
                            .bootstrap(0)
                            .message([](rpc::Message::Builder m) {
                              auto call = m.initCall();
                              call.setQuestionId(1);
                              call.initTarget().initPromisedAnswer().setQuestionId(0);
                              call.setInterfaceId(capnp::typeId<Host>());
                              call.setMethodId(99);
                              call.initParams();
                            })
                            .message([](rpc::Message::Builder m) {
                              auto call = m.initCall();
                              call.setQuestionId(2);
                              call.initTarget().initPromisedAnswer().setQuestionId(0);
                              call.setInterfaceId(0xdeadbeefull);
                              call.setMethodId(0);
                              call.initParams();
                            })
                            .bytes();

  // Capabilities the client claims to send, then releases and resolutions of them.
  s["gen-caps-in-params"] = Conversation()
                                .bootstrap(0)
                                .message([](rpc::Message::Builder m) {
                                  auto call = m.initCall();
                                  call.setQuestionId(1);
                                  call.initTarget().initPromisedAnswer().setQuestionId(0);
                                  call.setInterfaceId(capnp::typeId<Host>());
                                  call.setMethodId(kInfo);
                                  auto params = call.initParams();
                                  params.getContent().initAsAnyStruct(0, 1);
                                  auto caps = params.initCapTable(5);
                                  caps[0].setSenderHosted(5);
                                  caps[1].setSenderPromise(6);
                                  caps[2].setReceiverHosted(0);
                                  caps[3].initReceiverAnswer().setQuestionId(0);
                                  caps[4].initThirdPartyHosted().setVineId(9);
                                })
                                .message([](rpc::Message::Builder m) {
                                  auto resolve = m.initResolve();
                                  resolve.setPromiseId(6);
                                  resolve.initCap().setSenderHosted(8);
                                })
                                .message([](rpc::Message::Builder m) {
                                  auto release = m.initRelease();
                                  release.setId(0);
                                  release.setReferenceCount(1);
                                })
                                .finish(1)
                                .bytes();

  // Ids that name nothing: the host must answer with an abort, not crash.
  s["gen-bogus-ids"] = Conversation()
                           .bootstrap(0)
                           .finish(77)
                           .message([](rpc::Message::Builder m) {
                             auto release = m.initRelease();
                             release.setId(9);
                             release.setReferenceCount(1);
                           })
                           .message([](rpc::Message::Builder m) {
                             auto call = m.initCall();
                             call.setQuestionId(1);
                             call.initTarget().setImportedCap(42);
                             call.setInterfaceId(capnp::typeId<Host>());
                             call.initParams();
                           })
                           .message([](rpc::Message::Builder m) {
                             auto d = m.initDisembargo();
                             d.initTarget().setImportedCap(3);
                             d.getContext().setSenderLoopback(1);
                           })
                           .message([](rpc::Message::Builder m) { m.initReturn().setAnswerId(5); })
                           .bytes();

  s["gen-duplicate-question"] = Conversation().bootstrap(0).bootstrap(0).info(0).bytes();
  s["gen-abort"] =
      Conversation()
          .bootstrap(0)
          .message([](rpc::Message::Builder m) { m.initAbort().setReason("client gives up"); })
          .info(1)
          .bytes();
  s["gen-unimplemented"] = Conversation()
                               .message([](rpc::Message::Builder m) {
                                 m.initUnimplemented().initBootstrap().setQuestionId(0);
                               })
                               .message([](rpc::Message::Builder m) { m.initProvide(); })
                               .message([](rpc::Message::Builder m) { m.initJoin(); })
                               .bytes();

  // A struct chain 100 deep (the reader's nesting limit is 64) where load's path should be:
  // the host must reject the type without walking the chain.
  s["gen-deep-nesting"] =
      Conversation()
          .bootstrap(0)
          .call<Host::LoadParams>(1, 0, kLoad,
                                  [](Host::LoadParams::Builder p) {
                                    auto any = capnp::toAny(p);
                                    auto next = any.getPointerSection()[0];
                                    for (int depth = 0; depth < 100; ++depth) {
                                      next = next.initAsAnyStruct(0, 1).getPointerSection()[0];
                                    }
                                  })
          .bytes();

  // Broken framing.
  Bytes call = Conversation().bootstrap(0).info(1).bytes();
  s["gen-truncated-frame"] = Bytes(call.begin(), call.begin() + call.size() - 13);
  s["gen-truncated-segment-table"] = Bytes{0, 0, 0};
  s["gen-huge-segment-count"] =
      Conversation().raw(Bytes{0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0}).bytes();
  s["gen-too-many-segments"] = segmentTable(600, 1);
  s["gen-huge-segment"] = Conversation().raw(segmentTable(1, 0x3fffffff)).raw(Bytes(16, 0)).bytes();
  s["gen-empty-segment"] = segmentTable(1, 0);
  Bytes listRoot = segmentTable(1, 2);  // root pointer is a list, not a struct
  listRoot.insert(listRoot.end(), {0x01, 0, 0, 0, 0x0d, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  s["gen-list-as-root"] = listRoot;
  Bytes farRoot = segmentTable(1, 1);  // a far pointer into a segment that does not exist
  farRoot.insert(farRoot.end(), {0x02, 0, 0, 0, 0x05, 0, 0, 0});
  s["gen-far-pointer-nowhere"] = farRoot;

  // Inputs that carry their own hello ("BitB" prefix).
  Bytes valid = hello();
  s["gen-raw-valid-hello"] = Conversation().raw(valid).bootstrap(0).info(1).bytes();
  s["gen-raw-bad-magic"] =
      Conversation().raw({'B', 'i', 't', 'B', 'a', 'd', '!', '!'}).raw(Bytes(16, 0)).bytes();
  s["gen-raw-bad-version"] = hello([](WireHello& h) { h.protocolVersion = 999; });
  s["gen-raw-host-role"] =
      hello([](WireHello& h) { h.role = static_cast<uint8_t>(HelloRole::Host); });
  s["gen-raw-bad-arch"] = hello([](WireHello& h) { h.pointerBits = 32; });
  s["gen-raw-truncated-hello"] = Bytes(valid.begin(), valid.begin() + 14);
  return s;
}

}  // namespace bitbridge::fuzz
