#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "caf/expected.hpp"

#include "messages/object.hpp"

namespace ooo::storage {

/// The version written into every record and into the metadata record. A reader refuses any
/// other version with `corrupt_record` instead of guessing.
constexpr uint64_t record_format = 1;

/// The largest `data` a record may carry when decoded. A sanity bound far above any value size
/// the store accepts: unpacking never copies `data` (it references the input buffer), so this
/// limit guards against nonsense headers, not against memory use.
constexpr size_t max_record_data_size = size_t{1} << 30;

/// Encodes the value of the record stored under `x.path` as the msgpack array
/// `[format, created, updated, revision, data(bin)]`. The path itself is the RocksDB key and is
/// not repeated in the value. Precondition: `x.data.size() <= max_record_data_size` (the store
/// rejects larger values as `too_large` long before they reach the disk).
std::string encode_record(const object& x);

/// Encodes the retained-history entry of a visible change: `[format, key, op, created,
/// updated, data(bin), unit]` (a deletion has zero timestamps and empty data; `unit` is the
/// last revision of the atomic change it belongs to, see `event::unit`). Stored under the key
/// `history_key(revision)`. Entries without `unit` (six elements) are read as their own unit.
std::string encode_history(const change& x, uint64_t unit);

/// Decodes a value produced by `encode_history` into the event of `revision`. A deletion's event
/// carries no object (the deleted value is not kept on disk).
caf::expected<event> decode_history(uint64_t revision, std::string_view value);

/// Decodes a value produced by `encode_record` that was stored under `key`; the result's `path`
/// is `key`. Never throws and never allocates more than a small multiple of `value.size()`:
/// anything that is not exactly one well-formed record of format 1 with non-empty data
/// (including trailing bytes) yields `corrupt_record` with a detail such as
/// `record 'users/1': unknown format version 7`.
caf::expected<object> decode_record(std::string_view key, std::string_view value);

/// Encodes the metadata record, the msgpack array `[format, last_revision]`.
std::string encode_meta(uint64_t last_revision);

/// Decodes a value produced by `encode_meta` and returns its `last_revision`. Anything else
/// yields `corrupt_record` with a detail starting with `metadata record: `.
caf::expected<uint64_t> decode_meta(std::string_view value);

/// Renders a key for an error detail: bytes outside printable ASCII become `\xNN`, so a
/// garbage key read from disk cannot garble a log line. Valid keys come out unchanged.
std::string printable_key(std::string_view key);

} // namespace ooo::storage
