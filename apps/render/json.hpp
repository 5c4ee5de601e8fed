#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "messages/object.hpp"

namespace ooo::storage::render_json {

/// JSON with keys in insertion order, so that output keeps the documented field order.
using json = nlohmann::ordered_json;

/// The value bytes as JSON: embedded as-is when they are valid JSON, else as a JSON string.
json data(const bytes& x);

/// `{"path","index","created","updated","revision","data"}`.
json object(const ooo::storage::object& x);

/// `{"revision","op","key","object"}`; `object` is null for the delete of a missing value.
json event(const ooo::storage::event& x);

/// `{"keys","revision","shards","subscribers","dropped_events","durability",...}`, plus
/// `"role","leader","term","applied"` on a node of a replicated group.
json stats(const store_stats& x);

/// One line of compact JSON. Bytes that are not UTF-8 inside JSON strings become U+FFFD
/// (`get --raw` prints the exact bytes).
std::string line(const json& x);

} // namespace ooo::storage::render_json
