# `cmake --install` of the python component into a fresh prefix, then `import shine` from
# <prefix>/<SHINE_PYTHON_INSTALL_DIR>: the package found must be the installed one.
# Variables: BUILD_DIR, WORK_DIR, PYTHON, INSTALL_DIR.
file(REMOVE_RECURSE "${WORK_DIR}")
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${WORK_DIR}"
                        --component python
                RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "cmake --install --component python failed (${result})")
endif()
set(site "${WORK_DIR}/${INSTALL_DIR}")
execute_process(
  COMMAND "${CMAKE_COMMAND}" -E env --unset=PYTHONPATH "PYTHONPATH=${site}" "${PYTHON}" -c
          "import shine, numpy; print(shine.__file__); X = numpy.eye(4); y = [0, 1, 0, 1]; print(shine.fit(X, y, 1.0)['termination'])"
  RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE errors)
message(STATUS "${output}${errors}")
if(NOT result EQUAL 0)
  message(FATAL_ERROR "importing the installed package failed (${result})")
endif()
string(FIND "${output}" "${site}/shine/__init__.py\nconverged" at)
if(NOT at EQUAL 0)
  message(FATAL_ERROR "the package imported is not the one installed in ${site}")
endif()
