#include "agent/logging.h"

#include <Poco/AutoPtr.h>
#include <Poco/ConsoleChannel.h>
#include <Poco/Exception.h>
#include <Poco/FileChannel.h>
#include <Poco/FormattingChannel.h>
#include <Poco/Message.h>
#include <Poco/Logger.h>
#include <Poco/PatternFormatter.h>
#include <Poco/SplitterChannel.h>

#include <atomic>
#include <filesystem>
#include <iostream>

#include "common/platform/files.h"

namespace tillbridge::agent {
namespace {

// Passes messages to the log file, and survives a file that cannot be
// written (a full disk, a removed folder): the agent keeps running and
// recording sales; the console (and the service manager's journal) says
// once that the log file is failing, and once that it works again.
class LogFileChannel : public Poco::Channel {
 public:
  explicit LogFileChannel(Poco::AutoPtr<Poco::FileChannel> file) : file_(std::move(file)) {}

  void log(const Poco::Message& message) override {
    try {
      file_->log(message);
      if (failing_.exchange(false)) {
        std::cerr << "tillbridge: the log file " << file_->path() << " is written again\n";
      }
    } catch (const Poco::Exception& error) {
      if (!failing_.exchange(true)) {
        std::cerr << "tillbridge: cannot write the log file " << file_->path() << " ("
                  << error.displayText() << "; is the disk full?); logging to the console only\n";
      }
    }
  }
  void close() override {
    try {
      file_->close();
    } catch (const Poco::Exception&) {
    }
  }

 private:
  Poco::AutoPtr<Poco::FileChannel> file_;
  std::atomic<bool> failing_{false};
};

}  // namespace

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
      try {
        channel->open();
        // A log written before this version may be readable by every user.
        (void)platform::DenyOthers(file);
        splitter->addChannel(Poco::AutoPtr<Poco::Channel>(new LogFileChannel(channel)));
      } catch (const Poco::Exception& e) {
        // A read-only or full disk must not keep the agent from saying
        // why it cannot run, nor from running.
        std::cerr << "tillbridge: cannot open the log file " << file << " (" << e.displayText()
                  << "); logging to the console only\n";
        if (!config.values.GetBool("log.console")) {
          splitter->addChannel(Poco::AutoPtr<Poco::Channel>(new Poco::ConsoleChannel(std::cerr)));
        }
      }
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
