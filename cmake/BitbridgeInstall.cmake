# Install rules for one platform build. Both platforms install into one prefix:
#   bin/bitbridge-host32, bin/bitbridge-host64           the hosts
#   lib/<multiarch>/libbitbridge-core.so                 bridge-core of that bitness
#   lib/<multiarch>/cmake/bitbridge/                     the CMake package of that bitness
#   include/bitbridge/, share/bitbridge/{schemas,toolchains}   shared by both
# On Windows: bin/<arch>/ holds the host, libbitbridge-core.dll (+ .dll.a), the mingw runtime
# DLLs and the package of that bitness (bin/<arch>/cmake/bitbridge/); lib/cmake/bitbridge/ hands
# find_package over to the package of the caller's bitness (CMake does not search bin/).
include(CMakePackageConfigHelpers)

set(_cmake_dir "${CMAKE_INSTALL_LIBDIR}/cmake/bitbridge")
install(TARGETS bitbridge_core bitbridge_client bitbridge_component
        EXPORT bitbridgeTargets
        LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}"
        INCLUDES DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
install(DIRECTORY "${PROJECT_SOURCE_DIR}/bridge-core/include/bitbridge"
        DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
install(FILES ${BITBRIDGE_GENERATED_HEADERS} DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/bitbridge")
install(DIRECTORY "${PROJECT_SOURCE_DIR}/schemas/" DESTINATION share/bitbridge/schemas
        FILES_MATCHING PATTERN "*.capnp")
install(DIRECTORY "${PROJECT_SOURCE_DIR}/cmake/toolchains/" DESTINATION share/bitbridge/toolchains)
install(EXPORT bitbridgeTargets NAMESPACE bitbridge:: DESTINATION "${_cmake_dir}")
configure_package_config_file("${PROJECT_SOURCE_DIR}/cmake/bitbridgeConfig.cmake.in"
  "${CMAKE_CURRENT_BINARY_DIR}/bitbridgeConfig.cmake" INSTALL_DESTINATION "${_cmake_dir}")
# The version file also rejects a package of the other bitness (pointer size check).
write_basic_package_version_file("${CMAKE_CURRENT_BINARY_DIR}/bitbridgeConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion)
install(FILES "${CMAKE_CURRENT_BINARY_DIR}/bitbridgeConfig.cmake"
              "${CMAKE_CURRENT_BINARY_DIR}/bitbridgeConfigVersion.cmake"
              "${PROJECT_SOURCE_DIR}/cmake/BitbridgeHelpers.cmake"
              "${PROJECT_SOURCE_DIR}/cmake/BitbridgeVendorLibs.cmake"
        DESTINATION "${_cmake_dir}")
if(BITBRIDGE_OS STREQUAL "windows")
  # The same two files from both Windows platform builds.
  install(FILES "${PROJECT_SOURCE_DIR}/cmake/bitbridgeConfig-windows.cmake"
          DESTINATION lib/cmake/bitbridge RENAME bitbridgeConfig.cmake)
  install(FILES "${PROJECT_SOURCE_DIR}/cmake/bitbridgeConfigVersion-windows.cmake"
          DESTINATION lib/cmake/bitbridge RENAME bitbridgeConfigVersion.cmake)
  # Runs a program under Wine in bitbridge's private prefix and names a missing DLL; the
  # installed toolchain files use it as their CMAKE_CROSSCOMPILING_EMULATOR.
  install(PROGRAMS "${PROJECT_SOURCE_DIR}/tools/windows/wine-run.sh" DESTINATION share/bitbridge/tools)
endif()
