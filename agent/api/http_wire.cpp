#include "agent/api/http_wire.h"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Timestamp.h>

#include <algorithm>
#include <cctype>
#include <vector>

#include "common/text.h"

namespace tillbridge::agent {
namespace {

constexpr std::size_t kMaxMethodBytes = 32;
// Method, two spaces, "HTTP/1.1" and a carriage return around the target.
constexpr std::size_t kRequestLineOverhead = kMaxMethodBytes + 2 + 8 + 1;
constexpr std::size_t kMaxChunkLineBytes = 1024;
// 2^64 has 20 decimal digits; a longer Content-Length is too large anyway.
constexpr std::size_t kMaxLengthDigits = 19;

bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool IsVisibleAscii(char c) { return c > 0x20 && c < 0x7F; }

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// The comma-separated items of a header value, trimmed, empty ones skipped.
std::vector<std::string_view> ListItems(std::string_view value) {
  std::vector<std::string_view> items;
  while (!value.empty()) {
    const auto comma = value.find(',');
    const std::string_view item = Trim(value.substr(0, comma));
    if (!item.empty()) items.push_back(item);
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return items;
}

std::string TooLargeReason(std::size_t max_body) {
  return "the request body is larger than " + std::to_string(max_body) + " bytes";
}

}  // namespace

HttpRequestParser::HttpRequestParser(HttpLimits limits) : limits_(limits) {}

void HttpRequestParser::Reset() { *this = HttpRequestParser(limits_); }

bool HttpRequestParser::InLine() const {
  if (state_ == State::kHead) return true;
  return state_ == State::kBody && framing_ == BodyFraming::kChunked &&
         chunk_step_ != ChunkStep::kData;
}

std::size_t HttpRequestParser::Feed(std::string_view data) {
  std::size_t used = 0;
  while (used < data.size() && (state_ == State::kHead || state_ == State::kBody)) {
    started_ = true;
    if (InLine()) {
      const std::string_view rest = data.substr(used);
      const auto newline = rest.find('\n');
      const bool whole = newline != std::string_view::npos;
      line_.append(rest.data(), whole ? newline : rest.size());
      used += whole ? newline + 1 : rest.size();
      if (!CheckPartialLine() || !whole) break;
      std::string_view line = line_;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      OnLine(line);
      line_.clear();
      continue;
    }
    const std::size_t take =
        static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, data.size() - used));
    request_.body.append(data.data() + used, take);
    used += take;
    remaining_ -= take;
    if (remaining_ == 0) {
      if (framing_ == BodyFraming::kLength) {
        state_ = State::kComplete;
      } else {
        chunk_step_ = ChunkStep::kDataEnd;
      }
    }
  }
  return used;
}

bool HttpRequestParser::CheckPartialLine() {
  if (state_ == State::kHead && !request_line_done_) {
    if (line_.size() <= limits_.max_target_bytes + kRequestLineOverhead) return true;
    // Tell an overlong target (414) from a line that is not a request line.
    const auto space = line_.find(' ');
    if (space != std::string::npos && space <= kMaxMethodBytes) {
      Fail(414, std::nullopt,
           "the request target is longer than " + std::to_string(limits_.max_target_bytes) +
               " bytes");
    } else {
      Fail(400, std::nullopt, "malformed request line; expected 'METHOD /path HTTP/1.1'");
    }
    return false;
  }
  const bool headers = state_ == State::kHead ||
                       (framing_ == BodyFraming::kChunked && chunk_step_ == ChunkStep::kTrailer);
  if (headers) {
    if (head_bytes_ + line_.size() <= limits_.max_head_bytes) return true;
    Fail(
        431, std::nullopt,
        "the request headers are larger than " + std::to_string(limits_.max_head_bytes) + " bytes");
    return false;
  }
  if (line_.size() <= kMaxChunkLineBytes) return true;
  Fail(400, std::nullopt, "malformed chunked body: a chunk size line is too long");
  return false;
}

void HttpRequestParser::OnLine(std::string_view line) {
  if (state_ == State::kHead) {
    if (request_line_done_) {
      OnHeaderLine(line);
    } else if (line.empty()) {
      // Empty lines before a request line are allowed (RFC 9112, 2.2), but
      // count towards the head so that they cannot go on for ever.
      head_bytes_ += 2;
      if (head_bytes_ > limits_.max_head_bytes) Fail(400, std::nullopt, "no request line");
    } else {
      OnRequestLine(line);
    }
    return;
  }
  switch (chunk_step_) {
    case ChunkStep::kSize:
      OnChunkSizeLine(line);
      break;
    case ChunkStep::kDataEnd:
      OnChunkLineAfterData(line);
      break;
    case ChunkStep::kTrailer:
      OnTrailerLine(line);
      break;
    case ChunkStep::kData:
      break;
  }
}

