# Runs a demo (cmake -P) and checks that it exits 0 and prints a line that starts with a match
# of EXPECT.
#   -DDEMO=<executable> -DEXPECT=<regex> [-DARGS=<arg;arg>] [-DEMULATOR=<program>]
# EMULATOR (Windows builds: tools/windows/wine-run.sh) runs DEMO when set.
foreach(var DEMO EXPECT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check_demo.cmake: -D${var}=... is required")
  endif()
endforeach()
execute_process(COMMAND ${EMULATOR} "${DEMO}" ${ARGS} OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
message("${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${DEMO} exited with ${rc}")
endif()
if(NOT "\n${out}" MATCHES "\n${EXPECT}")
  message(FATAL_ERROR "${DEMO}: no line matching '${EXPECT}' in its output")
endif()
