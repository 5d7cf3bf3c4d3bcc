// `bitbridge import-header` end to end: the real tool drafts schemas from real headers (our
// legacy-calc example's, and Debian's zlib.h), `capnp compile` accepts them, and a 64-bit
// client binds the real 32-bit library with the drafted schema (parsed at run time, after a
// scripted answer to its questions where the default is not what the function needs) and gets
// the right results through bitbridge-host32. Then the unhappy paths: a header that does not
// parse, a library missing functions, a library no host can load, and --update keeping a
// user's answers. Built only where the tool is (the 64-bit Linux build).
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <regex>
#include <sstream>
#include <string>

#include <capnp/dynamic.h>
#include <capnp/schema-parser.h>
#include <gtest/gtest.h>
#include <kj/filesystem.h>

#include "bitbridge/host.h"
#include "support/temp_dir.h"

namespace bitbridge {
namespace {

using test::TempDir;

struct ToolRun {
  int status = -1;
  std::string output;  // stdout and stderr together
};

std::string shellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

ToolRun run(const std::string& command) {
  ToolRun r;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return r;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) r.output.append(buffer, n);
  int status = ::pclose(pipe);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

ToolRun importHeader(const std::string& args) { return run(shellQuote(BITBRIDGE_CLI) + " import-header " + args); }

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}
void writeFile(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

// `capnp compile` of a drafted schema, with bitbridge's schemas on the import path.
ToolRun capnpCompile(const std::string& schema) {
  return run(shellQuote(CAPNP_EXECUTABLE) + " compile -I" + shellQuote(BITBRIDGE_SCHEMA_DIR) + " -o- " +
             shellQuote(schema) + " >/dev/null");
}

// A user's answer to a question: replace `from` by `to` in the one line that holds `anchor`.
void answer(std::string& text, const std::string& anchor, const std::string& from, const std::string& to) {
  size_t at = text.find(anchor);
  ASSERT_NE(at, std::string::npos) << anchor;
  size_t end = text.find('\n', at);
  size_t pos = text.find(from, at);
  ASSERT_TRUE(pos != std::string::npos && pos < end) << anchor << ": no " << from;
  text.replace(pos, from.size(), to);
}

// The drafted schema, parsed at run time as a client would compile it.
class ParsedSchema {
 public:
  ParsedSchema(const std::string& dir, const std::string& file) {
    fs_ = kj::newDiskFilesystem();
    auto& root = fs_->getRoot();
    auto open = [&](const std::string& path) { return root.openSubdir(fs_->getCurrentPath().evalNative(path)); };
    dir_ = open(dir);
    imports_.add(open(BITBRIDGE_SCHEMA_DIR));
    imports_.add(open(CAPNP_INCLUDE_DIR));
    std::vector<const kj::ReadableDirectory*> imports;
    for (auto& d : imports_) imports.push_back(d.get());
    file_ = parser_.parseFromDirectory(*dir_, kj::Path::parse(file),
                                       kj::arrayPtr(imports.data(), imports.size()));
  }
  capnp::InterfaceSchema interface(const char* name) { return file_.getNested(name).asInterface(); }

 private:
  kj::Own<kj::Filesystem> fs_;
  kj::Own<const kj::ReadableDirectory> dir_;
  kj::Vector<kj::Own<const kj::ReadableDirectory>> imports_;
  capnp::SchemaParser parser_;
  capnp::ParsedSchema file_;
};

// `bitbridge import-header HEADER --library LIBRARY -o OUT`: a draft checked against the library.
ToolRun draftFor(const std::string& header, const std::string& library, const std::string& out) {
  return importHeader(shellQuote(header) + " --library " + shellQuote(library) + " -o " + shellQuote(out));
}

// A drafted schema (compiled by the test first) bound as it is in a host spawned for `library`,
// as a client would use it. Declaration order is construction order: runtime before host.
class BoundDraft {
 public:
  BoundDraft(const std::string& dir, const std::string& file, const std::string& library)
      : schema(dir, file), host(Host::spawn(runtime, optionsFor(library))), library_(library) {}
  capnp::DynamicCapability::Client bind(const char* interfaceName) {
    auto iface = schema.interface(interfaceName);
    return host.bindAny(library_, iface).castAs<capnp::DynamicCapability>(iface);
  }

  ParsedSchema schema;
  Runtime runtime;
  Host host;

 private:
  static HostOptions optionsFor(const std::string& library) {
    HostOptions options;
    options.legacyLibrary = library;  // its bitness picks the host
    return options;
  }
  std::string library_;
};

TEST(ImportHeader, LegacyCalcDraftBindsThe32BitLibrary) {
  TempDir dir("bitbridge-import-header");
  ToolRun drafted = draftFor(LEGACY_CALC_HEADER, CALC_LIBRARY, dir / "calc.capnp");
  ASSERT_EQ(drafted.status, 0) << drafted.output;
  EXPECT_NE(drafted.output.find("loaded by bitbridge-host32"), std::string::npos) << drafted.output;
  std::string text = readFile(dir / "calc.capnp");
  // What the header cannot settle is asked, with the default named.
  EXPECT_NE(text.find("# QUESTION(calc_add.sum):"), std::string::npos) << text;
  EXPECT_NE(text.find("# QUESTION(calc_close.handle): does calc_close free"), std::string::npos) << text;
  EXPECT_NE(text.find("count :UInt32 $C.lengthOf(\"values\")"), std::string::npos) << text;
  ToolRun compiled = capnpCompile(dir / "calc.capnp");
  ASSERT_EQ(compiled.status, 0) << compiled.output;

  // A rerun drafts the same bytes (ids and ordinals included): it can live in version control.
  ToolRun again = draftFor(LEGACY_CALC_HEADER, CALC_LIBRARY, dir / "again.capnp");
  ASSERT_EQ(again.status, 0) << again.output;
  EXPECT_EQ(readFile(dir / "again.capnp"), text);

  // The defaults are what legacy_calc needs: bind the drafted schema as it is.
  BoundDraft bound(dir.str(), "calc.capnp", CALC_LIBRARY);  // 32-bit: bitbridge-host32
  Host& host = bound.host;
  auto calc = bound.bind("LegacyCalc");
  {
    auto open = calc.newRequest("calcOpen");
    open.set("name", "drafted");
    auto opened = host.wait(open.send());
    ASSERT_EQ(opened.get("result").as<int32_t>(), 0);
    uint64_t handle = opened.get("out").as<uint64_t>();

    auto add = calc.newRequest("calcAdd");
    add.set("handle", handle);
    add.set("a", 2);
    add.set("b", 40);
    EXPECT_EQ(host.wait(add.send()).get("sum").as<int32_t>(), 42);

    auto mean = calc.newRequest("calcMean");
    mean.set("handle", handle);
    auto values = mean.init("values", 4).as<capnp::DynamicList>();
    double xs[] = {1, 2, 3, 6};
    for (unsigned i = 0; i < 4; ++i) values.set(i, xs[i]);
    EXPECT_EQ(host.wait(mean.send()).get("mean").as<double>(), 3.0);

    auto greet = calc.newRequest("calcGreet");
    greet.set("handle", handle);
    greet.set("name", "Ann");
    greet.set("bufferSize", 64);
    auto greeted = host.wait(greet.send());
    EXPECT_EQ(greeted.get("result").as<int32_t>(), 0);
    EXPECT_NE(std::string(greeted.get("buffer").as<capnp::Text>().cStr()).find("Ann"), std::string::npos);

    auto bits = calc.newRequest("calcPointerBits");
    EXPECT_EQ(host.wait(bits.send()).get("result").as<int32_t>(), 32);  // really the 32-bit library

    auto close = calc.newRequest("calcClose");
    close.set("handle", handle);
    host.wait(close.send());
  }
  // `calc` goes before `host`, as capabilities must (declared after it).
}

// Structs as the header declares them, bound to tests/components/bind_test_lib.c (32-bit):
// the host lays them out as i386 does (a 4-aligned double in bt_mixed), inline arrays, a list
// of structs with its count, a struct by value both ways, and an opaque handle freed by name.
TEST(ImportHeader, StructsAndHandlesDraftedFromAHeaderBindAsDrafted) {
  TempDir dir("bitbridge-import-header");
  writeFile(dir / "bt.h",
            "#include <stdint.h>\n"
            "typedef struct { int32_t x, y; } bt_point;\n"
            "typedef struct { char tag; double value; int64_t big; } bt_mixed;\n"
            "typedef struct { bt_point corner[2]; char name[16]; uint8_t flags[3]; } bt_box;\n"
            "typedef struct bt_counter bt_counter;\n"
            "int32_t bt_point_sum(const bt_point* p);\n"
            "bt_point bt_point_swap(bt_point p);\n"
            "int32_t bt_mixed_check(bt_mixed m);\n"
            "bt_mixed bt_mixed_make(char tag, double value, int64_t big);\n"
            "int32_t bt_box_check(const bt_box* b);\n"
            "int32_t bt_points_sum(const bt_point* points, int32_t n);\n"
            "bt_counter* bt_counter_new(int64_t start);\n"
            "int64_t bt_counter_add(bt_counter* c, int64_t by);\n"
            "void bt_counter_free(bt_counter* c);\n");
  const std::string library = std::string(TEST_COMPONENTS_DIR_X86) + "/libbind_test_lib.so";
  ToolRun drafted = draftFor(dir / "bt.h", library, dir / "bt.capnp");
  ASSERT_EQ(drafted.status, 0) << drafted.output;
  std::string text = readFile(dir / "bt.capnp");
  EXPECT_NE(text.find("name @1 :Text $C.array(16);"), std::string::npos) << text;
  EXPECT_NE(text.find("flags @2 :Data $C.array(3);"), std::string::npos) << text;
  EXPECT_NE(text.find("c :UInt64 $C.handle(\"bt_counter\") $C.releases"), std::string::npos) << text;
  ASSERT_EQ(capnpCompile(dir / "bt.capnp").status, 0);

  BoundDraft bound(dir.str(), "bt.capnp", library);
  Host& host = bound.host;
  auto bt = bound.bind("Bt");

  auto sum = bt.newRequest("btPointSum");
  auto p = sum.init("p").as<capnp::DynamicStruct>();
  p.set("x", 3);
  p.set("y", 4);
  EXPECT_EQ(host.wait(sum.send()).get("result").as<int32_t>(), 7);

  auto swap = bt.newRequest("btPointSwap");
  auto q = swap.init("p").as<capnp::DynamicStruct>();
  q.set("x", 1);
  q.set("y", 2);
  auto swapped = host.wait(swap.send()).get("result").as<capnp::DynamicStruct>();
  EXPECT_EQ(swapped.get("x").as<int32_t>(), 2);
  EXPECT_EQ(swapped.get("y").as<int32_t>(), 1);

  auto check = bt.newRequest("btMixedCheck");
  auto m = check.init("m").as<capnp::DynamicStruct>();
  m.set("tag", 'M');
  m.set("value", 2.5);
  m.set("big", int64_t{-1234567890123});
  EXPECT_EQ(host.wait(check.send()).get("result").as<int32_t>(), 7);

  auto make = bt.newRequest("btMixedMake");
  make.set("tag", 'Z');
  make.set("value", -8.25);
  make.set("big", int64_t{1} << 40);
  auto made = host.wait(make.send()).get("result").as<capnp::DynamicStruct>();
  EXPECT_EQ(made.get("tag").as<int8_t>(), 'Z');
  EXPECT_EQ(made.get("value").as<double>(), -8.25);
  EXPECT_EQ(made.get("big").as<int64_t>(), int64_t{1} << 40);

  auto box = bt.newRequest("btBoxCheck");
  auto b = box.init("b").as<capnp::DynamicStruct>();
  auto corners = b.init("corner", 2).as<capnp::DynamicList>();
  corners[0].as<capnp::DynamicStruct>().set("x", 1);
  corners[1].as<capnp::DynamicStruct>().set("y", 4);
  b.set("name", "crate");
  const kj::byte flags[] = {0, 0, 9};
  b.set("flags", capnp::Data::Reader(flags, 3));
  EXPECT_EQ(host.wait(box.send()).get("result").as<int32_t>(), 15);

  auto points = bt.newRequest("btPointsSum");
  auto list = points.init("points", 3).as<capnp::DynamicList>();
  for (unsigned i = 0; i < 3; ++i) {
    list[i].as<capnp::DynamicStruct>().set("x", i + 1);
    list[i].as<capnp::DynamicStruct>().set("y", 10);
  }
  EXPECT_EQ(host.wait(points.send()).get("result").as<int32_t>(), 60);  // n filled by the host

  auto create = bt.newRequest("btCounterNew");
  create.set("start", 5);
  uint64_t counter = host.wait(create.send()).get("result").as<uint64_t>();
  auto add = bt.newRequest("btCounterAdd");
  add.set("c", counter);
  add.set("by", 2);
  EXPECT_EQ(host.wait(add.send()).get("result").as<int64_t>(), 7);
  auto release = bt.newRequest("btCounterFree");
  release.set("c", counter);
  host.wait(release.send());
  // $C.releases, drafted from the name: the token is void now, refused before the library.
  auto after = bt.newRequest("btCounterAdd");
  after.set("c", counter);
  after.set("by", 1);
  EXPECT_THROW(host.wait(after.send()), Error);
}

// A C-side callback, served by the test: answers what `answer` computes from the arguments.
class DynamicCallback final : public capnp::DynamicCapability::Server {
 public:
  using Answer = std::function<void(capnp::DynamicStruct::Reader, capnp::DynamicStruct::Builder)>;
  DynamicCallback(capnp::InterfaceSchema schema, Answer answer)
      : capnp::DynamicCapability::Server(schema), answer_(std::move(answer)) {}
  kj::Promise<void> call(capnp::InterfaceSchema::Method,
                         capnp::CallContext<capnp::DynamicStruct, capnp::DynamicStruct> context) override {
    answer_(context.getParams(), context.getResults());
    return kj::READY_NOW;
  }

 private:
  Answer answer_;
};

TEST(ImportHeader, CallbacksDraftedFromAHeaderBindAsDrafted) {
  // bind_callback_lib's functions as a vendor's header declares them: typedef'd callbacks, one
  // written out in the parameter list, a stored handler with its `void* user`, its unregister
  // function, and a comparator-like callback used only during the call.
  TempDir dir("bitbridge-import-header");
  writeFile(dir / "cb.h",
            "#include <stdint.h>\n"
            "typedef int32_t (*cb_unary)(int32_t x);\n"
            "typedef int32_t (*cb_handler)(int32_t event, void* user);\n"
            "typedef double (*cb_greeter)(const char* name, uint8_t times);\n"
            "int32_t cb_apply(int32_t x, cb_unary f);\n"
            "int32_t cb_apply_maybe(int32_t x, int32_t (*f)(int32_t x));\n"
            "double cb_greet(cb_greeter g, const char* name);\n"
            "void cb_set_handler(cb_handler h, void* user);\n"
            "void cb_clear_handler(void);\n"
            "int32_t cb_fire(int32_t event);\n");
  const std::string library = std::string(TEST_COMPONENTS_DIR_X86) + "/libbind_callback_lib.so";
  ToolRun drafted = draftFor(dir / "cb.h", library, dir / "cb.capnp");
  ASSERT_EQ(drafted.status, 0) << drafted.output;
  std::string text = readFile(dir / "cb.capnp");
  EXPECT_EQ(text.find("# NOT BOUND("), std::string::npos) << text;
  EXPECT_NE(text.find("interface CbHandler {\n  call @0 (arg0 :Int32, user :Void $C.user) -> (result :Int32);"),
            std::string::npos) << text;
  EXPECT_NE(text.find("call @0 (arg0 :Text, arg1 :UInt8) -> (result :Float64);"), std::string::npos) << text;
  EXPECT_NE(text.find("interface CbApplyMaybeF {"), std::string::npos) << text;  // named for its parameter
  EXPECT_NE(text.find("h :CbHandler $C.nullable $C.callback(released) $C.releasedBy(\"cbClearHandler\")"),
            std::string::npos) << text;
  EXPECT_NE(text.find("user :Void $C.userFor(\"h\")"), std::string::npos) << text;
  EXPECT_NE(text.find("# QUESTION(cb_apply.f): `f` is called only while cb_apply runs"), std::string::npos) << text;
  ToolRun compiled = capnpCompile(dir / "cb.capnp");
  ASSERT_EQ(compiled.status, 0) << compiled.output;

  BoundDraft bound(dir.str(), "cb.capnp", library);
  Host& host = bound.host;
  auto iface = bound.schema.interface("Cb");
  auto cb = bound.bind("Cb");
  auto param = [&](const char* method, const char* name) {
    return iface.getMethodByName(method).getParamType().getFieldByName(name).getType().asInterface();
  };
  auto callback = [&](const char* method, const char* name, DynamicCallback::Answer answer) {
    auto schema = param(method, name);
    return capnp::DynamicCapability::Client(kj::heap<DynamicCallback>(schema, kj::mv(answer)));
  };

  auto apply = cb.newRequest("cbApply");
  apply.set("x", 20);
  apply.set("f", callback("cbApply", "f", [](auto p, auto r) { r.set("result", p.get("arg0").template as<int32_t>() * 3); }));
  EXPECT_EQ(host.wait(apply.send()).get("result").as<int32_t>(), 61);  // cb_apply adds 1

  auto maybe = cb.newRequest("cbApplyMaybe");  // $C.nullable: NULL is the library's -200
  maybe.set("x", 1);
  EXPECT_EQ(host.wait(maybe.send()).get("result").as<int32_t>(), -200);

  auto greet = cb.newRequest("cbGreet");
  greet.set("name", "bit");
  greet.set("g", callback("cbGreet", "g", [](auto p, auto r) {
              r.set("result", double(p.get("arg0").template as<capnp::Text>().size() * p.get("arg1").template as<uint8_t>()));
            }));
  EXPECT_EQ(host.wait(greet.send()).get("result").as<double>(), 18.0);  // 3 * 3 * 2.0

  auto set = cb.newRequest("cbSetHandler");
  set.set("h", callback("cbSetHandler", "h", [](auto p, auto r) { r.set("result", p.get("arg0").template as<int32_t>() + 1000); }));
  host.wait(set.send());
  auto fire = [&] {
    auto request = cb.newRequest("cbFire");
    request.set("event", 7);
    return host.wait(request.send()).get("result").as<int32_t>();
  };
  EXPECT_EQ(fire(), 1007);  // stored, fired by a later call, with the host's context
  host.wait(cb.newRequest("cbClearHandler").send());
  EXPECT_EQ(fire(), -100);  // released ($releasedBy, drafted from the names)
}

TEST(ImportHeader, ZlibHeaderDrivesTheSystems32BitZlib) {
  TempDir dir("bitbridge-import-header");
  const std::string libz = "/lib/i386-linux-gnu/libz.so.1";
  ToolRun drafted = draftFor(ZLIB_HEADER, libz, dir / "zlib.capnp");
  ASSERT_EQ(drafted.status, 0) << drafted.output;
  std::string text = readFile(dir / "zlib.capnp");
  // Callback types are drafted as interfaces (a pointer the client cannot follow as a number,
  // with a question), and inflateBack takes them, each with its `void*` context after it.
  EXPECT_NE(text.find("interface InFunc {\n  call @0 (user :Void $C.user, arg1 :UInt64 $C.type(uintptr)) -> (result :UInt32);"),
            std::string::npos) << text;
  EXPECT_NE(text.find("# QUESTION(in_func): `unsigned char **` (arg1): a pointer the client cannot follow"),
            std::string::npos) << text;
  EXPECT_NE(text.find("inDesc :Void $C.userFor(\"in\")"), std::string::npos) << text;
  EXPECT_NE(text.find("# NOT BOUND(gzprintf): it is variadic"), std::string::npos);
  EXPECT_NE(text.find("crc :UInt64 $C.type(ulong)"), std::string::npos);  // uLong: the host's long
  // compress's destLen is read and written: the header cannot say so, the question asks it.
  ASSERT_NE(text.find("# QUESTION(compress.destLen):"), std::string::npos);
  answer(text, "destLen :UInt64 $C.type(ulong) $C.out,", "$C.out", "$C.inout");  // compress
  answer(text, "destLen :UInt64 $C.type(ulong) $C.out,", "$C.out", "$C.inout");  // compress2
  answer(text, "destLen :UInt64 $C.type(ulong) $C.out,", "$C.out", "$C.inout");  // uncompress
  // ...and uncompress's dest is as large as the caller says: the answer to "where is its size?".
  size_t uncompress = text.find("# bitbridge:fn uncompress [");
  ASSERT_NE(uncompress, std::string::npos);
  const std::string draftedDest = "dest :Data $C.out $C.capacity(256)";
  size_t capacity = text.find(draftedDest, uncompress);
  ASSERT_NE(capacity, std::string::npos);
  text.replace(capacity, draftedDest.size(), "dest :Data $C.out $C.capacity(1024)");
  writeFile(dir / "zlib.capnp", text);
  ToolRun compiled = capnpCompile(dir / "zlib.capnp");
  ASSERT_EQ(compiled.status, 0) << compiled.output;

  BoundDraft bound(dir.str(), "zlib.capnp", libz);
  Host& host = bound.host;
  auto zlib = bound.bind("Zlib");
  {
    std::string version = host.wait(zlib.newRequest("zlibVersion").send()).get("result").as<capnp::Text>().cStr();
    EXPECT_EQ(version.substr(0, 2), "1.");

    const std::string hello = "hello";
    auto bytes = [](const std::string& s) {
      return capnp::Data::Reader(reinterpret_cast<const kj::byte*>(s.data()), s.size());
    };
    auto crc = zlib.newRequest("crc32");
    crc.set("crc", 0);
    crc.set("buf", bytes(hello));
    EXPECT_EQ(host.wait(crc.send()).get("result").as<uint64_t>(), 0x3610a686u);
    auto adler = zlib.newRequest("adler32");
    adler.set("adler", 1);
    adler.set("buf", bytes(hello));
    EXPECT_EQ(host.wait(adler.send()).get("result").as<uint64_t>(), 0x062c0215u);

    std::string original;
    for (int i = 0; i < 20; ++i) original += "bitbridge import-header ";
    auto compress = zlib.newRequest("compress");
    compress.set("destLen", 256);  // the buffer's size in, the compressed size out
    compress.set("source", bytes(original));
    auto compressed = host.wait(compress.send());
    ASSERT_EQ(compressed.get("result").as<int32_t>(), 0);
    uint64_t size = compressed.get("destLen").as<uint64_t>();
    ASSERT_GT(size, 0u);
    ASSERT_LT(size, original.size());
    auto packed = compressed.get("dest").as<capnp::Data>();
    std::string packedBytes(reinterpret_cast<const char*>(packed.begin()), size);

    auto uncompressCall = zlib.newRequest("uncompress");
    uncompressCall.set("destLen", 1024);
    uncompressCall.set("source", bytes(packedBytes));
    auto unpacked = host.wait(uncompressCall.send());
    ASSERT_EQ(unpacked.get("result").as<int32_t>(), 0);
    ASSERT_EQ(unpacked.get("destLen").as<uint64_t>(), original.size());
    auto out = unpacked.get("dest").as<capnp::Data>();
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(out.begin()), original.size()), original);
  }
  // `zlib` goes before `host`, as capabilities must (declared after it).
}

