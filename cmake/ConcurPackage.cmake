# `make package`: a Debian package (CPack DEB) with the library, headers, CMake package,
# pkg-config file, the `concur` command, its man pages and bash completion.
# `apt-get install ./concur_<version>_<arch>.deb` pulls the run-time and header dependencies.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME concur)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_DESCRIPTION
    "C++20 library with Python's subprocess, threading, concurrent.futures and multiprocessing\n\
APIs on Linux, and the `concur` command: a parallel job and test runner (GNU parallel, ctest,\n\
gtest-parallel and pytest-xdist in one) and a walkthrough of the library's experiments.")
set(CPACK_PACKAGE_VENDOR "concur developers")
set(CPACK_PACKAGE_CONTACT "concur developers <concur-dev@localhost>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)          # concur_0.2.0_amd64.deb
set(CPACK_DEBIAN_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)           # libc6, libstdc++6, libfmt... from the binaries
# Headers include cereal; the CMake package finds Threads and cereal. libcrypto (libssl3) is
# dlopen()ed by Listener/Client authentication, so shlibdeps cannot see it.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libcereal-dev, libssl3")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "bash-completion")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "python3, parallel")
set(CPACK_STRIP_FILES ON)
include(CPack)
