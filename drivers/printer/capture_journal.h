// The printer tap's capture journal: a disk-backed queue of everything the
// POS sent to the printer, written by the forwarding threads and read by the
// decoder at its own pace. Printing never waits for decoding, and decoding
// never loses what was printed: however far the decoder falls behind, the
// bytes wait on disk (up to a size cap), and after a restart decoding
// resumes where it stopped.
//
// The journal is a file like the store, so it never holds a card number:
// bytes are masked (common/card_numbers.h) before they are written, keeping
// their length. A number split across two chunks is caught by holding back
// the trailing digits and separators of a chunk until the next one, the end
// of the connection, or a pause (FlushHeld).
//
// Layout: <dir>/capture-<first position, 16 hex digits>.seg segment files of
// records (1 type byte 'D' data / 'B' stream break / 'I' idle gap, 4-byte
// little-endian length, payload) and <dir>/capture.checkpoint, the position decoding
// resumes from. Positions count bytes across all segments since the journal
// was created.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/platform/files.h"
#include "common/status.h"

namespace tillbridge::drivers {

struct CaptureJournalOptions {
  std::string dir;
  // Undecoded bytes kept at most; beyond this, new bytes are printed but not
  // journaled (counted in `dropped_bytes`).
  std::uint64_t max_backlog_bytes = 256ull * 1024 * 1024;
  std::uint64_t segment_bytes = 8ull * 1024 * 1024;
  // A pause of the POS this long before new bytes is recorded (an idle
  // record), so that decoding later still sees where receipts without a
  // cut ended. 0 records none.
  std::chrono::milliseconds idle_gap{0};
};

// One journal record as the decoder reads it.
struct CaptureRecord {
  bool stream_break = false;  // the POS connection ended / port closed
  bool idle_gap = false;      // the POS paused for the idle gap before the next bytes
  std::string bytes;          // data records only
};

struct CaptureJournalStats {
  std::uint64_t appended_bytes = 0;  // payload bytes journaled since start
  std::uint64_t backlog_bytes = 0;   // journaled (with record headers), not yet read
  std::uint64_t dropped_bytes = 0;   // not journaled (cap reached or write error)
  std::uint64_t dropped_chunks = 0;
  std::uint64_t segments = 0;
  std::uint64_t card_numbers_masked = 0;
  std::string last_error;  // last write error, empty when fine
};

// Thread-safe: any number of writers (Append*), one reader (Read/Commit).
class CaptureJournal {
 public:
  // Opens or creates the journal in `options.dir` (created if missing). A
  // torn record at the end (a crash mid-write) is cut off. Errors name the
  // folder or file.
  static Result<std::unique_ptr<CaptureJournal>> Open(CaptureJournalOptions options);
  ~CaptureJournal();
  CaptureJournal(const CaptureJournal&) = delete;
  CaptureJournal& operator=(const CaptureJournal&) = delete;

  // Journals what the POS sent. Never waits for the reader; returns false
  // (and counts the bytes as dropped) when the backlog cap is reached or the
  // disk refuses the write. After a drop, the next record that fits is
  // preceded by a stream break so the decoder does not join the two sides.
  bool AppendBytes(std::string_view bytes);
  // Journals the end of a POS connection (or the port closing), after the
  // bytes held back for masking.
  bool AppendBreak();
  // Journals the held-back bytes when nothing arrived for `quiet`; the
  // reader calls it while idle so the end of a stream is not left behind.
  // True when it journaled something.
  bool FlushHeld(std::chrono::milliseconds quiet);

  // Records from the read position on, up to about `max_bytes` of payload,
  // waiting at most `wait` for the first. Advances the read position (not
  // the checkpoint).
  Result<std::vector<CaptureRecord>> Read(std::size_t max_bytes, std::chrono::milliseconds wait);
  // The read position: everything before it has been returned by Read.
  std::uint64_t read_position() const;
  // Everything before `position` is decoded and its results are stored:
  // saves the checkpoint and deletes segments wholly before it. `position`
  // must be one Read returned.
  Status Commit(std::uint64_t position);
  // Makes the data written so far durable (fdatasync) — called by the
  // reader from time to time, never by the forwarding threads.
  Status Sync();
  // Wakes a reader waiting in Read.
  void Interrupt();

  CaptureJournalStats Stats() const;
  // Random, made when the journal is created: positions of another journal
  // (one deleted and made anew) are recognised as foreign.
  const std::string& id() const { return id_; }

  // Use Open.
  struct Segment {
    std::uint64_t first_position;
    std::string path;
    std::unique_ptr<platform::DurableFile> file;
    std::uint64_t size;
  };
  CaptureJournal(CaptureJournalOptions options, std::string id, std::deque<Segment> segments,
                 std::uint64_t checkpoint);

 private:
  bool Append(char type, std::string_view payload);
  // Masks and journals `bytes` after the held-back ones; holds back the
  // trailing digits and separators unless `all`. held_mutex_ held.
  bool MaskAndAppend(std::string_view bytes, bool all);
  Status StartSegment(std::uint64_t first_position);  // mutex_ held
  std::uint64_t EndPosition() const;                  // mutex_ held

  CaptureJournalOptions options_;
  const std::string id_;
  std::mutex held_mutex_;  // orders writers; taken before mutex_
  std::string held_;       // guarded by held_mutex_: trailing bytes not yet masked
  std::chrono::steady_clock::time_point last_append_;  // guarded by held_mutex_
  bool bytes_since_break_ = false;                     // guarded by held_mutex_
  mutable std::mutex mutex_;
  std::condition_variable appended_;
  std::deque<Segment> segments_;  // guarded by mutex_; last one is written
  std::uint64_t checkpoint_;      // guarded by mutex_
  std::uint64_t read_position_;   // guarded by mutex_
  bool gap_ = false;              // guarded by mutex_: a drop awaits its break
  bool interrupted_ = false;      // guarded by mutex_
  CaptureJournalStats stats_;     // guarded by mutex_
};

}  // namespace tillbridge::drivers