void HttpRequestParser::OnRequestLine(std::string_view line) {
  const auto first = line.find(' ');
  const auto second = first == std::string_view::npos ? first : line.find(' ', first + 1);
  if (second == std::string_view::npos || line.find(' ', second + 1) != std::string_view::npos) {
    Fail(400, std::nullopt, "malformed request line; expected 'METHOD /path HTTP/1.1'");
    return;
  }
  const std::string_view method = line.substr(0, first);
  const std::string_view target = line.substr(first + 1, second - first - 1);
  const std::string_view version = line.substr(second + 1);
  if (method.empty() || method.size() > kMaxMethodBytes ||
      !std::all_of(method.begin(), method.end(), IsVisibleAscii)) {
    Fail(400, std::nullopt, "malformed request method");
    return;
  }
  request_.method = std::string(method);
  if (target.size() > limits_.max_target_bytes) {
    Fail(
        414, std::nullopt,
        "the request target is longer than " + std::to_string(limits_.max_target_bytes) + " bytes");
    return;
  }
  if (target.empty() || !std::all_of(target.begin(), target.end(), IsVisibleAscii)) {
    Fail(400, std::nullopt, "the request target holds a character that must be percent-encoded");
    return;
  }
  if (version == "HTTP/1.0") {
    http10_ = true;
    keep_alive_ = false;
  } else if (version != "HTTP/1.1") {
    const bool looks_like_http = version.size() == 8 && version.substr(0, 5) == "HTTP/" &&
                                 std::isdigit(static_cast<unsigned char>(version[5])) &&
                                 version[6] == '.' &&
                                 std::isdigit(static_cast<unsigned char>(version[7]));
    if (looks_like_http) {
      Fail(505, std::nullopt,
           "HTTP version " + std::string(version) + " is not supported; use HTTP/1.1");
    } else {
      Fail(400, std::nullopt, "malformed request line; expected 'METHOD /path HTTP/1.1'");
    }
    return;
  }
  const auto question = target.find('?');
  request_.path = std::string(target.substr(0, question));
  if (question != std::string_view::npos) request_.query = std::string(target.substr(question + 1));
  request_line_done_ = true;
}

void HttpRequestParser::OnHeaderLine(std::string_view line) {
  if (line.empty()) {
    OnHeadComplete();
    return;
  }
  head_bytes_ += line.size() + 2;
  if (++header_count_ > limits_.max_header_count) {
    Fail(431, std::nullopt,
         "the request has more than " + std::to_string(limits_.max_header_count) + " headers");
    return;
  }
  if (line.front() == ' ' || line.front() == '\t') {
    Fail(400, std::nullopt, "header lines must not be folded");
    return;
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    Fail(400, std::nullopt, "malformed header line");
    return;
  }
  const std::string_view name = line.substr(0, colon);
  if (!std::all_of(name.begin(), name.end(), IsTokenChar)) {
    Fail(400, std::nullopt, "malformed header name");
    return;
  }
  const std::string_view value = Trim(line.substr(colon + 1));
  for (const char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && c != '\t') || byte == 0x7F) {
      Fail(400, std::string(name), "the header holds a control character");
      return;
    }
  }
  request_.headers.emplace_back(Lower(name), std::string(value));
}

void HttpRequestParser::OnHeadComplete() {
  bool close = false;
  bool keep = false;
  bool chunked_last = false;
  std::size_t codings = 0;
  bool has_transfer_encoding = false;
  std::optional<std::string_view> length;
  bool conflicting_lengths = false;
  bool empty_length = false;
  for (const auto& [name, value] : request_.headers) {
    if (name == "connection") {
      for (const auto item : ListItems(value)) {
        const std::string token = Lower(item);
        close = close || token == "close";
        keep = keep || token == "keep-alive";
      }
    } else if (name == "transfer-encoding") {
      has_transfer_encoding = true;
      for (const auto item : ListItems(value)) {
        ++codings;
        chunked_last = Lower(item) == "chunked";
      }
    } else if (name == "content-length") {
      for (const auto item : ListItems(value)) {
        if (length && *length != item) conflicting_lengths = true;
        length = item;
      }
      if (ListItems(value).empty()) empty_length = true;
    } else if (name == "expect") {
      expect_continue_ = !http10_ && Lower(Trim(value)) == "100-continue";
    }
  }
  keep_alive_ = http10_ ? keep && !close : !close;
  head_bytes_ = 0;
  header_count_ = 0;

  if (has_transfer_encoding) {
    // Both framings at once is how requests are smuggled past proxies.
    if (length) {
      Fail(400, "Transfer-Encoding",
           "a request must not have both Content-Length and Transfer-Encoding");
    } else if (http10_) {
      Fail(400, "Transfer-Encoding", "Transfer-Encoding needs HTTP/1.1");
    } else if (!chunked_last) {
      Fail(400, "Transfer-Encoding", "the last transfer coding must be chunked");
    } else if (codings != 1) {
      Fail(501, "Transfer-Encoding", "only the chunked transfer coding is supported");
    } else {
      framing_ = BodyFraming::kChunked;
      chunk_step_ = ChunkStep::kSize;
      state_ = State::kBody;
    }
    return;
  }
  if (!length && !empty_length) {
    // Neither Content-Length nor chunked: no body (RFC 9112, 6.3).
    state_ = State::kComplete;
    return;
  }
  if (conflicting_lengths) {
    Fail(400, "Content-Length", "conflicting Content-Length values");
    return;
  }
  std::string_view digits = length.value_or("");
  if (digits.empty() || !std::all_of(digits.begin(), digits.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c)) != 0;
      })) {
    Fail(400, "Content-Length", "must be a whole number of bytes");
    return;
  }
  while (digits.size() > 1 && digits.front() == '0') digits.remove_prefix(1);
  std::uint64_t declared = 0;
  if (digits.size() <= kMaxLengthDigits) declared = std::stoull(std::string(digits));
  if (digits.size() > kMaxLengthDigits || declared > limits_.max_body_bytes) {
    Fail(413, std::nullopt, TooLargeReason(limits_.max_body_bytes));
    return;
  }
  if (declared == 0) {
    state_ = State::kComplete;
    return;
  }
  request_.body.reserve(static_cast<std::size_t>(declared));
  framing_ = BodyFraming::kLength;
  remaining_ = declared;
  state_ = State::kBody;
}

