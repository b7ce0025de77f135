# One interface target carries the project's warnings and hardening flags;
# every project target links it.
add_library(tillbridge_warnings INTERFACE)
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
target_link_options(tillbridge_warnings INTERFACE -pie -Wl,-z,relro,-z,now)

if(TILLBRIDGE_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
