// Text conversions for Windows APIs: the project's strings are UTF-8, the
// system's wide functions take UTF-16. Windows builds only.
#pragma once

#include <string>
#include <string_view>

namespace tillbridge::platform {

// UTF-8 to UTF-16; invalid sequences become U+FFFD.
std::wstring Widen(std::string_view text);
// UTF-16 to UTF-8.
std::string Narrow(std::wstring_view text);
// The system's message for a Win32 error code, in English where the system
// has it, without the trailing line break: "Access is denied. (5)".
std::string WindowsErrorText(unsigned long code);

}  // namespace tillbridge::platform
