# Uses shine from a separate project in the three ways the README documents, each built and run:
#  1. find_package(shine) against a staged `cmake --install` prefix;
#  2. add_subdirectory(shine) with the sources in the consumer's tree;
#  3. pkg-config (static linking) against the same prefix.
# Called by CTest with -DBUILD_DIR=... -DSOURCE_DIR=... -DWORK_DIR=...
set(data "${SOURCE_DIR}/datasets/spamassassin/spamassassin.uni.svm.xz")

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc})")
  endif()
endfunction()

file(REMOVE_RECURSE "${WORK_DIR}")
run("cmake --install" "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${WORK_DIR}/prefix")

# 1. find_package
run("configuring the consumer against the installed package"
    "${CMAKE_COMMAND}" -S "${SOURCE_DIR}/tests/install_consumer" -B "${WORK_DIR}/package"
    -DCMAKE_BUILD_TYPE=Release "-DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix")
run("building the find_package consumer" "${CMAKE_COMMAND}" --build "${WORK_DIR}/package")
run("the find_package consumer" "${WORK_DIR}/package/consumer"
    "${WORK_DIR}/prefix/share/shine/datasets/spamassassin/spamassassin.uni.svm.xz")

# 2. add_subdirectory
run("configuring the add_subdirectory consumer"
    "${CMAKE_COMMAND}" -S "${SOURCE_DIR}/tests/install_consumer" -B "${WORK_DIR}/subdirectory"
    -DCMAKE_BUILD_TYPE=Release "-DSHINE_SOURCE_DIR=${SOURCE_DIR}")
run("building the add_subdirectory consumer"
    "${CMAKE_COMMAND}" --build "${WORK_DIR}/subdirectory" --parallel 2)
run("the add_subdirectory consumer" "${WORK_DIR}/subdirectory/consumer" "${data}")

# 3. pkg-config
find_program(PKG_CONFIG pkg-config)
if(PKG_CONFIG)
  file(GLOB_RECURSE pc_files "${WORK_DIR}/prefix/*/shine.pc")
  list(GET pc_files 0 pc_file)
  get_filename_component(pc_dir "${pc_file}" DIRECTORY)
  set(ENV{PKG_CONFIG_PATH} "${pc_dir}")
  execute_process(COMMAND "${PKG_CONFIG}" --define-prefix --cflags --libs --static shine
                  OUTPUT_VARIABLE flags OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "pkg-config could not read shine.pc")
  endif()
  separate_arguments(flags UNIX_COMMAND "${flags}")
  run("compiling with pkg-config flags" c++ -O2 "${SOURCE_DIR}/tests/install_consumer/main.cpp"
      -o "${WORK_DIR}/pkgconfig-consumer" ${flags})
  run("the pkg-config consumer" "${WORK_DIR}/pkgconfig-consumer" "${data}")
else()
  message(STATUS "pkg-config not found: skipping the pkg-config consumer")
endif()
file(REMOVE_RECURSE "${WORK_DIR}")
