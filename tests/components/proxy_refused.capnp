# What `bitbridge proxy` must still refuse, one construct per interface (chosen with --interface;
# tests/integration/proxy_test.cpp): the message names the method, the parameter (and the struct
# and field) and what to do instead. Host::bind takes each of them.
@0xe3a8d1c4b5f60719;

using C = import "/bitbridge/c.capnp";

struct Point { x @0 :Int32; y @1 :Int32; }
struct Series { items @0 :List(Float64); count @1 :Int32 $C.lengthOf("items"); }
struct Bag { items @0 :List(Int32); }
struct Named { label @0 :Text; }

# double* inside a struct the library rewrites: the program would get a pointer into the host.
interface SeriesInOut {
  seriesDouble @0 (s :Series $C.inout) -> (s :Series) $C.symbol("bt_series_double");
}

# const char* inside a returned struct: memory the program would never free.
interface TextInReturnedStruct {
  name @0 () -> (result :Named) $C.symbol("vendor_name");
}

# A list behind a pointer with no count member: the proxy cannot tell how much to send.
interface UncountedList {
  bagSum @0 (b :Bag) -> (result :Int32) $C.symbol("vendor_bag_sum");
}

# An array of strings (const char* const*, NULL-terminated) that does not say so ($C.terminated):
# the proxy could not tell how many to send.
interface ListOfTexts {
  countStrings @0 (strings :List(Text)) -> (result :Int32) $C.symbol("bt_count_strings");
}

# An array of structs whose elements hold a pointer, written by the library.
interface SeriesArrayOut {
  seriesMake @0 (out :List(Series) $C.out $C.capacity(2)) -> (out :List(Series))
      $C.symbol("vendor_series_make");
}

# The vendor's deallocator named by $C.freeWith and bound as a method too: in a proxy the program's
# bw_free frees the proxy's copies, so it cannot also forward to the library.
interface FreeWithIsAMethod {
  dupUpper @0 (s :Text $C.type(wchar)) -> (result :Text $C.type(wchar) $C.freeWith("bw_free"))
      $C.symbol("bw_dup_upper");
  release @1 (s :Text $C.type(wchar)) -> () $C.symbol("bw_free");
}

# A $C.freeWith that is not a C name: it would be written into the generated source.
interface FreeWithNotAName {
  dupUpper @0 (s :Text) -> (result :Text $C.freeWith("free); abort(")) $C.symbol("vendor_dup");
}

# A struct with a pointer member (const char*) as a callback's parameter.
interface NamedVisitor { visit @0 (n :Named) -> (); }
interface CallbackStructWithText {
  visit @0 (cb :NamedVisitor) -> () $C.symbol("vendor_visit");
}

# A list as a callback's parameter (Host::bind takes none either).
interface ListVisitor { visit @0 (xs :List(Int32)) -> (); }
interface CallbackList {
  visit @0 (cb :ListVisitor) -> () $C.symbol("vendor_visit_list");
}

# One wchar_t by value.
interface WideUnit {
  nextUnit @0 (c :UInt32 $C.type(wchar)) -> (result :UInt32 $C.type(wchar)) $C.symbol("bw_next_unit");
}

# A terminated array of structs (its terminator would be a struct of zeros).
interface TerminatedStructs {
  pointsSum @0 (ps :List(Point) $C.terminated) -> (result :Int32) $C.symbol("vendor_points_sum");
}

# An interface-wide failure value that is a number, reaching a function that returns a pointer.
interface PointerFailure $C.onFailure(result = "-1") {
  count @0 (s :Text) -> (result :Int32) $C.symbol("vendor_count");
  dup @1 (s :Text) -> (result :Text) $C.symbol("vendor_dup");
}
