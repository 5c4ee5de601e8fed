#pragma once

#include <string>

#include "caf/error.hpp"
#include "caf/expected.hpp"

#include "replication/state_machine.hpp"

namespace ooo::storage::replication {

/// A snapshot made of the files of a directory, e.g. a RocksDB checkpoint: the state
/// machine's `snapshot` packs the checkpoint it just made, its `restore` unpacks the image
/// into a fresh directory and opens the store from there.
///
/// Layout: the first chunk lists the files (an 8-byte tag with the format version, the file
/// count, then each file's relative path and size); one chunk per file follows with its bytes,
/// so that packing copies each file once and never into one big buffer. A restore receives the
/// chunks concatenated (libraft stores and sends them that way) and finds the files by the
/// sizes in the list.

/// Reads every regular file under `dir` (recursively, in a stable order) into an image.
/// `snapshot_failed` naming the directory or file that cannot be read.
caf::expected<snapshot_image> pack_files(const std::string& dir);

/// Writes the files of an image made by `pack_files` under `dir`, which must not exist or be
/// empty. `snapshot_failed` saying what is wrong when the image is not one (wrong tag,
/// truncated, sizes that do not add up, a path that is absolute or climbs out with `..`), or
/// naming the file that cannot be written. Nothing is written for an image that is not one.
caf::error unpack_files(const bytes& image, const std::string& dir);

} // namespace ooo::storage::replication
