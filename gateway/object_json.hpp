#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "messages/object.hpp"

namespace ooo::storage::gateway {

/// JSON as ooo's server writes it. Field order matters to nobody's parser but keeps answers
/// byte-comparable with ooo's: `created`, `updated`, `index`, `path`, `data`.
using json = nlohmann::ordered_json;

/// What ooo sends for a key that does not exist (exactly these bytes).
inline constexpr const char* empty_object_text = R"({"created":0,"updated":0,"index":"","data":{}})";

/// The value as JSON: embedded as it is when the bytes are one valid JSON value (what the
/// gateway stores), else as a JSON string (values written by CAF clients may be any bytes;
/// bytes that are not UTF-8 become U+FFFD).
json data_value(const bytes& data);

/// `{"created","updated","index","path","data"}` as a DOM (for patches).
json object_value(const object& x);

/// `{"created":0,"updated":0,"index":"","data":{}}` as a DOM.
json empty_object_value();

/// Appends the object's JSON to `out` without building a DOM: valid JSON data is copied as it
/// is (the fast path of every GET).
void append_object(std::string& out, const object& x);

/// The object's JSON.
std::string render_object(const object& x);

/// A JSON array of objects, in the given order.
std::string render_list(const std::vector<object>& xs);

/// Compact JSON text of a DOM; strings that are not UTF-8 get U+FFFD instead of an exception.
std::string dump(const json& x);

} // namespace ooo::storage::gateway
