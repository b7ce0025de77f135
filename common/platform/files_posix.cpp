#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "common/platform/files.h"

namespace tillbridge::platform {
namespace {

std::string ErrnoText(const std::string& path) { return path + ": " + std::strerror(errno); }

class PosixDurableFile final : public DurableFile {
 public:
  PosixDurableFile(std::string path, int fd) : DurableFile(std::move(path)), fd_(fd) {}
  ~PosixDurableFile() override { ::close(fd_); }

  Result<std::uint64_t> Size() override {
    struct stat info {};
    if (::fstat(fd_, &info) != 0) return Status::IoError(ErrnoText(path()));
    return static_cast<std::uint64_t>(info.st_size);
  }

  Status WriteAt(std::uint64_t offset, std::string_view data) override {
    while (!data.empty()) {
      const ssize_t put = ::pwrite(fd_, data.data(), data.size(), static_cast<off_t>(offset));
      if (put < 0) {
        if (errno == EINTR) continue;
        return Status::IoError(ErrnoText(path()));
      }
      data.remove_prefix(static_cast<std::size_t>(put));
      offset += static_cast<std::uint64_t>(put);
    }
    return Status::Ok();
  }

  Result<std::string> ReadAt(std::uint64_t offset, std::uint64_t length) override {
    std::string data(length, '\0');
    std::uint64_t done = 0;
    while (done < length) {
      const ssize_t got =
          ::pread(fd_, data.data() + done, length - done, static_cast<off_t>(offset + done));
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) return Status::IoError(ErrnoText(path()));
      if (got == 0)
        return Status::IoError(path() + ": ends before byte " + std::to_string(offset + length));
      done += static_cast<std::uint64_t>(got);
    }
    return data;
  }

  Status Truncate(std::uint64_t size) override {
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) return Status::IoError(ErrnoText(path()));
    return Status::Ok();
  }

  Status Sync() override {
    if (::fdatasync(fd_) != 0) return Status::IoError(ErrnoText(path()));
    return Status::Ok();
  }

 private:
  int fd_;
};

}  // namespace

Result<std::unique_ptr<DurableFile>> DurableFile::Open(const std::string& path, Mode mode) {
  int flags = O_RDWR | O_CREAT | O_CLOEXEC;
  if (mode == Mode::kCreateOrTruncate) flags |= O_TRUNC;
  const int fd = ::open(path.c_str(), flags, 0600);
  if (fd < 0) return Status::IoError(ErrnoText(path));
  return std::unique_ptr<DurableFile>(std::make_unique<PosixDurableFile>(path, fd));
}

Status SyncDirectory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::IoError(ErrnoText(dir));
  const int synced = ::fsync(fd);
  ::close(fd);
  if (synced != 0) return Status::IoError(ErrnoText(dir));
  return Status::Ok();
}

Status AtomicReplace(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) return Status::IoError(ErrnoText(to));
  // The rename has happened; a failed folder sync only weakens durability,
  // and reporting it as a failed replace would mislead the caller.
  const auto parent = std::filesystem::path(to).parent_path();
  (void)SyncDirectory(parent.empty() ? "." : parent.string());
  return Status::Ok();
}

Status CreateOwnerOnlyFile(const std::string& path, std::string_view content) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return Status::AlreadyExists(path + " already exists");
    return Status::IoError(ErrnoText(path));
  }
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t put = ::write(fd, content.data() + done, content.size() - done);
    if (put < 0 && errno == EINTR) continue;
    if (put <= 0) break;
    done += static_cast<std::size_t>(put);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (done != content.size() || !synced) {
    const std::string reason = ErrnoText(path);
    ::unlink(path.c_str());
    return Status::IoError(reason);
  }
  return Status::Ok();
}

Status RestrictToOwner(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return Status::IoError(ErrnoText(path));
  const mode_t mode = S_ISDIR(info.st_mode) ? 0700 : 0600;
  if (::chmod(path.c_str(), mode) != 0) return Status::IoError(ErrnoText(path));
  return Status::Ok();
}

void LimitNewFilePermissions() {
  const mode_t previous = ::umask(0027);
  // Keep anything stricter the process was started with.
  ::umask(previous | 0027);
}

Status DenyOthers(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return Status::IoError(ErrnoText(path));
  const mode_t wanted = info.st_mode & 07777 & ~(S_IRWXO | S_IWGRP);
  if (wanted == (info.st_mode & 07777)) return Status::Ok();
  if (::chmod(path.c_str(), wanted) != 0) return Status::IoError(ErrnoText(path));
  return Status::Ok();
}

Result<bool> IsReadableByOthers(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return Status::IoError(ErrnoText(path));
  return (info.st_mode & (S_IRWXG | S_IRWXO)) != 0;
}

bool CanReadAndWrite(const std::string& path) { return ::access(path.c_str(), R_OK | W_OK) == 0; }

std::string FileIdentity(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return "missing";
  return std::to_string(info.st_dev) + ":" + std::to_string(info.st_ino);
}

std::string LastSystemError() { return std::strerror(errno); }

}  // namespace tillbridge::platform
