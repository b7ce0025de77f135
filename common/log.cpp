#include "common/log.h"

#include <Poco/Logger.h>

#include <string>

#include "common/card_numbers.h"
#include "common/phone.h"

namespace tillbridge {

void Log(LogLevel level, std::string_view component, std::string_view message) {
  Poco::Logger& logger = Poco::Logger::get("tillbridge." + std::string(component));
  const Poco::Message::Priority priority =
      level == LogLevel::kDebug     ? Poco::Message::PRIO_DEBUG
      : level == LogLevel::kInfo    ? Poco::Message::PRIO_INFORMATION
      : level == LogLevel::kWarning ? Poco::Message::PRIO_WARNING
                                    : Poco::Message::PRIO_ERROR;
  if (!logger.is(priority)) return;
  // Card numbers first: the phone masker would leave a card number written
  // with underscores or across lines readable.
  logger.log(Poco::Message(logger.name(), MaskPhonesInText(MaskCardNumbers(message)), priority));
}

}  // namespace tillbridge
