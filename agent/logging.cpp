#include "agent/logging.h"

#include <Poco/AutoPtr.h>
#include <Poco/ConsoleChannel.h>
#include <Poco/Exception.h>
#include <Poco/FileChannel.h>
#include <Poco/FormattingChannel.h>
#include <Poco/Logger.h>
#include <Poco/PatternFormatter.h>
#include <Poco/SplitterChannel.h>

#include <filesystem>
#include <iostream>

namespace tillbridge::agent {

Status ConfigureLogging(const LoadedConfig& config) {
  try {
    Poco::AutoPtr<Poco::SplitterChannel> splitter(new Poco::SplitterChannel);
    if (config.values.GetBool("log.console")) {
      splitter->addChannel(Poco::AutoPtr<Poco::Channel>(new Poco::ConsoleChannel(std::cerr)));
    }
    const std::string file = config.values.GetString("log.file");
    if (!file.empty()) {
      std::error_code error;
      std::filesystem::create_directories(std::filesystem::path(file).parent_path(), error);
      Poco::AutoPtr<Poco::FileChannel> channel(new Poco::FileChannel(file));
      channel->setProperty("rotation", config.values.GetString("log.rotate_size") + " M");
      channel->setProperty("archive", "number");
      channel->setProperty("purgeCount", config.values.GetString("log.keep"));
      channel->setProperty("flush", "true");
      channel->open();
      splitter->addChannel(channel);
    }
    Poco::AutoPtr<Poco::PatternFormatter> format(
        new Poco::PatternFormatter("%Y-%m-%dT%H:%M:%S.%iZ %p %s: %t"));
    format->setProperty("times", "UTC");
    Poco::AutoPtr<Poco::FormattingChannel> formatting(
        new Poco::FormattingChannel(format, splitter));
    Poco::Logger::setChannel("", formatting);
    Poco::Logger::setLevel("", Poco::Logger::parseLevel(config.values.GetString("log.level")));
  } catch (const Poco::Exception& e) {
    return Status::IoError("cannot set up logging: " + e.displayText());
  }
  return Status::Ok();
}

}  // namespace tillbridge::agent
