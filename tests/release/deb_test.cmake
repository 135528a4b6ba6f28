# Packs this build as a .deb (CPack), unpacks it into a scratch root (dpkg-deb -x), checks its
# contents and metadata, then builds and runs tests/consumer/project against the unpacked tree
# through find_package(concur) and through pkg-config.
include(${CMAKE_CURRENT_LIST_DIR}/../consumer/consumer_steps.cmake)

file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
step(cpack -G DEB --config ${CONCUR_BINARY_DIR}/CPackConfig.cmake -B ${WORK_DIR}/pkg)
file(GLOB deb ${WORK_DIR}/pkg/concur_${VERSION}_*.deb)
if(NOT deb)
  message(FATAL_ERROR "cpack made no concur_${VERSION}_*.deb in ${WORK_DIR}/pkg")
endif()
step(dpkg-deb -f ${deb} Package Version Depends)
message(STATUS "control: ${step_output}")
if(NOT step_output MATCHES "Version: ${VERSION}" OR NOT step_output MATCHES "libcereal-dev")
  message(FATAL_ERROR "unexpected control fields:\n${step_output}")
endif()
set(root ${WORK_DIR}/root)
step(dpkg-deb -x ${deb} ${root})
require_files(${root} usr/bin/concur usr/include/concur/concur.hpp usr/share/man/man1/concur.1
              usr/share/man/man1/concur-run.1 usr/share/bash-completion/completions/concur)
require_files(${root}/usr/lib concurConfig.cmake concurConfigVersion.cmake concur.pc)
step(${root}/usr/bin/concur --version)
if(NOT step_output MATCHES "${VERSION}")
  message(FATAL_ERROR "concur --version says '${step_output}', not ${VERSION}")
endif()

build_consumer(${CONSUMER_SOURCE_DIR} ${WORK_DIR}/consumer -DCMAKE_PREFIX_PATH=${root}/usr
               -DCONSUME=find_package)
step(${WORK_DIR}/consumer/consumer)
build_with_pkg_config(${root}/usr ${CONSUMER_SOURCE_DIR}/main.cpp ${WORK_DIR}/consumer_pc)
step(pkg-config --modversion concur)  # the concur.pc build_with_pkg_config found
if(NOT step_output MATCHES "${VERSION}")
  message(FATAL_ERROR "pkg-config --modversion concur says '${step_output}', not ${VERSION}")
endif()
message(STATUS "the .deb installs and the consumer builds against it: ${deb}")
