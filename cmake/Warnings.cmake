# One interface target carries the project's warnings and hardening flags;
# every project target links it.
add_library(tillbridge_warnings INTERFACE)
if(MSVC)
  # The MSVC + vcpkg build (docs/install.md; not built by this project's CI).
  target_compile_options(tillbridge_warnings INTERFACE /W4 /WX /permissive- /utf-8 /guard:cf /sdl)
  target_compile_definitions(tillbridge_warnings INTERFACE
    NOMINMAX WIN32_LEAN_AND_MEAN _WIN32_WINNT=0x0602)
  target_link_options(tillbridge_warnings INTERFACE /guard:cf /DYNAMICBASE /HIGHENTROPYVA /NXCOMPAT)
  return()
endif()
target_compile_options(tillbridge_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Werror
  # Config key tables list only the fields that matter for each key.
  -Wno-missing-field-initializers
  -fstack-protector-strong)
if(NOT TILLBRIDGE_SANITIZE)
  # _FORTIFY_SOURCE needs optimisation and conflicts with ASan interceptors.
  target_compile_definitions(tillbridge_warnings INTERFACE
    $<$<NOT:$<CONFIG:Debug>>:_FORTIFY_SOURCE=2>)
endif()
if(WIN32)
  # PE hardening: ASLR (64-bit entropy) and DEP; the stack protector's
  # runtime (libssp) is linked by the flag itself.
  target_link_options(tillbridge_warnings INTERFACE
    -fstack-protector-strong -Wl,--dynamicbase,--high-entropy-va,--nxcompat)
  # Windows headers: no min/max macros, Unicode-aware APIs, Windows 8+.
  target_compile_definitions(tillbridge_warnings INTERFACE
    NOMINMAX WIN32_LEAN_AND_MEAN _WIN32_WINNT=0x0602)
else()
  target_link_options(tillbridge_warnings INTERFACE -pie -Wl,-z,relro,-z,now)
endif()

if(TILLBRIDGE_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
