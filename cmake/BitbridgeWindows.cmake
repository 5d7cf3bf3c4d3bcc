# Windows (mingw-w64) specifics of one platform build; included by BitbridgePlatform.cmake.
#
# Linking policy. A host .exe, bitbridge-core.dll and component DLLs pass C++ exceptions to one
# another, and on i686 mingw unwinds with DWARF-2 tables registered per module: with a static
# libgcc in each module, an exception thrown in bitbridge-core.dll cannot be caught in the .exe
# (std::terminate). So bitbridge links the mingw runtime as DLLs (libgcc_s_*, libstdc++-6,
# libwinpthread-1; the toolchain files do not pass -static) and copies them next to its
# executables, into bin/<arch>/ of the stage and of the install prefix. One unwinder, one C++
# runtime per process. A -static from elsewhere (CMAKE_*_LINKER_FLAGS, an older toolchain file)
# is refused, here as in users' projects (_bitbridge_refuse_static_runtime, BitbridgeHelpers).
#
# Build directories configured with the older toolchain files (which passed -static) still
# have it in their cache: take it out of this build rather than make them start again.
foreach(kind EXE SHARED MODULE)
  string(REGEX REPLACE "(^| )-static( |$)" " " CMAKE_${kind}_LINKER_FLAGS "${CMAKE_${kind}_LINKER_FLAGS}")
endforeach()

# Cap'n Proto and KJ are static libraries in the mingw prefix; bitbridge-core.dll takes them
# whole and exports them (see bridge-core/CMakeLists.txt), so that a host, its components and a
# client share one KJ (one event loop per thread, one set of type_infos) as they do on Linux.

# Windows 7 API level (GetNamedPipeServerProcessId is Vista+); lean <windows.h>.
add_compile_definitions(WINVER=0x0601 _WIN32_WINNT=0x0601 WIN32_LEAN_AND_MEAN NOMINMAX)
# Auto-export of every symbol of bitbridge-core.dll (and the KJ/Cap'n Proto it contains) makes
# the linker note each auto-imported data symbol; those notes are expected.
add_link_options(-Wl,--enable-auto-import)

# The mingw runtime DLLs this compiler's programs need, copied into the stage's bin/<arch>/ at
# configure time and installed with the hosts.
if(BITBRIDGE_ARCH STREQUAL "x86")
  set(_bitbridge_runtime_dlls libgcc_s_dw2-1.dll libstdc++-6.dll libwinpthread-1.dll)
else()
  set(_bitbridge_runtime_dlls libgcc_s_seh-1.dll libstdc++-6.dll libwinpthread-1.dll)
endif()
set(BITBRIDGE_RUNTIME_DLLS "")
foreach(dll IN LISTS _bitbridge_runtime_dlls)
  execute_process(COMMAND "${CMAKE_CXX_COMPILER}" -print-file-name=${dll}
                  OUTPUT_VARIABLE _path OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT IS_ABSOLUTE "${_path}" OR NOT EXISTS "${_path}")
    # libwinpthread lives in the sysroot, not in the compiler's directory.
    find_file(_path_${dll} ${dll} PATHS "/usr/${BITBRIDGE_MINGW_TRIPLE}/lib" NO_DEFAULT_PATH)
    set(_path "${_path_${dll}}")
  endif()
  if(NOT EXISTS "${_path}")
    message(FATAL_ERROR "bitbridge: ${dll} not found for ${CMAKE_CXX_COMPILER}; run scripts/setup-windows.sh")
  endif()
  list(APPEND BITBRIDGE_RUNTIME_DLLS "${_path}")
endforeach()
unset(_path)

# Debug information outside the images, for what starts with every host: mingw keeps DWARF
# sections inside the PE image (SizeOfImage counts them), and Wine's loader reads a whole image
# into memory when it starts a process or loads a DLL. In RelWithDebInfo libbitbridge-core.dll
# was 40 MB (33 MB of it DWARF), bitbridge-host32.exe 12.5 MB and the staged libstdc++-6.dll
# 21 MB: a host took ~40 ms longer to start under Wine than with the same images without it
# (docs/performance.md, "Windows under Wine"). So, in builds with debug information, a target's
# DWARF moves to <file>.debug next to it after linking, and the image keeps a .gnu_debuglink to
# it (gdb finds it there). The .debug files are not installed.
function(bitbridge_split_debug_info target)
  if(NOT CMAKE_OBJCOPY OR NOT CMAKE_BUILD_TYPE MATCHES "^(Debug|RelWithDebInfo)$")
    return()
  endif()
  add_custom_command(TARGET ${target} POST_BUILD
    COMMAND "${CMAKE_OBJCOPY}" --only-keep-debug "$<TARGET_FILE:${target}>" "$<TARGET_FILE:${target}>.debug"
    COMMAND "${CMAKE_OBJCOPY}" --strip-debug "--add-gnu-debuglink=$<TARGET_FILE:${target}>.debug"
            "$<TARGET_FILE:${target}>"
    WORKING_DIRECTORY "$<TARGET_FILE_DIR:${target}>"
    VERBATIM)
endfunction()

# The mingw runtime DLLs, copied into `destination` without their debug sections (the
# distribution's libstdc++-6.dll carries ~17 MB of DWARF; see above).
function(bitbridge_stage_runtime_dlls destination)
  file(MAKE_DIRECTORY "${destination}")
  foreach(dll IN LISTS BITBRIDGE_RUNTIME_DLLS)
    get_filename_component(_name "${dll}" NAME)
    if(NOT EXISTS "${destination}/${_name}" OR "${dll}" IS_NEWER_THAN "${destination}/${_name}")
      execute_process(COMMAND "${CMAKE_OBJCOPY}" --strip-debug "${dll}" "${destination}/${_name}"
                      RESULT_VARIABLE _rc)
      if(NOT _rc EQUAL 0)
        file(COPY "${dll}" DESTINATION "${destination}")
      endif()
    endif()
  endforeach()
endfunction()
