#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ooo::storage::gateway {

/// One WebSocket message of ooo's protocol: `{"snapshot":BOOL,"version":"HEX","data":DATA}`,
/// where DATA is the whole state (`snapshot`) or an RFC 6902 patch against the previous state.
/// `data_json` must be JSON text; it is copied as it is.
std::string frame(bool snapshot, uint64_t version, std::string_view data_json);

/// A version as ooo writes it: lower-case hex without leading zeros (`0` for zero).
std::string version_text(uint64_t version);

/// Parses the `v` a reconnecting client sends; nothing for anything but 1-16 hex digits.
std::optional<uint64_t> parse_version(std::string_view text);

} // namespace ooo::storage::gateway
