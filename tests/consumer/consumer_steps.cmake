# The steps the consumer scripts share (consume.cmake, consume_mpi.cmake and
# tests/release/deb_test.cmake, each run with cmake -P): run a command, check an installed tree,
# build a consumer project with the compiler and flags of concur's own build (CXX, CXX_FLAGS,
# LINKER_FLAGS, BUILD_TYPE), compile one with pkg-config's flags.

# Runs the command; fails the script with its output unless it exits 0. Its stdout is left in
# step_output.
function(step)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "step failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  set(step_output "${out}" PARENT_SCOPE)
endfunction()

# Fails unless every file name or relative path is found somewhere under `root`.
function(require_files root)
  foreach(f ${ARGN})
    file(GLOB_RECURSE found ${root}/*/${f} ${root}/${f})
    if(NOT found)
      message(FATAL_ERROR "the installed tree ${root} lacks ${f}")
    endif()
  endforeach()
endfunction()

# Configures the consumer project `source` in `build` (extra arguments go to cmake) and builds it.
function(build_consumer source build)
  step(${CMAKE_COMMAND} -S ${source} -B ${build} -G Ninja -DCMAKE_CXX_COMPILER=${CXX}
       "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}" "-DCMAKE_EXE_LINKER_FLAGS=${LINKER_FLAGS}"
       -DCMAKE_BUILD_TYPE=${BUILD_TYPE} ${ARGN})
  step(${CMAKE_COMMAND} --build ${build})
endfunction()

# Compiles `main` into `out` by hand with the flags of the concur.pc found under `root`, runs it
# (step_output: what it printed).
function(build_with_pkg_config root main out)
  file(GLOB_RECURSE pcfile ${root}/*/concur.pc ${root}/concur.pc)
  if(NOT pcfile)
    message(FATAL_ERROR "no concur.pc under ${root}")
  endif()
  list(GET pcfile 0 pcfile)
  get_filename_component(pcdir ${pcfile} DIRECTORY)
  set(ENV{PKG_CONFIG_PATH} ${pcdir})
  step(pkg-config --cflags --libs concur)
  string(STRIP "${step_output}" pcflags)
  separate_arguments(pcflags UNIX_COMMAND "${pcflags}")
  separate_arguments(extra UNIX_COMMAND "${CXX_FLAGS} ${LINKER_FLAGS}")
  step(${CXX} ${extra} ${main} -o ${out} ${pcflags})
  step(${out})
  set(step_output "${step_output}" PARENT_SCOPE)
endfunction()
