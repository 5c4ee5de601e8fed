#include "apps/cli/import.hpp"

#include <fstream>
#include <iostream>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "apps/cli/exit_code.hpp"
#include "messages/errc.hpp"

namespace ooo::storage::cli {

namespace {

/// One line of the input as a set, or the reason it is not one.
bool parse_line(const std::string& text, batch_op& op, std::string& why) {
  auto doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    why = "not a JSON object";
    return false;
  }
  auto key = doc.find("key");
  auto data = doc.find("data");
  if (key == doc.end() || !key->is_string()) {
    why = "no string \"key\"";
    return false;
  }
  if (data == doc.end()) {
    why = "no \"data\"";
    return false;
  }
  op.kind = batch_kind::set;
  op.key = key->get<std::string>();
  auto bytes_text = data->is_string() ? data->get<std::string>() : data->dump();
  op.data = bytes(bytes_text.begin(), bytes_text.end());
  return true;
}

} // namespace

int run_import(session& s, const command_line& cmd) {
  std::ifstream file;
  if (!cmd.data.empty() && cmd.data != "-") {
    file.open(cmd.data);
    if (!file) {
      std::cerr << "error: cannot read " << cmd.data << std::endl;
      return usage_error;
    }
  }
  std::istream& in = file.is_open() ? static_cast<std::istream&>(file) : std::cin;
  uint64_t imported = 0;
  uint64_t failed = 0;
  std::vector<batch_op> ops;
  std::vector<size_t> lines;
  auto send = [&]() -> int {
    if (ops.empty())
      return ok;
    auto res = s.call_leader<std::vector<batch_result>>(batch_atom::value, ops);
    ops = {};
    if (!res)
      return s.report(res.error());
    for (size_t i = 0; i < res->size(); ++i) {
      auto& r = (*res)[i];
      if (r.error) {
        ++failed;
        std::cerr << "error: line " << lines[i] << ": " << render(r.error) << std::endl;
      } else {
        ++imported;
      }
    }
    lines.clear();
    return ok;
  };
  std::string text;
  size_t line = 0;
  while (std::getline(in, text)) {
    ++line;
    if (text.find_first_not_of(" \t\r") == std::string::npos)
      continue;
    batch_op op;
    std::string why;
    if (!parse_line(text, op, why)) {
      std::cerr << "error: line " << line << ": " << why << std::endl;
      return usage_error;
    }
    ops.emplace_back(std::move(op));
    lines.push_back(line);
    if (ops.size() >= cmd.batch_size)
      if (auto code = send(); code != ok)
        return code;
  }
  if (auto code = send(); code != ok)
    return code;
  std::cout << nlohmann::json{{"imported", imported}, {"failed", failed}}.dump() << '\n'
            << std::flush;
  return failed > 0 ? store_error : ok;
}

} // namespace ooo::storage::cli
