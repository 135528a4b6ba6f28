# Builds and runs tests/consumer/project against concur (MODE=find_package or
# add_subdirectory). Fails on any step's failure, printing its output.
include(${CMAKE_CURRENT_LIST_DIR}/consumer_steps.cmake)

set(build ${WORK_DIR}/${MODE})
file(REMOVE_RECURSE ${build})

if(MODE STREQUAL "find_package")
  set(prefix ${WORK_DIR}/prefix)
  file(REMOVE_RECURSE ${prefix})
  step(${CMAKE_COMMAND} --install ${CONCUR_BINARY_DIR} --prefix ${prefix})
  require_files(${prefix} lib/cmake/concur/concurConfig.cmake
                lib/cmake/concur/concurConfigVersion.cmake lib/pkgconfig/concur.pc
                include/concur/concur.hpp)
  build_consumer(${CONSUMER_SOURCE_DIR} ${build} -DCMAKE_PREFIX_PATH=${prefix}
                 -DCONSUME=find_package)
  step(${build}/consumer)
  message(STATUS "find_package consumer printed: ${step_output}")
  # pkg-config: the same program, compiled by hand with the flags concur.pc gives.
  build_with_pkg_config(${prefix} ${CONSUMER_SOURCE_DIR}/main.cpp ${build}/consumer_pc)
else()
  build_consumer(${CONSUMER_SOURCE_DIR} ${build} -DCONCUR_DIR=${CONCUR_SOURCE_DIR}
                 -DCONSUME=add_subdirectory)
  step(${build}/consumer)
endif()
if(NOT step_output MATCHES "concur [0-9]+\\.[0-9]+\\.[0-9]+")
  message(FATAL_ERROR "consumer printed unexpected output: ${step_output}")
endif()
