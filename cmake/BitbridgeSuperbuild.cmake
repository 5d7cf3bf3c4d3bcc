# Superbuild: one sub-build per platform, all from this source tree.
#
# Every sub-build writes its executables and libraries into one shared stage directory laid out
# like an install prefix (bin/, lib/<multiarch>/), so that a client of either bitness finds both
# hosts (bin/bitbridge-host32, bin/bitbridge-host64) the same way in the build tree as in an
# installed prefix. Tests stay in each sub-build's own directory.
include(ExternalProject)

set(BITBRIDGE_STAGE_DIR "${CMAKE_BINARY_DIR}/stage")
if(NOT CMAKE_BUILD_TYPE)
  set(CMAKE_BUILD_TYPE RelWithDebInfo CACHE STRING "Build type" FORCE)
endif()

set(_bitbridge_ctest_subdirs "")
foreach(platform IN LISTS BITBRIDGE_PLATFORMS)
  set(toolchain "${CMAKE_SOURCE_DIR}/cmake/toolchains/${platform}.cmake")
  if(NOT EXISTS "${toolchain}")
    message(FATAL_ERROR "BITBRIDGE_PLATFORMS names '${platform}' but ${toolchain} does not exist")
  endif()
  ExternalProject_Add(bitbridge-${platform}
    SOURCE_DIR "${CMAKE_SOURCE_DIR}"
    BINARY_DIR "${CMAKE_BINARY_DIR}/${platform}"
    CMAKE_ARGS
      -DBITBRIDGE_PLATFORM=${platform}
      -DCMAKE_TOOLCHAIN_FILE=${toolchain}
      -DCMAKE_BUILD_TYPE=${CMAKE_BUILD_TYPE}
      -DCMAKE_INSTALL_PREFIX=${CMAKE_INSTALL_PREFIX}
      -DBITBRIDGE_STAGE_DIR=${BITBRIDGE_STAGE_DIR}
      -DBITBRIDGE_SUPERBUILD_DIR=${CMAKE_BINARY_DIR}
      -DBITBRIDGE_BUILD_BENCH=${BITBRIDGE_BUILD_BENCH}
      -DBITBRIDGE_BUILD_EXAMPLES=${BITBRIDGE_BUILD_EXAMPLES}
      -DBITBRIDGE_BUILD_TESTS=${BITBRIDGE_BUILD_TESTS}
      -DBITBRIDGE_CCACHE=${BITBRIDGE_CCACHE}
      -DBITBRIDGE_SANITIZE=${BITBRIDGE_SANITIZE}
      -DBITBRIDGE_WERROR=${BITBRIDGE_WERROR}
    INSTALL_COMMAND ""
    BUILD_ALWAYS ON
    STEP_TARGETS build)
  list(APPEND _bitbridge_ctest_subdirs "subdirs(\"${platform}\")\n")
  # `cmake --install <superbuild>` installs every platform into the one prefix.
  install(CODE "execute_process(COMMAND \"${CMAKE_COMMAND}\" --install \"${CMAKE_BINARY_DIR}/${platform}\" --prefix \"\${CMAKE_INSTALL_PREFIX}\" COMMAND_ERROR_IS_FATAL ANY)")
endforeach()

# Tests of one platform spawn hosts built by the others: every test waits for every build.
# A hand-written CTestTestfile lets one `ctest --test-dir <build>` run all platforms' tests.
string(CONCAT _bitbridge_ctest
  "# Written by cmake/BitbridgeSuperbuild.cmake: runs every platform's tests.\n"
  ${_bitbridge_ctest_subdirs})
file(WRITE "${CMAKE_BINARY_DIR}/CTestTestfile.cmake" "${_bitbridge_ctest}")
