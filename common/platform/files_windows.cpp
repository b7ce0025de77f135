#include <aclapi.h>
#include <sddl.h>
#include <windows.h>

#include <filesystem>

#include "common/platform/files.h"
#include "common/platform/windows_text.h"

namespace tillbridge::platform {
namespace {

// Full control for the file's owner, SYSTEM and Administrators; nobody
// else, and nothing inherited from the folder (ProgramData lets every local
// user read). Folders pass the same entries on to what is created in them.
constexpr wchar_t kOwnerOnlyFile[] = L"D:P(A;;FA;;;OW)(A;;FA;;;SY)(A;;FA;;;BA)";
constexpr wchar_t kOwnerOnlyFolder[] = L"D:P(A;OICI;FA;;;OW)(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)";

std::string ErrorText(const std::string& path, DWORD code = GetLastError()) {
  return path + ": " + WindowsErrorText(code);
}

// A security descriptor made from SDDL, freed with LocalFree.
class SecurityDescriptor {
 public:
  explicit SecurityDescriptor(const wchar_t* sddl) {
    if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl, SDDL_REVISION_1, &descriptor_,
                                                              nullptr)) {
      descriptor_ = nullptr;
    }
  }
  ~SecurityDescriptor() {
    if (descriptor_ != nullptr) LocalFree(descriptor_);
  }
  SecurityDescriptor(const SecurityDescriptor&) = delete;
  SecurityDescriptor& operator=(const SecurityDescriptor&) = delete;
  PSECURITY_DESCRIPTOR get() const { return descriptor_; }

 private:
  PSECURITY_DESCRIPTOR descriptor_ = nullptr;
};

class Handle {
 public:
  explicit Handle(HANDLE handle) : handle_(handle) {}
  ~Handle() {
    if (valid()) CloseHandle(handle_);
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  bool valid() const { return handle_ != INVALID_HANDLE_VALUE && handle_ != nullptr; }
  HANDLE get() const { return handle_; }

 private:
  HANDLE handle_;
};

OVERLAPPED At(std::uint64_t offset) {
  OVERLAPPED position{};
  position.Offset = static_cast<DWORD>(offset & 0xFFFFFFFFu);
  position.OffsetHigh = static_cast<DWORD>(offset >> 32);
  return position;
}

class WindowsDurableFile final : public DurableFile {
 public:
  WindowsDurableFile(std::string path, HANDLE handle)
      : DurableFile(std::move(path)), handle_(handle) {}

  Result<std::uint64_t> Size() override {
    LARGE_INTEGER size{};
    if (!GetFileSizeEx(handle_.get(), &size)) return Status::IoError(ErrorText(path()));
    return static_cast<std::uint64_t>(size.QuadPart);
  }

  Status WriteAt(std::uint64_t offset, std::string_view data) override {
    while (!data.empty()) {
      OVERLAPPED position = At(offset);
      const DWORD chunk = static_cast<DWORD>(std::min<std::size_t>(data.size(), 1u << 30));
      DWORD put = 0;
      if (!WriteFile(handle_.get(), data.data(), chunk, &put, &position) || put == 0) {
        return Status::IoError(ErrorText(path()));
      }
      data.remove_prefix(put);
      offset += put;
    }
    return Status::Ok();
  }

  Result<std::string> ReadAt(std::uint64_t offset, std::uint64_t length) override {
    std::string data(length, '\0');
    std::uint64_t done = 0;
    while (done < length) {
      OVERLAPPED position = At(offset + done);
      const DWORD chunk = static_cast<DWORD>(std::min<std::uint64_t>(length - done, 1u << 30));
      DWORD got = 0;
      if (!ReadFile(handle_.get(), data.data() + done, chunk, &got, &position)) {
        const DWORD code = GetLastError();
        if (code != ERROR_HANDLE_EOF) return Status::IoError(ErrorText(path(), code));
      }
      if (got == 0) {
        return Status::IoError(path() + ": ends before byte " + std::to_string(offset + length));
      }
      done += got;
    }
    return data;
  }

  Status Truncate(std::uint64_t size) override {
    FILE_END_OF_FILE_INFO end{};
    end.EndOfFile.QuadPart = static_cast<LONGLONG>(size);
    if (!SetFileInformationByHandle(handle_.get(), FileEndOfFileInfo, &end, sizeof(end))) {
      return Status::IoError(ErrorText(path()));
    }
    return Status::Ok();
  }

  Status Sync() override {
    if (!FlushFileBuffers(handle_.get())) return Status::IoError(ErrorText(path()));
    return Status::Ok();
  }

 private:
  Handle handle_;
};

}  // namespace

Result<std::unique_ptr<DurableFile>> DurableFile::Open(const std::string& path, Mode mode) {
  SecurityDescriptor owner_only(kOwnerOnlyFile);
  SECURITY_ATTRIBUTES attributes{sizeof(SECURITY_ATTRIBUTES), owner_only.get(), FALSE};
  // FILE_SHARE_DELETE lets the file be replaced or removed while open, as
  // POSIX allows; readers (status, backups) may look at it meanwhile.
  const HANDLE handle =
      CreateFileW(Widen(path).c_str(), GENERIC_READ | GENERIC_WRITE,
                  FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, &attributes,
                  mode == Mode::kCreateOrTruncate ? CREATE_ALWAYS : OPEN_ALWAYS,
                  FILE_ATTRIBUTE_NORMAL, nullptr);
  if (handle == INVALID_HANDLE_VALUE) return Status::IoError(ErrorText(path));
  return std::unique_ptr<DurableFile>(std::make_unique<WindowsDurableFile>(path, handle));
}

