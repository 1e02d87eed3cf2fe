# forgelink_add_plugin(<target> [OUTPUT_DIRECTORY <dir>] [INSTALL_DESTINATION <dir>] [NO_INSTALL] <sources>...)
#
# A Forgelink provider plugin: a MODULE library named lib<target>.so that links Forgelink::sdk and
# exports nothing but its descriptor (hidden visibility: identically named symbols of two plugins
# must not resolve to whichever loaded first, see PITFALLS). Never link libstdc++ statically into a
# plugin: host and plugins share one C++ runtime.
#
# Defaults come from the including project: inside Forgelink's own tree the library goes to the
# build's plugins/ folder and installs to lib/<multiarch>/forgelink/plugins; a project using the installed SDK
# (find_package(Forgelink)) gets CMake's usual output folder and no install rule unless it passes
# INSTALL_DESTINATION (${FORGELINK_INSTALL_PLUGIN_DIR} is where an installed host looks, relative
# to its prefix). Used both in-tree and from the installed package, so it only needs Forgelink::sdk.
function(forgelink_add_plugin target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "NO_INSTALL" "OUTPUT_DIRECTORY;INSTALL_DESTINATION" "")
  if(NOT arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "forgelink_add_plugin(${target}): no source files given")
  endif()
  add_library(${target} MODULE ${arg_UNPARSED_ARGUMENTS})
  target_link_libraries(${target} PRIVATE Forgelink::sdk)
  set_target_properties(${target} PROPERTIES
    PREFIX "lib"
    SUFFIX ".so"
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  target_compile_features(${target} PRIVATE cxx_std_20)

  set(output_dir "${arg_OUTPUT_DIRECTORY}")
  if(NOT output_dir AND FORGELINK_PLUGIN_OUTPUT_DIRECTORY)
    set(output_dir "${FORGELINK_PLUGIN_OUTPUT_DIRECTORY}")
  endif()
  if(output_dir)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${output_dir}")
  endif()

  set(destination "${arg_INSTALL_DESTINATION}")
  if(NOT destination AND FORGELINK_PLUGIN_INSTALL_DESTINATION)
    set(destination "${FORGELINK_PLUGIN_INSTALL_DESTINATION}")
  endif()
  if(destination AND NOT arg_NO_INSTALL)
    install(TARGETS ${target} LIBRARY DESTINATION "${destination}" COMPONENT plugins)
  endif()
endfunction()
