# Installs concur, builds tests/consumer/mpi_project against the installed concur::mpi and runs
# it without a launcher and under `mpirun -np 3` (MPIRUN; the environment comes from ctest).
include(${CMAKE_CURRENT_LIST_DIR}/consumer_steps.cmake)

set(prefix ${WORK_DIR}/mpi_prefix)
set(build ${WORK_DIR}/mpi_consumer)
file(REMOVE_RECURSE ${prefix} ${build})
step(${CMAKE_COMMAND} --install ${CONCUR_BINARY_DIR} --prefix ${prefix})
require_files(${prefix} concurMpiTargets.cmake)
build_consumer(${CONSUMER_SOURCE_DIR} ${build} -DCMAKE_PREFIX_PATH=${prefix})
step(${build}/mpi_consumer)
if(NOT step_output MATCHES "concur::mpi size 1 sum 285")
  message(FATAL_ERROR "consumer (no launcher) printed: ${step_output}")
endif()
step(${MPIRUN} --oversubscribe -np 3 ${build}/mpi_consumer)
if(NOT step_output MATCHES "concur::mpi size 3 sum 285")
  message(FATAL_ERROR "consumer (mpirun -np 3) printed: ${step_output}")
endif()
message(STATUS "mpi consumer printed: ${step_output}")
