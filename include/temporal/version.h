/* temporal-c version: the single source of the version number (CMake reads it). */
#ifndef TEMPORAL_VERSION_H
#define TEMPORAL_VERSION_H

#define TEMPORAL_VERSION_MAJOR 0
#define TEMPORAL_VERSION_MINOR 2
#define TEMPORAL_VERSION_PATCH 0
#define TEMPORAL_VERSION_STRING "0.2.0"

/* 0xMMmmpp: compare with TEMPORAL_VERSION_CHECK. */
#define TEMPORAL_VERSION_HEX \
  ((TEMPORAL_VERSION_MAJOR << 16) | (TEMPORAL_VERSION_MINOR << 8) | TEMPORAL_VERSION_PATCH)
/* True when the headers are at least version major.minor.patch. */
#define TEMPORAL_VERSION_CHECK(major, minor, patch) \
  (TEMPORAL_VERSION_HEX >= (((major) << 16) | ((minor) << 8) | (patch)))

#endif