TEST(ImportHeader, AHeaderThatDoesNotParseGivesClangsDiagnostic) {
  TempDir dir("bitbridge-import-header");
  writeFile(dir / "broken.h", "#include <stdint.h>\nint32_t ok(int32_t a);\nint32_t broken(undeclared_t x);\n");
  ToolRun r = importHeader(shellQuote(dir / "broken.h") + " -o " + shellQuote(dir / "out.capnp"));
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("does not parse as C"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("broken.h:3:"), std::string::npos) << r.output;  // clang's location
  EXPECT_NE(r.output.find("undeclared_t"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("fix: pass what the header needs"), std::string::npos) << r.output;
  EXPECT_FALSE(std::ifstream(dir / "out.capnp").good());

  // The same header with what it needs after `--` parses.
  ToolRun fixed = importHeader(shellQuote(dir / "broken.h") + " -o " + shellQuote(dir / "out.capnp") +
                           " -- -Dundeclared_t=int");
  EXPECT_EQ(fixed.status, 0) << fixed.output;
}

TEST(ImportHeader, IncludedVendorHeadersAreDraftedSystemHeadersAreNot) {
  TempDir dir("bitbridge-import-header");
  writeFile(dir / "sub.h", "int sub_fn(int x);\n");
  writeFile(dir / "main.h", "#include \"sub.h\"\n#include <string.h>\nint top_fn(void);\n");
  ToolRun r = importHeader(shellQuote(dir / "main.h") + " -o " + shellQuote(dir / "main.capnp"));
  ASSERT_EQ(r.status, 0) << r.output;
  std::string text = readFile(dir / "main.capnp");
  EXPECT_NE(text.find("subFn @0 ("), std::string::npos) << text;
  EXPECT_NE(text.find("topFn @1 ()"), std::string::npos) << text;
  EXPECT_EQ(text.find("strlen"), std::string::npos) << text;
}

TEST(ImportHeader, LibraryMissingAFunctionIsReportedAndNotBound) {
  TempDir dir("bitbridge-import-header");
  writeFile(dir / "vendor.h",
            "#include <stdint.h>\nconst char* calc_version(void);\nint32_t calc_not_there(int32_t a);\n");
  ToolRun r = importHeader(shellQuote(dir / "vendor.h") + " --library " + shellQuote(CALC_LIBRARY) + " -o " +
                       shellQuote(dir / "vendor.capnp"));
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("does not export 1 function(s) of the header: calc_not_there"), std::string::npos)
      << r.output;
  std::string text = readFile(dir / "vendor.capnp");
  EXPECT_NE(text.find("# NOT BOUND(calc_not_there): " + std::string(CALC_LIBRARY) + " does not export it by name\n"),
            std::string::npos) << text;
  EXPECT_NE(text.find("\n  calcVersion @0 ()"), std::string::npos) << text;
  EXPECT_EQ(capnpCompile(dir / "vendor.capnp").status, 0);
}

