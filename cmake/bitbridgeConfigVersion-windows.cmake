# Version file of the Windows hand-over package (bitbridgeConfig-windows.cmake): the version and
# compatibility of the package of the calling project's bitness.
if(CMAKE_SIZEOF_VOID_P EQUAL 4)
  set(_bitbridge_arch x86)
else()
  set(_bitbridge_arch x86_64)
endif()
set(_bitbridge_version_file
  "${CMAKE_CURRENT_LIST_DIR}/../../../bin/${_bitbridge_arch}/cmake/bitbridge/bitbridgeConfigVersion.cmake")
if(EXISTS "${_bitbridge_version_file}")
  include("${_bitbridge_version_file}")
else()
  set(PACKAGE_VERSION "unknown")
  set(PACKAGE_VERSION_UNSUITABLE TRUE)
endif()
unset(_bitbridge_version_file)
unset(_bitbridge_arch)
