// A small validating JSON reader for the reference cloud's hot path (pushed
// batches): one pass, nodes in one vector, strings and raw values kept as
// views into the caller's text. Much lighter than building a Poco::JSON
// tree per event, which dominated the cloud's time per batch.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace tillbridge::refcloud {

// A parsed JSON text. The text must outlive the document. Not thread-safe.
class JsonView {
 public:
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };
  static constexpr std::uint32_t kNone = UINT32_MAX;

  struct Node {
    Kind kind = Kind::kNull;
    std::string_view raw;  // the value's exact text (strings with their quotes)
    std::string_view key;  // raw key (without quotes) when inside an object
    bool key_escaped = false;
    std::uint32_t first_child = kNone;
    std::uint32_t next = kNone;
    std::uint32_t size = 0;  // children of arrays and objects
  };

  // InvalidArgument naming the byte offset and what was expected. Nesting
  // deeper than `max_depth` is refused rather than risking the stack.
  static Result<JsonView> Parse(std::string_view text, int max_depth = 64);

  const Node& root() const { return nodes_[0]; }
  const Node& at(std::uint32_t index) const { return nodes_[index]; }

  // The member `key` of an object, or nullptr (also for non-objects).
  const Node* Find(const Node& object, std::string_view key) const;
  // The elements of an array or the members of an object, in order.
  std::vector<const Node*> Children(const Node& node) const;

  // A string node's value with escapes resolved; nullopt for other kinds.
  static std::optional<std::string> String(const Node& node);
  // A number node that is a whole number in int64 range; nullopt otherwise.
  static std::optional<std::int64_t> Int(const Node& node);
  static bool IsNull(const Node* node) { return node == nullptr || node->kind == Kind::kNull; }

 private:
  std::vector<Node> nodes_;
};

}  // namespace tillbridge::refcloud
