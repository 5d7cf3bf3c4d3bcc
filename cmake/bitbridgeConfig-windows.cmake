# bitbridge CMake package of a Windows install, <prefix>/lib/cmake/bitbridge/: hands over to the
# package of the calling project's bitness, <prefix>/bin/<x86|x86_64>/cmake/bitbridge/.
#
# Why two levels: each bitness has its own bin/<arch>/ (both have a libbitbridge-core.dll and a
# libstdc++-6.dll, and Windows finds a DLL next to the program that needs it), and its package
# lives there beside its import library; but CMake does not search bin/. This file is where
# find_package(bitbridge) looks, with CMAKE_PREFIX_PATH=<prefix> or with the toolchain file from
# <prefix>/share/bitbridge/toolchains/ alone (which makes the prefix a find root).
if(CMAKE_SIZEOF_VOID_P EQUAL 4)
  set(_bitbridge_arch x86)
elseif(CMAKE_SIZEOF_VOID_P EQUAL 8)
  set(_bitbridge_arch x86_64)
else()
  set(bitbridge_FOUND FALSE)
  set(bitbridge_NOT_FOUND_MESSAGE "the project's pointer size is unknown (no C or CXX language "
      "enabled before find_package(bitbridge)?)")
  return()
endif()
get_filename_component(_bitbridge_dir
  "${CMAKE_CURRENT_LIST_DIR}/../../../bin/${_bitbridge_arch}/cmake/bitbridge" ABSOLUTE)
if(NOT EXISTS "${_bitbridge_dir}/bitbridgeConfig.cmake")
  set(bitbridge_FOUND FALSE)
  set(bitbridge_NOT_FOUND_MESSAGE "this prefix has no ${_bitbridge_arch} build of bitbridge "
      "(${_bitbridge_dir} is missing); install both bitnesses with "
      "'cmake --install <bitbridge>/build-windows --prefix <prefix>'")
  return()
endif()
include("${_bitbridge_dir}/bitbridgeConfig.cmake")
unset(_bitbridge_dir)
unset(_bitbridge_arch)
