// The logging facade masks what must never reach a log: card numbers in any
// written form, and phone numbers.
#include "common/log.h"

#include <Poco/AutoPtr.h>
#include <Poco/Channel.h>
#include <Poco/Logger.h>
#include <Poco/Message.h>
#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace tillbridge {
namespace {

class CapturingChannel : public Poco::Channel {
 public:
  void log(const Poco::Message& message) override { lines.push_back(message.getText()); }
  std::vector<std::string> lines;
};

TEST_CASE("log messages never carry a card number or a full phone number") {
  Poco::AutoPtr<CapturingChannel> channel(new CapturingChannel);
  Poco::Logger& logger = Poco::Logger::get("tillbridge.log-test");
  logger.setChannel(channel);
  logger.setLevel(Poco::Message::PRIO_DEBUG);
  LogWarning("log-test", "currency '4111_1111_1111_1111' is not an ISO 4217 code");
  LogInfo("log-test", "receipt line: num. 5555 5555 5555\n4444 caduca 12/27");
  LogError("log-test", "customer +14155550134 paid with 378282246310005");
  REQUIRE(channel->lines.size() == 3);
  CHECK(channel->lines[0] == "currency '4111_11**_****_1111' is not an ISO 4217 code");
  CHECK(channel->lines[1] == "receipt line: num. 5555 55** ****\n4444 caduca 12/27");
  CHECK(channel->lines[2] == "customer +1******0134 paid with 378282*****0005");
  logger.setChannel(nullptr);
}

}  // namespace
}  // namespace tillbridge