Status SyncDirectory(const std::string& /*dir*/) { return Status::Ok(); }

Status AtomicReplace(const std::string& from, const std::string& to) {
  if (!MoveFileExW(Widen(from).c_str(), Widen(to).c_str(),
                   MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) {
    return Status::IoError(ErrorText(to));
  }
  return Status::Ok();
}

Status CreateOwnerOnlyFile(const std::string& path, std::string_view content) {
  SecurityDescriptor owner_only(kOwnerOnlyFile);
  SECURITY_ATTRIBUTES attributes{sizeof(SECURITY_ATTRIBUTES), owner_only.get(), FALSE};
  Handle file(CreateFileW(Widen(path).c_str(), GENERIC_WRITE, 0, &attributes, CREATE_NEW,
                          FILE_ATTRIBUTE_NORMAL, nullptr));
  if (!file.valid()) {
    const DWORD code = GetLastError();
    if (code == ERROR_FILE_EXISTS || code == ERROR_ALREADY_EXISTS) {
      return Status::AlreadyExists(path + " already exists");
    }
    return Status::IoError(ErrorText(path, code));
  }
  DWORD put = 0;
  const bool written =
      WriteFile(file.get(), content.data(), static_cast<DWORD>(content.size()), &put, nullptr) &&
      put == content.size() && FlushFileBuffers(file.get());
  if (!written) {
    const std::string reason = ErrorText(path);
    CloseHandle(file.get());
    DeleteFileW(Widen(path).c_str());
    return Status::IoError(reason);
  }
  return Status::Ok();
}

void LimitNewFilePermissions() {}

Status DenyOthers(const std::string& path) { return RestrictToOwner(path); }

Status RestrictToOwner(const std::string& path) {
  std::error_code error;
  const bool folder = std::filesystem::is_directory(Widen(path), error);
  SecurityDescriptor owner_only(folder ? kOwnerOnlyFolder : kOwnerOnlyFile);
  BOOL present = FALSE;
  BOOL defaulted = FALSE;
  PACL dacl = nullptr;
  if (owner_only.get() == nullptr ||
      !GetSecurityDescriptorDacl(owner_only.get(), &present, &dacl, &defaulted)) {
    return Status::Internal("cannot build the owner-only ACL: " + WindowsErrorText(GetLastError()));
  }
  std::wstring wide = Widen(path);
  const DWORD code = SetNamedSecurityInfoW(
      wide.data(), SE_FILE_OBJECT, DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION,
      nullptr, nullptr, dacl, nullptr);
  if (code != ERROR_SUCCESS) return Status::IoError(ErrorText(path, code));
  return Status::Ok();
}

Result<bool> IsReadableByOthers(const std::string& path) {
  PACL dacl = nullptr;
  PSECURITY_DESCRIPTOR descriptor = nullptr;
  PSID owner = nullptr;
  std::wstring wide = Widen(path);
  const DWORD code = GetNamedSecurityInfoW(wide.data(), SE_FILE_OBJECT,
                                           DACL_SECURITY_INFORMATION | OWNER_SECURITY_INFORMATION,
                                           &owner, nullptr, &dacl, nullptr, &descriptor);
  if (code != ERROR_SUCCESS) return Status::IoError(ErrorText(path, code));
  bool others = dacl == nullptr;  // a NULL DACL grants everyone everything
  for (DWORD i = 0; dacl != nullptr && i < dacl->AceCount && !others; ++i) {
    void* entry = nullptr;
    if (!GetAce(dacl, i, &entry)) continue;
    const auto* header = static_cast<const ACE_HEADER*>(entry);
    if (header->AceType != ACCESS_ALLOWED_ACE_TYPE) continue;
    const auto* allowed = static_cast<const ACCESS_ALLOWED_ACE*>(entry);
    if ((allowed->Mask & (FILE_READ_DATA | GENERIC_READ | GENERIC_ALL)) == 0) continue;
    PSID sid = const_cast<DWORD*>(&allowed->SidStart);
    const bool trusted = (owner != nullptr && EqualSid(sid, owner)) ||
                         IsWellKnownSid(sid, WinLocalSystemSid) ||
                         IsWellKnownSid(sid, WinBuiltinAdministratorsSid) ||
                         IsWellKnownSid(sid, WinCreatorOwnerRightsSid);
    others = !trusted;
  }
  LocalFree(descriptor);
  return others;
}

bool CanReadAndWrite(const std::string& path) {
  Handle file(CreateFileW(Widen(path).c_str(), GENERIC_READ | GENERIC_WRITE,
                          FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                          OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, nullptr));
  return file.valid();
}

std::string FileIdentity(const std::string& path) {
  Handle file(CreateFileW(Widen(path).c_str(), 0,
                          FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                          OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, nullptr));
  BY_HANDLE_FILE_INFORMATION info{};
  if (!file.valid() || !GetFileInformationByHandle(file.get(), &info)) return "missing";
  const std::uint64_t index =
      (static_cast<std::uint64_t>(info.nFileIndexHigh) << 32) | info.nFileIndexLow;
  return std::to_string(info.dwVolumeSerialNumber) + ":" + std::to_string(index);
}

std::string LastSystemError() { return WindowsErrorText(GetLastError()); }

}  // namespace tillbridge::platform
