// The operating system's file APIs, behind one interface: durable positioned
// writes, owner-only files, atomic replacement and file identity. One
// implementation per platform (files_posix.cpp, files_windows.cpp), chosen by
// the build; the rest of the code never tests which platform it is on.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace tillbridge::platform {

// A file open for reading and writing at explicit offsets, whose writes are
// made durable by Sync. Not thread-safe: callers serialize access. Other
// processes may read it, and it may be replaced (AtomicReplace) or deleted
// while open. Errors name the path and the system's reason.
class DurableFile {
 public:
  enum class Mode {
    kOpenOrCreate,      // keep existing content
    kCreateOrTruncate,  // start empty
  };
  // Opens `path`; a file it creates is readable and writable by the owner
  // only from the start (mode 0600; on Windows an ACL for the owner, SYSTEM
  // and Administrators).
  static Result<std::unique_ptr<DurableFile>> Open(const std::string& path, Mode mode);

  virtual ~DurableFile() = default;
  DurableFile(const DurableFile&) = delete;
  DurableFile& operator=(const DurableFile&) = delete;

  virtual Result<std::uint64_t> Size() = 0;
  // Writes all of `data` at `offset`, growing the file as needed.
  virtual Status WriteAt(std::uint64_t offset, std::string_view data) = 0;
  // Reads exactly `length` bytes at `offset`; IoError when the file is shorter.
  virtual Result<std::string> ReadAt(std::uint64_t offset, std::uint64_t length) = 0;
  virtual Status Truncate(std::uint64_t size) = 0;
  // Returns once everything written is on stable storage (fdatasync,
  // FlushFileBuffers).
  virtual Status Sync() = 0;
  const std::string& path() const { return path_; }

 protected:
  explicit DurableFile(std::string path) : path_(std::move(path)) {}

 private:
  std::string path_;
};

// Makes the folder entries of `dir` (new and renamed files) durable. Windows
// journals them itself, so there it returns Ok at once.
Status SyncDirectory(const std::string& dir);

// Atomically replaces `to` with `from` (both in one folder): a crash leaves
// either the old or the new file, never neither. Once it returns Ok the
// rename has happened; making the folder entry durable is best effort.
Status AtomicReplace(const std::string& from, const std::string& to);

// Creates `path` holding `content`, readable and writable by the owner only
// from the moment it exists, and syncs it. AlreadyExists when it exists.
Status CreateOwnerOnlyFile(const std::string& path, std::string_view content);

// Restricts an existing file or folder to its owner (POSIX 0600 / 0700;
// Windows: owner, SYSTEM and Administrators, inheritance removed).
Status RestrictToOwner(const std::string& path);

// Files and folders this process creates from now on get no access for
// other users and no write access for the group (POSIX: umask 027, so
// 0640 / 0750), whatever umask it was started with. Windows: new files
// inherit their folder's ACL, which the installer restricts; nothing to do.
void LimitNewFilePermissions();

// Takes other users' access and the group's write access away from an
// existing file or folder (POSIX: chmod o-rwx,g-w; Windows: as
// RestrictToOwner). Leaves the owner's access as it is.
Status DenyOthers(const std::string& path);

// Whether anyone but the owner (and, on Windows, SYSTEM and Administrators)
// may read `path`. Errors when the permissions cannot be read.
Result<bool> IsReadableByOthers(const std::string& path);

// Whether this process may open `path` for reading and writing.
bool CanReadAndWrite(const std::string& path);

// A string that changes when `path` is replaced by another file (device and
// inode; volume serial and file index on Windows), "missing" when it does
// not exist.
std::string FileIdentity(const std::string& path);

// The last system error (errno / GetLastError) as text, for messages.
std::string LastSystemError();

}  // namespace tillbridge::platform
