# Installs the SDK from a Forgelink build, builds tests/sdk/out_of_tree_plugin against it as a third
# party would, installs that plugin next to the SDK and loads it with forgelink_plugin_check.
# Run with: cmake -DFORGELINK_BUILD_DIR=... -DPLUGIN_SOURCE_DIR=... -DCHECKER=... -DGENERATOR=...
#                 -DCXX_COMPILER=... -DBUILD_TYPE=... -DLIBDIR=lib/... [-DNM=...] -P out_of_tree_test.cmake
foreach(required FORGELINK_BUILD_DIR PLUGIN_SOURCE_DIR CHECKER GENERATOR CXX_COMPILER LIBDIR)
  if(NOT DEFINED ${required})
    message(FATAL_ERROR "out_of_tree_test.cmake: -D${required}=... is required")
  endif()
endforeach()

set(temp_root "$ENV{TMPDIR}")
if(NOT temp_root)
  set(temp_root "/tmp")
endif()
string(RANDOM LENGTH 12 ALPHABET "abcdefghijklmnopqrstuvwxyz0123456789" suffix)
set(work "${temp_root}/forgelink-sdk-test-${suffix}")
file(MAKE_DIRECTORY "${work}")
set(prefix "${work}/prefix")

function(run step)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${step} failed (exit ${rc}); work dir kept: ${work}\n${out}\n${err}")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
endfunction()

run("installing the SDK" "${CMAKE_COMMAND}" --install "${FORGELINK_BUILD_DIR}" --prefix "${prefix}" --component sdk)
foreach(file include/forgelink/abi.h include/forgelink/plugin.hpp include/forgelink/provider.hpp
             include/forgelink/support/http_text.hpp include/forgelink/support/json_fields.hpp
             include/forgelink/support/json_select.hpp include/forgelink/support/provider_helpers.hpp
             include/forgelink/support/url.hpp
             ${LIBDIR}/cmake/Forgelink/ForgelinkConfig.cmake ${LIBDIR}/cmake/Forgelink/ForgelinkConfigVersion.cmake)
  if(NOT EXISTS "${prefix}/${file}")
    message(FATAL_ERROR "the SDK install lacks ${file} (under ${prefix})")
  endif()
endforeach()

run("configuring the out-of-tree plugin" "${CMAKE_COMMAND}" -S "${PLUGIN_SOURCE_DIR}" -B "${work}/build"
    -G "${GENERATOR}" "-DCMAKE_PREFIX_PATH=${prefix}" "-DCMAKE_INSTALL_PREFIX=${prefix}"
    "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}" "-DCMAKE_BUILD_TYPE=${BUILD_TYPE}")
run("building the out-of-tree plugin" "${CMAKE_COMMAND}" --build "${work}/build" --parallel 2)
run("installing the out-of-tree plugin" "${CMAKE_COMMAND}" --install "${work}/build")

set(plugin "${prefix}/${LIBDIR}/forgelink/plugins/libforgelink_hello.so")
if(NOT EXISTS "${plugin}")
  message(FATAL_ERROR "expected the plugin at ${plugin}; work dir kept: ${work}")
endif()

if(NM)
  run("listing the plugin's dynamic symbols" "${NM}" -D --defined-only "${plugin}")
  if(last_output MATCHES "helperThatMustStayHidden")
    message(FATAL_ERROR "forgelink_add_plugin left internal symbols visible:\n${last_output}")
  endif()
  if(last_output MATCHES "splitBaseUrl")
    message(FATAL_ERROR "Forgelink::plugin_support's symbols are visible from the plugin:\n${last_output}")
  endif()
  if(NOT last_output MATCHES "forgelink_plugin_entry")
    message(FATAL_ERROR "the plugin does not export forgelink_plugin_entry:\n${last_output}")
  endif()
endif()

# Load it from the installed plugin directory, as an installed host would.
run("loading the plugin" "${CHECKER}" "${prefix}/${LIBDIR}/forgelink/plugins")
if(NOT last_output MATCHES "^out-of-tree-hello 0\\.3\\.0 abi=2 caps=token_validation secret_prefixes=hello_pat_ path=[^\n]*/libforgelink_hello\\.so\n$")
  message(FATAL_ERROR "unexpected checker output:\n${last_output}")
endif()
message(STATUS "loaded: ${last_output}")

# The same file made writable by others: refused, with the reason, and a failing exit status.
file(CHMOD "${plugin}" PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ WORLD_READ WORLD_WRITE)
execute_process(COMMAND "${CHECKER}" "${plugin}" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc EQUAL 0 OR NOT err MATCHES "refused: [^\n]*libforgelink_hello\\.so: it is writable by others \\(mode 0746\\)")
  message(FATAL_ERROR "a world-writable plugin was not refused (exit ${rc}):\n${out}\n${err}")
endif()
file(REMOVE_RECURSE "${work}")
