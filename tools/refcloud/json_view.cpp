#include "tools/refcloud/json_view.h"

#include <charconv>

#include "common/text.h"

namespace tillbridge::refcloud {
namespace {

// Resolves escapes in the text between a string's quotes (already checked
// by the parser, so every escape here is well formed).
std::string Unescape(std::string_view body) {
  std::string out;
  out.reserve(body.size());
  for (size_t i = 0; i < body.size(); ++i) {
    if (body[i] != '\\') {
      out.push_back(body[i]);
      continue;
    }
    const char kind = body[++i];
    switch (kind) {
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'u': {
        std::uint32_t code = 0;
        for (int k = 1; k <= 4; ++k)
          code = code * 16 + static_cast<std::uint32_t>(HexDigitValue(body[i + k]));
        i += 4;
        if (code >= 0xD800 && code < 0xDC00 && i + 6 < body.size() &&
            body.substr(i + 1, 2) == "\\u") {
          std::uint32_t low = 0;
          for (int k = 3; k <= 6; ++k)
            low = low * 16 + static_cast<std::uint32_t>(HexDigitValue(body[i + k]));
          if (low >= 0xDC00 && low < 0xE000) {
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
            i += 6;
          }
        }
        AppendUtf8(static_cast<char32_t>(code), out);
        break;
      }
      default:
        out.push_back(kind);  // \" \\ \/
    }
  }
  return out;
}

class Parser {
 public:
  Parser(std::string_view text, std::vector<JsonView::Node>& nodes, int max_depth)
      : text_(text), nodes_(nodes), max_depth_(max_depth) {}

  Status Run() {
    nodes_.emplace_back();
    if (!Value(0, 0)) return error_;
    SkipSpace();
    if (pos_ != text_.size()) {
      Fail("unexpected text after the value");
      return error_;
    }
    return Status::Ok();
  }

 private:
  bool Fail(const std::string& what) {
    error_ =
        Status::InvalidArgument("not valid JSON: " + what + " at byte " + std::to_string(pos_));
    return false;
  }

  void SkipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  // At an opening quote; leaves `pos_` after the closing one.
  bool String(std::string_view* content, bool* escaped) {
    const size_t start = ++pos_;
    *escaped = false;
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == '"') {
        *content = text_.substr(start, pos_ - start);
        ++pos_;
        return true;
      }
      if (static_cast<unsigned char>(c) < 0x20) return Fail("control character inside a string");
      if (c == '\\') {
        *escaped = true;
        if (++pos_ >= text_.size()) break;
        const char kind = text_[pos_];
        if (kind == 'u') {
          for (int k = 1; k <= 4; ++k) {
            if (pos_ + k >= text_.size() || HexDigitValue(text_[pos_ + k]) < 0)
              return Fail("bad \\u escape");
          }
          pos_ += 4;
        } else if (std::string_view("\"\\/bfnrt").find(kind) == std::string_view::npos) {
          return Fail("unknown escape");
        }
      }
      ++pos_;
    }
    return Fail("unterminated string");
  }

  bool Number() {
    if (text_[pos_] == '-') ++pos_;
    const auto digits = [&] {
      const size_t start = pos_;
      while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
      return pos_ - start;
    };
    if (pos_ < text_.size() && text_[pos_] == '0') {
      ++pos_;
    } else if (digits() == 0) {
      return Fail("expected a digit");
    }
    if (pos_ < text_.size() && text_[pos_] == '.') {
      ++pos_;
      if (digits() == 0) return Fail("expected a digit after '.'");
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      if (digits() == 0) return Fail("expected a digit in the exponent");
    }
    return true;
  }

