#include "drivers/printer/capture_journal.h"

#include <algorithm>
#include <cctype>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <system_error>

#include "common/card_numbers.h"
#include "common/digest.h"

namespace tillbridge::drivers {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kHeaderBytes = 5;
constexpr char kData = 'D';
constexpr char kBreak = 'B';
constexpr char kIdle = 'I';
constexpr const char* kCheckpointName = "capture.checkpoint";
constexpr const char* kIdName = "capture.id";
// A card number with separators fits in far less; a longer run of digits
// and separators is no card number's tail.
constexpr std::size_t kMaxHeldBytes = 256;

// Bytes that can be part of a card number as printed: digits and the
// separators the card rule accepts between them.
bool IsChainByte(char c) {
  return (c >= '0' && c <= '9') || c == ' ' || c == '.' || c == ',' || c == '-' || c == '/' ||
         c == '_' || c == '\r' || c == '\n' || c == '\t';
}

std::string SegmentName(std::uint64_t first_position) {
  char name[40];
  std::snprintf(name, sizeof name, "capture-%016" PRIx64 ".seg", first_position);
  return name;
}

// The first position in a segment file's name, or false for other files.
bool ParseSegmentName(const std::string& name, std::uint64_t& first_position) {
  if (name.size() != 28 || name.rfind("capture-", 0) != 0 || name.substr(24) != ".seg") {
    return false;
  }
  first_position = 0;
  for (char c : name.substr(8, 16)) {
    int digit = 0;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else {
      return false;
    }
    first_position = first_position * 16 + static_cast<std::uint64_t>(digit);
  }
  return true;
}

std::string Header(char type, std::size_t length) {
  std::string header(kHeaderBytes, '\0');
  header[0] = type;
  for (int i = 0; i < 4; ++i) header[1 + i] = static_cast<char>((length >> (8 * i)) & 0xFF);
  return header;
}

std::uint32_t HeaderLength(const std::string& header) {
  std::uint32_t length = 0;
  for (int i = 3; i >= 0; --i) {
    length = (length << 8) | static_cast<std::uint8_t>(header[1 + static_cast<std::size_t>(i)]);
  }
  return length;
}

// The size of the valid record prefix of `content`: a torn or damaged
// record and everything after it are not part of the journal.
std::uint64_t ValidPrefix(const std::string& content) {
  std::uint64_t offset = 0;
  while (offset + kHeaderBytes <= content.size()) {
    const std::string header = content.substr(offset, kHeaderBytes);
    if (header[0] != kData && header[0] != kBreak && header[0] != kIdle) break;
    const std::uint64_t length = HeaderLength(header);
    if (offset + kHeaderBytes + length > content.size()) break;
    offset += kHeaderBytes + length;
  }
  return offset;
}

Result<std::uint64_t> ReadCheckpoint(const std::string& path) {
  std::error_code error;
  if (!fs::exists(path, error)) return std::uint64_t{0};
  auto file = platform::DurableFile::Open(path, platform::DurableFile::Mode::kOpenOrCreate);
  if (!file.ok()) return file.status();
  auto size = (*file)->Size();
  if (!size.ok()) return size.status();
  auto text = (*file)->ReadAt(0, std::min<std::uint64_t>(*size, 64));
  if (!text.ok()) return text.status();
  std::uint64_t position = 0;
  bool digits = false;
  for (char c : *text) {
    if (c == '\n') break;
    if (c < '0' || c > '9') {
      return Status::Corruption(path + ": not a journal position (\"" + *text + "\")");
    }
    position = position * 10 + static_cast<std::uint64_t>(c - '0');
    digits = true;
  }
  if (!digits) return Status::Corruption(path + ": empty");
  return position;
}

Result<std::string> ReadOrCreateId(const std::string& path) {
  std::error_code error;
  if (!fs::exists(path, error)) {
    const std::string id = RandomHex(8);
    TB_RETURN_IF_ERROR(platform::CreateOwnerOnlyFile(path, id + "\n"));
    return id;
  }
  auto file = platform::DurableFile::Open(path, platform::DurableFile::Mode::kOpenOrCreate);
  if (!file.ok()) return file.status();
  auto text = (*file)->ReadAt(0, 17);
  if (!text.ok() || text->size() != 17 || (*text)[16] != '\n') {
    return Status::Corruption(path + ": not a journal id");
  }
  for (std::size_t i = 0; i < 16; ++i) {
    if (!std::isxdigit(static_cast<unsigned char>((*text)[i]))) {
      return Status::Corruption(path + ": not a journal id");
    }
  }
  return text->substr(0, 16);
}

}  // namespace