TEST(ImportHeader, LibraryNoHostCanLoadIsRefused) {
  TempDir dir("bitbridge-import-header");
  // The real 32-bit library with its ELF e_machine set to ARM (40): no bitbridge host for it.
  std::string bytes = readFile(CALC_LIBRARY);
  ASSERT_GT(bytes.size(), 20u);
  bytes[18] = 40;
  bytes[19] = 0;
  writeFile(dir / "libarm.so", bytes);
  ToolRun r = importHeader(shellQuote(LEGACY_CALC_HEADER) + " --library " + shellQuote(dir / "libarm.so") + " -o " +
                       shellQuote(dir / "out.capnp"));
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("wrong-bitness"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("no bitbridge host can load it"), std::string::npos) << r.output;
}

TEST(ImportHeader, WindowsDllStdcallExportsAreRecognised) {
  // A 32-bit DLL built here with mingw-w64 (scripts/setup-windows.sh installs it): one stdcall
  // export, decorated `st_add@8` by mingw, and one cdecl export.
  if (run("command -v i686-w64-mingw32-gcc").status != 0) {
    GTEST_SKIP() << "i686-w64-mingw32-gcc is not installed (scripts/setup-windows.sh installs it)";
  }
  TempDir dir("bitbridge-import-header");
  writeFile(dir / "pe.c",
            "__declspec(dllexport) int __attribute__((stdcall)) st_add(int a, int b) { return a + b; }\n"
            "__declspec(dllexport) int cd_mul(int a, int b) { return a * b; }\n");
  ToolRun built = run("i686-w64-mingw32-gcc -shared -o " + shellQuote(dir / "pe.dll") + " " + shellQuote(dir / "pe.c"));
  ASSERT_EQ(built.status, 0) << built.output;

  // The header as a Linux build reads it says nothing of stdcall: the decorated export does.
  writeFile(dir / "plain.h", "int st_add(int a, int b);\nint cd_mul(int a, int b);\n");
  ToolRun plain = importHeader(shellQuote(dir / "plain.h") + " --library " + shellQuote(dir / "pe.dll") + " -o " +
                               shellQuote(dir / "plain.capnp"));
  ASSERT_EQ(plain.status, 0) << plain.output;
  EXPECT_NE(plain.output.find("loaded by bitbridge-host32.exe"), std::string::npos) << plain.output;
  std::string text = readFile(dir / "plain.capnp");
  EXPECT_NE(text.find("# QUESTION(st_add): the library exports it as `st_add@8`, a __stdcall name"), std::string::npos)
      << text;
  EXPECT_NE(text.find("-> (result :Int32) $C.stdcall $C.symbol(\"st_add\");"), std::string::npos) << text;
  EXPECT_NE(text.find("-> (result :Int32) $C.symbol(\"cd_mul\");"), std::string::npos) << text;

  // Read for the Windows target, the header's own __stdcall is taken as it is.
  writeFile(dir / "win.h", "int __stdcall st_add(int a, int b);\nint cd_mul(int a, int b);\n");
  ToolRun win = importHeader(shellQuote(dir / "win.h") + " --library " + shellQuote(dir / "pe.dll") + " -o " +
                             shellQuote(dir / "win.capnp") + " -- --target=i686-w64-mingw32");
  ASSERT_EQ(win.status, 0) << win.output;
  text = readFile(dir / "win.capnp");
  EXPECT_NE(text.find("# bitbridge:fn st_add [int st_add(int a, int b) stdcall]"), std::string::npos) << text;
  EXPECT_EQ(text.find("QUESTION(st_add)"), std::string::npos) << text;
  EXPECT_NE(text.find("$C.stdcall $C.symbol(\"st_add\")"), std::string::npos) << text;
  EXPECT_EQ(capnpCompile(dir / "win.capnp").status, 0);

  // A function exported by number only (NONAME): not found by name, its ordinal is offered.
  writeFile(dir / "ord.c", "int ord_fn(void) { return 7; }\nint named_fn(void) { return 8; }\n");
  writeFile(dir / "ord.def", "EXPORTS\n  ord_fn @7 NONAME\n  named_fn @8\n");
  built = run("i686-w64-mingw32-gcc -shared -o " + shellQuote(dir / "ord.dll") + " " + shellQuote(dir / "ord.c") +
              " " + shellQuote(dir / "ord.def"));
  ASSERT_EQ(built.status, 0) << built.output;
  writeFile(dir / "ord.h", "int ord_fn(void);\nint named_fn(void);\n");
  ToolRun ord = importHeader(shellQuote(dir / "ord.h") + " --library " + shellQuote(dir / "ord.dll") + " -o " +
                             shellQuote(dir / "ord.capnp"));
  EXPECT_EQ(ord.status, 1) << ord.output;
  EXPECT_NE(ord.output.find("it exports ordinal 7 by number only: $C.ordinal(N) binds one of those"),
            std::string::npos) << ord.output;
  text = readFile(dir / "ord.capnp");
  EXPECT_NE(text.find("does not export it by name; it exports ordinal 7 by number only: if it is one of those, "
                      "add $C.ordinal(N) and uncomment it"), std::string::npos) << text;
  EXPECT_NE(text.find("\n  namedFn @0 ()"), std::string::npos) << text;
}

