# Installs the plugin SDK (component "sdk"): the headers, the exported Forgelink::sdk and
# Forgelink::plugin_support targets and a package config that gives out-of-tree plugins
# find_package(Forgelink) and forgelink_add_plugin().
include(CMakePackageConfigHelpers)

set(FORGELINK_INSTALL_CMAKE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/Forgelink")

install(DIRECTORY "${PROJECT_SOURCE_DIR}/core/include/forgelink"
  DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}"
  COMPONENT sdk
  FILES_MATCHING PATTERN "*.h" PATTERN "*.hpp" PATTERN "*.inc")
install(TARGETS forgelink_sdk forgelink_plugin_support EXPORT ForgelinkTargets
  ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}"
  COMPONENT sdk)
install(EXPORT ForgelinkTargets
  NAMESPACE Forgelink::
  DESTINATION "${FORGELINK_INSTALL_CMAKE_DIR}"
  COMPONENT sdk)

configure_package_config_file("${CMAKE_CURRENT_LIST_DIR}/ForgelinkConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/cmake/ForgelinkConfig.cmake"
  INSTALL_DESTINATION "${FORGELINK_INSTALL_CMAKE_DIR}")
# Same major version, at least the one asked for: the ABI version guards the rest at load time.
write_basic_package_version_file("${PROJECT_BINARY_DIR}/cmake/ForgelinkConfigVersion.cmake"
  VERSION "${PROJECT_VERSION}"
  COMPATIBILITY SameMajorVersion)
install(FILES
  "${PROJECT_BINARY_DIR}/cmake/ForgelinkConfig.cmake"
  "${PROJECT_BINARY_DIR}/cmake/ForgelinkConfigVersion.cmake"
  "${CMAKE_CURRENT_LIST_DIR}/ForgelinkAddPlugin.cmake"
  DESTINATION "${FORGELINK_INSTALL_CMAKE_DIR}"
  COMPONENT sdk)
