# Read by cpack (CPACK_PROJECT_CONFIG_FILE) before it writes each package.
# Each package's Description is its own synopsis line and paragraphs (CPACK_DEBIAN_<GROUP>_DESCRIPTION).
# CPack's DEB generator prepends CPACK_PACKAGE_DESCRIPTION_SUMMARY (the project's DESCRIPTION) to
# them unless it is CPack's default text, which would give each package a second synopsis (lintian:
# description-synopsis-is-duplicated): make it the default text again.
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${CPACK_DEFAULT_PACKAGE_DESCRIPTION_SUMMARY}")
