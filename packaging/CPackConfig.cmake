# Packaging. On Linux: the Debian package (CPack DEB), built by
#   cmake --build <dir> --target package      (or scripts/package.sh)
# On Windows: the agent's DLLs beside tillbridge.exe in the install tree,
# from which packaging/windows/build-msi.sh (wixl) or WiX makes the MSI.
#
# The Debian package holds two install components in one .deb:
#   agent   the tillbridge executable (everything the agent's modules build
#           is linked into it)
#   system  files that only make sense in a system package (/etc, the
#           systemd unit, man page, docs)
# Both are EXCLUDE_FROM_ALL, so a plain `cmake --install` never writes to
# /etc. Other install rules of the tree (the reference cloud, the register
# simulator) stay out of the package; to ship a file, install it with
# COMPONENT agent or system.

set(TILLBRIDGE_PACKAGE_REVISION "1" CACHE STRING
    "Package revision appended to the version (Debian: 0.1.0-<revision>)")
set(TILLBRIDGE_PACKAGE_MAINTAINER "Tillbridge Developers <dev@tillbridge.invalid>" CACHE STRING
    "Maintainer field of the packages")
set(TILLBRIDGE_PACKAGE_HOMEPAGE "https://tillbridge.invalid/" CACHE STRING
    "Homepage field of the packages")

