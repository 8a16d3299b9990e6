# cmake -DPROGRAM=... -DARGS="word word" -DOUTPUT=file -P write_output.cmake
# Writes PROGRAM's standard output to OUTPUT (replaced only when the program succeeds): how the
# build turns `ppcs-cluster __manpage` and `ppcs-cluster completion bash` into files.
separate_arguments(args UNIX_COMMAND "${ARGS}")
execute_process(COMMAND "${PROGRAM}" ${args} OUTPUT_FILE "${OUTPUT}.new" RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  file(REMOVE "${OUTPUT}.new")
  message(FATAL_ERROR "${PROGRAM} ${ARGS} failed: ${result}")
endif()
file(RENAME "${OUTPUT}.new" "${OUTPUT}")
