#include "gateway/object_json.hpp"

namespace ooo::storage::gateway {

namespace {

bool is_json(const bytes& data) {
  return !data.empty() && json::accept(data.begin(), data.end());
}

void append_quoted(std::string& out, std::string_view text) {
  out += json(text).dump(-1, ' ', false, json::error_handler_t::replace);
}

} // namespace

json data_value(const bytes& data) {
  if (is_json(data))
    return json::parse(data.begin(), data.end());
  // Through text once, so that the DOM holds valid UTF-8 only (diffs compare it).
  return json::parse(dump(json(std::string(data.begin(), data.end()))));
}

json object_value(const object& x) {
  json result;
  result["created"] = x.created;
  result["updated"] = x.updated;
  result["index"] = std::string{x.index()};
  result["path"] = x.path;
  result["data"] = data_value(x.data);
  return result;
}

json empty_object_value() {
  return json::parse(empty_object_text);
}

void append_object(std::string& out, const object& x) {
  out += R"({"created":)";
  out += std::to_string(x.created);
  out += R"(,"updated":)";
  out += std::to_string(x.updated);
  out += R"(,"index":)";
  append_quoted(out, x.index());
  out += R"(,"path":)";
  append_quoted(out, x.path);
  out += R"(,"data":)";
  if (is_json(x.data))
    out.append(x.data.begin(), x.data.end());
  else
    out += dump(json(std::string(x.data.begin(), x.data.end())));
  out += '}';
}

std::string render_object(const object& x) {
  std::string out;
  out.reserve(x.data.size() + x.path.size() * 2 + 96);
  append_object(out, x);
  return out;
}

std::string render_list(const std::vector<object>& xs) {
  std::string out;
  size_t size = 2;
  for (auto& x : xs)
    size += x.data.size() + x.path.size() * 2 + 97;
  out.reserve(size);
  out += '[';
  for (size_t i = 0; i < xs.size(); ++i) {
    if (i > 0)
      out += ',';
    append_object(out, xs[i]);
  }
  out += ']';
  return out;
}

std::string dump(const json& x) {
  return x.dump(-1, ' ', false, json::error_handler_t::replace);
}

} // namespace ooo::storage::gateway