Result<std::unique_ptr<CaptureJournal>> CaptureJournal::Open(CaptureJournalOptions options) {
  std::error_code error;
  fs::create_directories(options.dir, error);
  if (error) {
    return Status::IoError("cannot create capture journal folder " + options.dir + ": " +
                           error.message());
  }
  std::vector<std::uint64_t> firsts;
  for (const auto& entry : fs::directory_iterator(options.dir, error)) {
    std::uint64_t first = 0;
    if (ParseSegmentName(entry.path().filename().string(), first)) firsts.push_back(first);
  }
  if (error) return Status::IoError("cannot list " + options.dir + ": " + error.message());
  std::sort(firsts.begin(), firsts.end());

  auto checkpoint = ReadCheckpoint((fs::path(options.dir) / kCheckpointName).string());
  if (!checkpoint.ok()) return checkpoint.status();
  auto id = ReadOrCreateId((fs::path(options.dir) / kIdName).string());
  if (!id.ok()) return id.status();

  std::deque<Segment> segments;
  for (std::size_t i = 0; i < firsts.size(); ++i) {
    const std::string path = (fs::path(options.dir) / SegmentName(firsts[i])).string();
    auto file = platform::DurableFile::Open(path, platform::DurableFile::Mode::kOpenOrCreate);
    if (!file.ok()) return file.status();
    auto size = (*file)->Size();
    if (!size.ok()) return size.status();
    std::uint64_t valid = *size;
    if (i + 1 == firsts.size()) {
      // Only the segment being written when the agent stopped can be torn.
      auto content = (*file)->ReadAt(0, *size);
      if (!content.ok()) return content.status();
      valid = ValidPrefix(*content);
      if (valid != *size) TB_RETURN_IF_ERROR((*file)->Truncate(valid));
    } else if (firsts[i] + *size != firsts[i + 1]) {
      return Status::Corruption(path + ": segment does not end where the next one starts");
    }
    segments.push_back({firsts[i], path, std::move(*file), valid});
  }
  return std::make_unique<CaptureJournal>(std::move(options), std::move(*id), std::move(segments),
                                          *checkpoint);
}

CaptureJournal::CaptureJournal(CaptureJournalOptions options, std::string id,
                               std::deque<Segment> segments, std::uint64_t checkpoint)
    : options_(std::move(options)), id_(std::move(id)), segments_(std::move(segments)) {
  // A checkpoint outside the journal (segments lost or restored from an
  // older copy) is brought back inside it rather than trusted.
  const std::uint64_t first = segments_.empty() ? checkpoint : segments_.front().first_position;
  const std::uint64_t end = segments_.empty() ? checkpoint : EndPosition();
  checkpoint_ = std::clamp(checkpoint, first, end);
  read_position_ = checkpoint_;
  stats_.segments = segments_.size();
}

CaptureJournal::~CaptureJournal() = default;

std::uint64_t CaptureJournal::EndPosition() const {
  if (segments_.empty()) return checkpoint_;
  return segments_.back().first_position + segments_.back().size;
}

Status CaptureJournal::StartSegment(std::uint64_t first_position) {
  const std::string path = (fs::path(options_.dir) / SegmentName(first_position)).string();
  auto file = platform::DurableFile::Open(path, platform::DurableFile::Mode::kCreateOrTruncate);
  if (!file.ok()) return file.status();
  segments_.push_back({first_position, path, std::move(*file), 0});
  stats_.segments = segments_.size();
  return Status::Ok();
}

bool CaptureJournal::AppendBytes(std::string_view bytes) {
  if (bytes.empty()) return true;
  std::lock_guard<std::mutex> held(held_mutex_);
  const auto now = std::chrono::steady_clock::now();
  if (bytes_since_break_ && options_.idle_gap.count() > 0 &&
      now - last_append_ >= options_.idle_gap) {
    MaskAndAppend({}, true);
    Append(kIdle, {});
  }
  last_append_ = now;
  bytes_since_break_ = true;
  return MaskAndAppend(bytes, false);
}

bool CaptureJournal::AppendBreak() {
  std::lock_guard<std::mutex> held(held_mutex_);
  const bool flushed = MaskAndAppend({}, true);
  bytes_since_break_ = false;
  return Append(kBreak, {}) && flushed;
}

bool CaptureJournal::FlushHeld(std::chrono::milliseconds quiet) {
  std::lock_guard<std::mutex> held(held_mutex_);
  if (held_.empty() || std::chrono::steady_clock::now() - last_append_ < quiet) return false;
  return MaskAndAppend({}, true);
}

bool CaptureJournal::MaskAndAppend(std::string_view bytes, bool all) {
  std::string combined = std::move(held_);
  held_.clear();
  combined.append(bytes);
  std::size_t hold = 0;
  if (!all) {
    // Everything that could still be the start of a card number continued
    // by the next chunk waits for it.
    while (hold < combined.size() && hold < kMaxHeldBytes &&
           IsChainByte(combined[combined.size() - 1 - hold])) {
      ++hold;
    }
  }
  held_ = combined.substr(combined.size() - hold);
  combined.resize(combined.size() - hold);
  if (combined.empty()) return true;
  int masked_count = 0;
  std::string masked = MaskCardNumbers(combined, &masked_count);
  if (masked_count > 0) {
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.card_numbers_masked += static_cast<std::uint64_t>(masked_count);
  }
  return Append(kData, masked);
}