TEST(ImportHeader, UpdateKeepsAnswersAndFlagsChanges) {
  TempDir dir("bitbridge-import-header");
  writeFile(dir / "v.h",
            "#include <stdint.h>\n"
            "int32_t v_add(int32_t a, int32_t b, int32_t* total);\n"
            "void v_old(void);\n"
            "int32_t v_change(int32_t x);\n"
            "int32_t v_last(void);\n");
  ASSERT_EQ(importHeader(shellQuote(dir / "v.h") + " -o " + shellQuote(dir / "v.capnp")).status, 0);
  // The user answers v_add's question (total is read too) and adds a note of their own.
  std::string text = readFile(dir / "v.capnp");
  answer(text, "total :Int32 $C.out", "$C.out", "$C.inout");
  text = std::regex_replace(text, std::regex(R"(\s*# QUESTION\(v_add\.total\):[^\n]*)"), "");
  text = std::regex_replace(text, std::regex("using C = "), "# our note: keep\nusing C = ");
  writeFile(dir / "v.capnp", text);
  ASSERT_EQ(capnpCompile(dir / "v.capnp").status, 0);

  // Rerun on the same header: nothing changes.
  ASSERT_EQ(importHeader(shellQuote(dir / "v.h") + " --update " + shellQuote(dir / "v.capnp")).status, 0);
  EXPECT_EQ(readFile(dir / "v.capnp"), text);

  // A newer header: v_old gone, v_change changed, v_new added.
  writeFile(dir / "v.h",
            "#include <stdint.h>\n"
            "int32_t v_add(int32_t a, int32_t b, int32_t* total);\n"
            "int32_t v_change(int64_t x);\n"
            "int32_t v_last(void);\n"
            "int32_t v_new(int32_t y);\n");
  ToolRun r = importHeader(shellQuote(dir / "v.h") + " --update " + shellQuote(dir / "v.capnp"));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("added: v_new; changed: v_change; removed: v_old"), std::string::npos) << r.output;
  std::string updated = readFile(dir / "v.capnp");
  EXPECT_NE(updated.find("# our note: keep"), std::string::npos) << updated;
  EXPECT_NE(updated.find("total :Int32 $C.inout"), std::string::npos) << updated;  // the answer kept
  EXPECT_EQ(updated.find("QUESTION(v_add.total)"), std::string::npos) << updated;
  EXPECT_NE(updated.find("# REMOVED(v_old):"), std::string::npos) << updated;
  EXPECT_NE(updated.find("# CHANGED(v_change): the header's declaration was [int32_t v_change(int32_t x)]"),
            std::string::npos) << updated;
  EXPECT_NE(updated.find("x :Int64"), std::string::npos) << updated;
  // Ordinals: v_add keeps @0, v_change its own place, the rest follow without a gap.
  EXPECT_NE(updated.find("vAdd @0 ("), std::string::npos) << updated;
  EXPECT_NE(updated.find("vChange @1 ("), std::string::npos) << updated;
  EXPECT_NE(updated.find("vLast @2 ()"), std::string::npos) << updated;
  EXPECT_NE(updated.find("vNew @3 ("), std::string::npos) << updated;
  ToolRun compiled = capnpCompile(dir / "v.capnp");
  EXPECT_EQ(compiled.status, 0) << compiled.output << updated;

  // Drafting over it without --update would lose the answers: refused, unless --force.
  ToolRun over = importHeader(shellQuote(dir / "v.h") + " -o " + shellQuote(dir / "v.capnp"));
  EXPECT_EQ(over.status, 1) << over.output;
  EXPECT_NE(over.output.find("would lose the answers edited into it (fix: --update"), std::string::npos) << over.output;
  EXPECT_EQ(readFile(dir / "v.capnp"), updated);
  ToolRun forced = importHeader(shellQuote(dir / "v.h") + " -o " + shellQuote(dir / "v.capnp") + " --force");
  EXPECT_EQ(forced.status, 0) << forced.output;
  EXPECT_EQ(readFile(dir / "v.capnp").find("# REMOVED(v_old)"), std::string::npos);

  // A schema without the markers is refused, naming the fix.
  writeFile(dir / "plain.capnp", "@0xbf5147cbbecf40c1;\ninterface X {\n}\n");
  ToolRun plain = importHeader(shellQuote(dir / "v.h") + " --update " + shellQuote(dir / "plain.capnp"));
  EXPECT_EQ(plain.status, 1);
  EXPECT_NE(plain.output.find("no `# bitbridge:interface` marker"), std::string::npos) << plain.output;
}

}  // namespace
}  // namespace bitbridge
