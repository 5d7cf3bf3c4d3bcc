// The C++ part of bind_test_lib_win32.dll: a function with C++ linkage, exported under its
// mangled name (mingw's g++ mangles as the Itanium ABI: _Z10btw_squarei). A schema names it
// exactly, with $C.symbol("_Z10btw_squarei").
int btw_square(int x) { return x * x; }
