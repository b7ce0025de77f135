// Logging facade over Poco's loggers. Every message passes through
// MaskCardNumbers and MaskPhonesInText, so no log line carries a card number
// or a full phone number. Thread-safe.
#pragma once

#include <string_view>

namespace tillbridge {

enum class LogLevel { kDebug, kInfo, kWarning, kError };

// Logs `message` under the logger "tillbridge.<component>".
void Log(LogLevel level, std::string_view component, std::string_view message);

inline void LogDebug(std::string_view component, std::string_view message) {
  Log(LogLevel::kDebug, component, message);
}
inline void LogInfo(std::string_view component, std::string_view message) {
  Log(LogLevel::kInfo, component, message);
}
inline void LogWarning(std::string_view component, std::string_view message) {
  Log(LogLevel::kWarning, component, message);
}
inline void LogError(std::string_view component, std::string_view message) {
  Log(LogLevel::kError, component, message);
}

}  // namespace tillbridge
