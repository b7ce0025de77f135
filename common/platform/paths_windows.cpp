#include <windows.h>

#include "common/platform/paths.h"
#include "common/platform/windows_text.h"

namespace tillbridge::platform {
namespace {

// %ProgramData%\Tillbridge, read from the environment the way the MSI's
// CommonAppDataFolder resolves it; C:\ProgramData when the variable is unset
// (a service started with an empty environment).
std::string TillbridgeFolder() {
  wchar_t buffer[MAX_PATH] = {};
  const DWORD length = GetEnvironmentVariableW(L"ProgramData", buffer, MAX_PATH);
  const std::string base = length > 0 && length < MAX_PATH
                               ? Narrow(std::wstring_view(buffer, length))
                               : "C:\\ProgramData";
  return base + "\\Tillbridge";
}

}  // namespace

std::string DefaultConfigPath() { return TillbridgeFolder() + "\\tillbridge.ini"; }

std::string DefaultDataDir() { return TillbridgeFolder() + "\\data"; }

}  // namespace tillbridge::platform