void HttpRequestParser::OnChunkSizeLine(std::string_view line) {
  const std::string_view text = Trim(line.substr(0, line.find(';')));
  if (text.empty()) {
    Fail(400, std::nullopt, "malformed chunked body: a chunk size is missing");
    return;
  }
  std::uint64_t size = 0;
  for (const char c : text) {
    const int digit = HexDigitValue(c);
    if (digit < 0) {
      Fail(400, std::nullopt, "malformed chunked body: a chunk size is not hexadecimal");
      return;
    }
    size = size * 16 + static_cast<std::uint64_t>(digit);
    // Checked per digit, so the size cannot overflow.
    if (size > limits_.max_body_bytes) break;
  }
  if (size > limits_.max_body_bytes - request_.body.size()) {
    Fail(413, std::nullopt, TooLargeReason(limits_.max_body_bytes));
    return;
  }
  if (size == 0) {
    chunk_step_ = ChunkStep::kTrailer;
    return;
  }
  remaining_ = size;
  chunk_step_ = ChunkStep::kData;
}

void HttpRequestParser::OnChunkLineAfterData(std::string_view line) {
  if (!line.empty()) {
    Fail(400, std::nullopt, "malformed chunked body: a chunk is longer than its size");
    return;
  }
  chunk_step_ = ChunkStep::kSize;
}

void HttpRequestParser::OnTrailerLine(std::string_view line) {
  if (line.empty()) {
    state_ = State::kComplete;
    return;
  }
  // Trailer fields are read and dropped: nothing in the API uses them.
  head_bytes_ += line.size() + 2;
  if (++header_count_ > limits_.max_header_count) {
    Fail(431, std::nullopt,
         "the request has more than " + std::to_string(limits_.max_header_count) + " trailers");
    return;
  }
  if (line.find(':') == std::string_view::npos) {
    Fail(400, std::nullopt, "malformed chunked body: a trailer line has no ':'");
  }
}

void HttpRequestParser::Fail(int status, std::optional<std::string> field, std::string reason) {
  state_ = State::kFailed;
  keep_alive_ = false;
  error_ = ApiError{status, std::move(field), std::move(reason)};
}

std::string SerializeResponse(const HttpResponse& response, const ResponseFraming& framing) {
  const auto has_line_break = [](const std::string& text) {
    return text.find_first_of("\r\n") != std::string::npos;
  };
  std::string out;
  out.reserve(256 + response.body.size());
  out += framing.http10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  out += std::to_string(response.status);
  out += ' ';
  out += Poco::Net::HTTPResponse::getReasonForStatus(
      static_cast<Poco::Net::HTTPResponse::HTTPStatus>(response.status));
  out += "\r\nDate: ";
  out += Poco::DateTimeFormatter::format(Poco::Timestamp(), Poco::DateTimeFormat::HTTP_FORMAT);
  out += "\r\n";
  if (!response.content_type.empty() && !has_line_break(response.content_type)) {
    out += "Content-Type: " + response.content_type + "\r\n";
  }
  bool has_cache_control = false;
  for (const auto& [name, value] : response.headers) {
    if (name.empty() || has_line_break(name) || has_line_break(value)) continue;
    if (Lower(name) == "cache-control") has_cache_control = true;
    out += name + ": " + value + "\r\n";
  }
  if (response.content_type.rfind("application/json", 0) == 0) {
    if (!has_cache_control) out += "Cache-Control: no-store\r\n";
    out += "X-Content-Type-Options: nosniff\r\n";
  }
  out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
  out += framing.keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
  if (!framing.head_request) out += response.body;
  return out;
}

}  // namespace tillbridge::agent