bool CaptureJournal::Append(char type, std::string_view payload) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // Bytes that cannot be journaled are still printed; they are counted,
    // and the next record that fits starts behind a stream break.
    auto drop = [&](std::string error) {
      if (type == kData) {
        stats_.dropped_bytes += payload.size();
        ++stats_.dropped_chunks;
      }
      if (!error.empty()) stats_.last_error = std::move(error);
      gap_ = true;
      return false;
    };
    const std::uint64_t end = EndPosition();
    const std::uint64_t record = kHeaderBytes + payload.size() + (gap_ ? kHeaderBytes : 0);
    if (end - checkpoint_ + record > options_.max_backlog_bytes) return drop("");
    if (segments_.empty() || segments_.back().size >= options_.segment_bytes) {
      if (Status started = StartSegment(end); !started.ok()) return drop(started.message());
    }
    Segment& segment = segments_.back();
    std::string data;
    data.reserve(record);
    if (gap_ && type == kData) data += Header(kBreak, 0);
    data += Header(type, payload.size());
    data.append(payload);
    if (Status written = segment.file->WriteAt(segment.size, data); !written.ok()) {
      // Whatever part reached the file is cut off again so the segment
      // stays a sequence of whole records.
      (void)segment.file->Truncate(segment.size);
      return drop(written.message());
    }
    segment.size += data.size();
    gap_ = false;
    stats_.appended_bytes += payload.size();
    stats_.last_error.clear();
  }
  appended_.notify_one();
  return true;
}

Result<std::vector<CaptureRecord>> CaptureJournal::Read(std::size_t max_bytes,
                                                        std::chrono::milliseconds wait) {
  std::unique_lock<std::mutex> lock(mutex_);
  appended_.wait_for(lock, wait, [this] { return interrupted_ || read_position_ < EndPosition(); });
  interrupted_ = false;
  std::vector<CaptureRecord> records;
  std::size_t payload = 0;
  while (read_position_ < EndPosition() && payload < max_bytes) {
    auto segment = std::find_if(segments_.begin(), segments_.end(), [&](const Segment& s) {
      return read_position_ >= s.first_position && read_position_ < s.first_position + s.size;
    });
    if (segment == segments_.end()) {
      return Status::Corruption("capture journal: position " + std::to_string(read_position_) +
                                " lies in no segment");
    }
    const std::uint64_t offset = read_position_ - segment->first_position;
    auto header = segment->file->ReadAt(offset, kHeaderBytes);
    if (!header.ok()) return header.status();
    const std::uint32_t length = HeaderLength(*header);
    CaptureRecord record;
    record.stream_break = (*header)[0] == kBreak;
    record.idle_gap = (*header)[0] == kIdle;
    if (length > 0) {
      auto bytes = segment->file->ReadAt(offset + kHeaderBytes, length);
      if (!bytes.ok()) return bytes.status();
      record.bytes = std::move(*bytes);
    }
    payload += length;
    read_position_ += kHeaderBytes + length;
    records.push_back(std::move(record));
  }
  return records;
}

std::uint64_t CaptureJournal::read_position() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return read_position_;
}

Status CaptureJournal::Commit(std::uint64_t position) {
  std::vector<std::string> obsolete;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (position < checkpoint_ || position > read_position_) {
      return Status::InvalidArgument("capture journal: commit position " +
                                     std::to_string(position) + " outside the read range");
    }
    if (position == checkpoint_) return Status::Ok();
    checkpoint_ = position;
    // Segments wholly before the checkpoint are done with; the one being
    // written stays even when fully decoded.
    while (segments_.size() > 1 &&
           segments_.front().first_position + segments_.front().size <= checkpoint_) {
      obsolete.push_back(segments_.front().path);
      segments_.pop_front();
    }
    stats_.segments = segments_.size();
  }
  const std::string path = (fs::path(options_.dir) / kCheckpointName).string();
  const std::string temporary = path + ".new";
  {
    auto file =
        platform::DurableFile::Open(temporary, platform::DurableFile::Mode::kCreateOrTruncate);
    if (!file.ok()) return file.status();
    TB_RETURN_IF_ERROR((*file)->WriteAt(0, std::to_string(position) + "\n"));
  }
  TB_RETURN_IF_ERROR(platform::AtomicReplace(temporary, path));
  for (const std::string& old : obsolete) {
    std::error_code error;
    fs::remove(old, error);
  }
  return Status::Ok();
}

Status CaptureJournal::Sync() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (Segment& segment : segments_) TB_RETURN_IF_ERROR(segment.file->Sync());
  return Status::Ok();
}

void CaptureJournal::Interrupt() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    interrupted_ = true;
  }
  appended_.notify_all();
}

CaptureJournalStats CaptureJournal::Stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  CaptureJournalStats stats = stats_;
  // What waits for the decoder; bytes decoded but not yet past the
  // checkpoint (a receipt in progress) are not behind.
  stats.backlog_bytes = EndPosition() - read_position_;
  return stats;
}

}  // namespace tillbridge::drivers