  bool Literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return Fail("unexpected character");
    pos_ += word.size();
    return true;
  }

  // Parses the value for node `index` (which may move when nodes_ grows).
  bool Value(std::uint32_t index, int depth) {
    if (depth > max_depth_) return Fail("nesting deeper than " + std::to_string(max_depth_));
    SkipSpace();
    if (pos_ >= text_.size()) return Fail("unexpected end");
    const size_t start = pos_;
    const char c = text_[pos_];
    bool ok = true;
    if (c == '{' || c == '[') {
      nodes_[index].kind = c == '{' ? JsonView::Kind::kObject : JsonView::Kind::kArray;
      ok = Container(index, depth, c == '{');
    } else if (c == '"') {
      nodes_[index].kind = JsonView::Kind::kString;
      std::string_view ignored;
      bool escaped = false;
      ok = String(&ignored, &escaped);
    } else if (c == 't' || c == 'f') {
      nodes_[index].kind = JsonView::Kind::kBool;
      ok = Literal(c == 't' ? "true" : "false");
    } else if (c == 'n') {
      nodes_[index].kind = JsonView::Kind::kNull;
      ok = Literal("null");
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      nodes_[index].kind = JsonView::Kind::kNumber;
      ok = Number();
    } else {
      return Fail("unexpected character");
    }
    if (ok) nodes_[index].raw = text_.substr(start, pos_ - start);
    return ok;
  }

  bool Container(std::uint32_t index, int depth, bool object) {
    const char close = object ? '}' : ']';
    ++pos_;
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == close) {
      ++pos_;
      return true;
    }
    std::uint32_t previous = JsonView::kNone;
    for (;;) {
      SkipSpace();
      std::string_view key;
      bool key_escaped = false;
      if (object) {
        if (pos_ >= text_.size() || text_[pos_] != '"') return Fail("expected a member name");
        if (!String(&key, &key_escaped)) return false;
        SkipSpace();
        if (pos_ >= text_.size() || text_[pos_] != ':') return Fail("expected ':'");
        ++pos_;
      }
      const auto child = static_cast<std::uint32_t>(nodes_.size());
      nodes_.emplace_back();
      nodes_[child].key = key;
      nodes_[child].key_escaped = key_escaped;
      if (previous == JsonView::kNone)
        nodes_[index].first_child = child;
      else
        nodes_[previous].next = child;
      previous = child;
      ++nodes_[index].size;
      if (!Value(child, depth + 1)) return false;
      SkipSpace();
      if (pos_ >= text_.size()) return Fail("unexpected end");
      if (text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (text_[pos_] == close) {
        ++pos_;
        return true;
      }
      return Fail(object ? "expected ',' or '}'" : "expected ',' or ']'");
    }
  }

  std::string_view text_;
  std::vector<JsonView::Node>& nodes_;
  int max_depth_;
  size_t pos_ = 0;
  Status error_;
};

}  // namespace

Result<JsonView> JsonView::Parse(std::string_view text, int max_depth) {
  JsonView view;
  view.nodes_.reserve(text.size() / 8 + 4);
  Parser parser(text, view.nodes_, max_depth);
  Status parsed = parser.Run();
  if (!parsed.ok()) return parsed;
  return view;
}

const JsonView::Node* JsonView::Find(const Node& object, std::string_view key) const {
  if (object.kind != Kind::kObject) return nullptr;
  for (std::uint32_t i = object.first_child; i != kNone; i = nodes_[i].next) {
    const Node& member = nodes_[i];
    if (member.key_escaped ? Unescape(member.key) == key : member.key == key) return &member;
  }
  return nullptr;
}

std::vector<const JsonView::Node*> JsonView::Children(const Node& node) const {
  std::vector<const Node*> out;
  out.reserve(node.size);
  for (std::uint32_t i = node.first_child; i != kNone; i = nodes_[i].next)
    out.push_back(&nodes_[i]);
  return out;
}

std::optional<std::string> JsonView::String(const Node& node) {
  if (node.kind != Kind::kString) return std::nullopt;
  const std::string_view body = node.raw.substr(1, node.raw.size() - 2);
  if (body.find('\\') == std::string_view::npos) return std::string(body);
  return Unescape(body);
}

std::optional<std::int64_t> JsonView::Int(const Node& node) {
  if (node.kind != Kind::kNumber || node.raw.find_first_of(".eE") != std::string_view::npos) {
    return std::nullopt;
  }
  std::int64_t value = 0;
  auto [ptr, ec] = std::from_chars(node.raw.data(), node.raw.data() + node.raw.size(), value);
  if (ec != std::errc() || ptr != node.raw.data() + node.raw.size()) return std::nullopt;
  return value;
}

}  // namespace tillbridge::refcloud
