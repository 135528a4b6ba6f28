# Install rules: headers, the library, an exported CMake package with a version
# file (find_package(concur CONFIG)), and a pkg-config file.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS concur EXPORT concurTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/concur DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
if(TARGET concur_mpi)  # its own export set: concurConfig.cmake loads it only where MPI is found
  install(TARGETS concur_mpi EXPORT concurMpiTargets
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
          LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
          RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
          INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
endif()

set(CONCUR_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/concur)
install(EXPORT concurTargets NAMESPACE concur:: DESTINATION ${CONCUR_CMAKE_DIR})
if(TARGET concur_mpi)
  install(EXPORT concurMpiTargets NAMESPACE concur:: DESTINATION ${CONCUR_CMAKE_DIR})
endif()
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/concurConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/concurConfig.cmake
                              INSTALL_DESTINATION ${CONCUR_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/concurConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/concurConfig.cmake ${PROJECT_BINARY_DIR}/concurConfigVersion.cmake
        DESTINATION ${CONCUR_CMAKE_DIR})

# The .pc file locates the prefix relative to itself, so the installed tree can move.
file(RELATIVE_PATH CONCUR_PC_TO_PREFIX /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
configure_file(${PROJECT_SOURCE_DIR}/cmake/concur.pc.in ${PROJECT_BINARY_DIR}/concur.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/concur.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
