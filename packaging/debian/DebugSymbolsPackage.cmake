# Run by CPack after it writes the .deb (CPACK_POST_BUILD_SCRIPTS): builds
# tillbridge-dbgsym_<version>_<arch>.ddeb beside it, holding the debug info
# of the unstripped build of tillbridge under /usr/lib/debug/.build-id, as
# Debian's own dbgsym packages do, so gdb and systemd-coredump find it for
# the stripped binary in the .deb.
#
# CPack's own CPACK_DEBIAN_DEBUGINFO_PACKAGE is not used: in CMake 3.25 it
# writes md5sums with absolute build paths and no doc folder, which dpkg
# --verify and lintian reject, and repairing it costs a second compression.
#
# Inputs (CPack variables): CPACK_TILLBRIDGE_DBGSYM (ON/OFF),
# CPACK_TILLBRIDGE_BINARY_PATH_FILE (a file naming the unstripped binary),
# CPACK_DEBIAN_PACKAGE_NAME, CPACK_DEBIAN_PACKAGE_MAINTAINER.
if(NOT CPACK_TILLBRIDGE_DBGSYM)
  return()
endif()

set(package_name "${CPACK_DEBIAN_PACKAGE_NAME}")
set(main_deb "")
foreach(package_file IN LISTS CPACK_PACKAGE_FILES)
  if(package_file MATCHES "/${package_name}_[^/]*\\.deb$")
    set(main_deb "${package_file}")
  endif()
endforeach()
if(NOT main_deb)
  message(FATAL_ERROR "no ${package_name}_*.deb among ${CPACK_PACKAGE_FILES}")
endif()

file(READ "${CPACK_TILLBRIDGE_BINARY_PATH_FILE}" binary)
string(STRIP "${binary}" binary)
find_program(objcopy NAMES objcopy REQUIRED)
find_program(readelf NAMES readelf REQUIRED)

function(deb_field name out)
  execute_process(COMMAND dpkg-deb -f "${main_deb}" ${name}
    OUTPUT_VARIABLE value OUTPUT_STRIP_TRAILING_WHITESPACE COMMAND_ERROR_IS_FATAL ANY)
  set(${out} "${value}" PARENT_SCOPE)
endfunction()
deb_field(Version version)
deb_field(Architecture arch)

execute_process(COMMAND "${readelf}" -n "${binary}"
  OUTPUT_VARIABLE notes COMMAND_ERROR_IS_FATAL ANY)
if(NOT notes MATCHES "Build ID: ([0-9a-f]+)")
  message(FATAL_ERROR "${binary} has no build id; link with --build-id")
endif()
set(build_id "${CMAKE_MATCH_1}")
string(SUBSTRING "${build_id}" 0 2 id_dir)
string(SUBSTRING "${build_id}" 2 -1 id_file)

# CPack moves the .deb from its staging folder into this one afterwards.
set(out_dir "${CPACK_PACKAGE_DIRECTORY}")
set(tree "${out_dir}/_CPack_Packages/dbgsym-tree")
file(REMOVE_RECURSE "${tree}")
set(debug_file "usr/lib/debug/.build-id/${id_dir}/${id_file}.debug")
get_filename_component(debug_dir "${tree}/${debug_file}" DIRECTORY)
file(MAKE_DIRECTORY "${debug_dir}" "${tree}/DEBIAN" "${tree}/usr/share/doc")
execute_process(COMMAND "${objcopy}" --only-keep-debug --compress-debug-sections
                        "${binary}" "${tree}/${debug_file}" COMMAND_ERROR_IS_FATAL ANY)
file(CHMOD "${tree}/${debug_file}" FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
# Debian's dbgsym packages share the main package's copyright and changelog.
file(CREATE_LINK "${package_name}" "${tree}/usr/share/doc/${package_name}-dbgsym" SYMBOLIC)

file(MD5 "${tree}/${debug_file}" digest)
file(WRITE "${tree}/DEBIAN/md5sums" "${digest}  ${debug_file}\n")
file(SIZE "${tree}/${debug_file}" bytes)
math(EXPR kib "(${bytes} + 1023) / 1024")
file(WRITE "${tree}/DEBIAN/control"
"Package: ${package_name}-dbgsym
Version: ${version}
Architecture: ${arch}
Maintainer: ${CPACK_DEBIAN_PACKAGE_MAINTAINER}
Installed-Size: ${kib}
Depends: ${package_name} (= ${version})
Section: debug
Priority: optional
Description: debug symbols for ${package_name}
Build-Ids: ${build_id}
Auto-Built-Package: debug-symbols
Package-Type: ddeb
")
foreach(control md5sums control)
  file(CHMOD "${tree}/DEBIAN/${control}" FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
endforeach()

set(ddeb "${out_dir}/${package_name}-dbgsym_${version}_${arch}.ddeb")
# xz level 1: nearly the size of the default level, a tenth of its time.
execute_process(COMMAND dpkg-deb --root-owner-group -Zxz -z1 -b "${tree}" "${ddeb}"
  OUTPUT_QUIET COMMAND_ERROR_IS_FATAL ANY)
file(REMOVE_RECURSE "${tree}")
message(STATUS "Debug symbols: ${ddeb}")