set(CPACK_PACKAGE_NAME tillbridge)
set(CPACK_PACKAGE_VENDOR "Tillbridge")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${TILLBRIDGE_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "agent linking a POS register to a cloud SMS platform")
set(CPACK_PACKAGE_DESCRIPTION
"Tillbridge runs beside a retail point-of-sale register. It reads every
transaction the register makes, from the POS database or by tapping the
receipt printer's serial or network port, keeps each customer's SMS consent
in a local SQLite store that keeps working offline, and syncs both ways with
a cloud SMS platform.

This package runs the agent as a hardened systemd service under the system
user tillbridge, with its configuration in /etc/tillbridge and its store in
/var/lib/tillbridge.")
set(CPACK_PACKAGE_DIRECTORY ${CMAKE_BINARY_DIR}/packages)
set(CPACK_SOURCE_GENERATOR "")

if(WIN32)
  # The MSI needs every DLL the agent loads that Windows does not ship:
  # packaging/windows/InstallDlls.cmake copies them beside tillbridge.exe at
  # install time. They are found in the dependency prefix's bin/ and the
  # compiler's runtime folder when cross-building, vcpkg's folders with MSVC.
  set(tb_dll_dirs "$<TARGET_FILE_DIR:tillbridge>")
  set(tb_objdump "")
  if(CMAKE_CROSSCOMPILING)
    list(APPEND tb_dll_dirs "${TILLBRIDGE_WINDOWS_DEPS}/bin" "${TILLBRIDGE_MINGW_RUNTIME_DIR}")
    find_program(TILLBRIDGE_OBJDUMP NAMES x86_64-w64-mingw32-objdump REQUIRED)
    set(tb_objdump "${TILLBRIDGE_OBJDUMP}")
  endif()
  install(CODE "
    set(TB_EXECUTABLE \"$<TARGET_FILE:tillbridge>\")
    set(TB_DLL_DIRS \"${tb_dll_dirs}\")
    set(TB_OBJDUMP \"${tb_objdump}\")
    set(TB_SYSTEM_DLLS \"${TILLBRIDGE_WINDOWS_SYSTEM_DLLS}\")")
  install(SCRIPT ${CMAKE_CURRENT_LIST_DIR}/windows/InstallDlls.cmake)
  return()
endif()

if(NOT CMAKE_SYSTEM_NAME STREQUAL "Linux")
  return()
endif()

set(tb_pkg_src ${CMAKE_CURRENT_LIST_DIR}/debian)
install(TARGETS tillbridge RUNTIME DESTINATION bin COMPONENT agent EXCLUDE_FROM_ALL)
set(tb_pkg_out ${CMAKE_BINARY_DIR}/packaging)

# Debian wants the man page and the changelog compressed with gzip -9n (no
# timestamp, so the package is reproducible). Not VERBATIM: the shell does
# the redirection.
set(tb_gzipped)
foreach(pair "tillbridge.1:tillbridge.1.gz" "changelog:changelog.Debian.gz")
  string(REPLACE ":" ";" pair "${pair}")
  list(GET pair 0 tb_in)
  list(GET pair 1 tb_out)
  add_custom_command(OUTPUT ${tb_pkg_out}/${tb_out}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${tb_pkg_out}
    COMMAND gzip -9n -c ${tb_pkg_src}/${tb_in} > ${tb_pkg_out}/${tb_out}
    DEPENDS ${tb_pkg_src}/${tb_in}
    COMMENT "Compressing ${tb_out}")
  list(APPEND tb_gzipped ${tb_pkg_out}/${tb_out})
endforeach()
add_custom_target(tillbridge_package_files ALL DEPENDS ${tb_gzipped})

# The top changelog entry must name the version being packaged.
execute_process(COMMAND dpkg-parsechangelog -l ${tb_pkg_src}/changelog -S Version
  OUTPUT_VARIABLE tb_changelog_version OUTPUT_STRIP_TRAILING_WHITESPACE
  RESULT_VARIABLE tb_changelog_result ERROR_QUIET)
set(tb_package_version "${PROJECT_VERSION}-${TILLBRIDGE_PACKAGE_REVISION}")
if(tb_changelog_result EQUAL 0 AND NOT tb_changelog_version STREQUAL tb_package_version)
  message(WARNING "packaging/debian/changelog starts with ${tb_changelog_version} but the "
                  "package is ${tb_package_version}: add a changelog entry")
endif()

install(FILES ${tb_pkg_src}/tillbridge.ini
  DESTINATION /etc/tillbridge COMPONENT system EXCLUDE_FROM_ALL)
install(FILES ${tb_pkg_src}/default RENAME tillbridge
  DESTINATION /etc/default COMPONENT system EXCLUDE_FROM_ALL)
install(FILES ${tb_pkg_src}/tillbridge.service
  DESTINATION /lib/systemd/system COMPONENT system EXCLUDE_FROM_ALL)
install(FILES ${tb_pkg_src}/modules-load.conf RENAME tillbridge.conf
  DESTINATION /usr/lib/modules-load.d COMPONENT system EXCLUDE_FROM_ALL)
install(FILES ${tb_pkg_out}/tillbridge.1.gz
  DESTINATION /usr/share/man/man1 COMPONENT system EXCLUDE_FROM_ALL)
install(FILES ${tb_pkg_src}/copyright ${tb_pkg_out}/changelog.Debian.gz
  DESTINATION /usr/share/doc/tillbridge COMPONENT system EXCLUDE_FROM_ALL)
install(FILES ${tb_pkg_src}/lintian-overrides RENAME tillbridge
  DESTINATION /usr/share/lintian/overrides COMPONENT system EXCLUDE_FROM_ALL)
# Operator documentation; docs/architecture.md is for developers.
file(GLOB tb_docs ${PROJECT_SOURCE_DIR}/docs/*.md)
list(FILTER tb_docs EXCLUDE REGEX "/architecture\\.md$")
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${tb_docs}
  DESTINATION /usr/share/doc/tillbridge COMPONENT system EXCLUDE_FROM_ALL)
if(IS_DIRECTORY ${PROJECT_SOURCE_DIR}/examples/receipt-templates)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/examples/receipt-templates
    DESTINATION /usr/share/doc/tillbridge/examples COMPONENT system EXCLUDE_FROM_ALL)
endif()

set(CPACK_GENERATOR DEB)
# Absolute destinations (/etc, /lib/systemd) go into the package root.
set(CPACK_SET_DESTDIR ON)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_INSTALL_PREFIX /usr)
# The .deb gets a stripped binary; its debug info goes into
# tillbridge-dbgsym_*.ddeb (for reading field crash dumps), made from the
# unstripped build after CPack is done.
set(CPACK_STRIP_FILES ON)
file(GENERATE OUTPUT ${tb_pkg_out}/tillbridge-binary-path.txt CONTENT "$<TARGET_FILE:tillbridge>\n")
set(CPACK_TILLBRIDGE_DBGSYM ON)
set(CPACK_TILLBRIDGE_BINARY_PATH_FILE ${tb_pkg_out}/tillbridge-binary-path.txt)
set(CPACK_POST_BUILD_SCRIPTS ${tb_pkg_src}/DebugSymbolsPackage.cmake)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_GROUPING ALL_COMPONENTS_IN_ONE)
set(CPACK_COMPONENTS_ALL agent system)

set(CPACK_DEBIAN_PACKAGE_NAME tillbridge)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE ${TILLBRIDGE_PACKAGE_REVISION})
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${TILLBRIDGE_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "${TILLBRIDGE_PACKAGE_HOMEPAGE}")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Library dependencies come from dpkg-shlibdeps; these are what the
# maintainer scripts and the POS time zones need.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, tzdata")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${tb_pkg_src}/postinst ${tb_pkg_src}/prerm ${tb_pkg_src}/postrm ${tb_pkg_src}/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)
# Compress with xz on every core.
set(CPACK_THREADS 0)

include(CPack)
