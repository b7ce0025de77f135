#include "tests/sync/sync_test_util.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/StreamCopier.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace tillbridge::testing {
namespace {

using Poco::JSON::Object;

Poco::Dynamic::Var Walk(const std::string& text, const std::string& path) {
  Poco::JSON::Parser parser;
  Poco::Dynamic::Var value = parser.parse(text);
  std::istringstream parts(path);
  for (std::string part; std::getline(parts, part, '.');) {
    if (value.type() != typeid(Object::Ptr)) return {};
    Object::Ptr object = value.extract<Object::Ptr>();
    if (!object->has(part)) return {};
    value = object->get(part);
  }
  return value;
}

std::string Stringify(const Poco::Dynamic::Var& value) {
  std::ostringstream out;
  Poco::JSON::Stringifier::stringify(value, out);
  return out.str();
}

void InitSslOnce() {
  static std::once_flag once;
  std::call_once(once, [] { Poco::Net::initializeSSL(); });
}

}  // namespace

// ---- ChildProcess ---------------------------------------------------------

Result<std::unique_ptr<ChildProcess>> ChildProcess::Spawn(const std::vector<std::string>& argv,
                                                          const std::string& output_file) {
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) return Status::Internal(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    // Only async-signal-safe calls here. The child dies with the test, so a
    // crashed test leaves no server behind.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    const int fd = open(output_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    execve(args[0], args.data(), environ);
    _exit(127);
  }
  return std::unique_ptr<ChildProcess>(new ChildProcess(pid, output_file));
}

ChildProcess::~ChildProcess() {
  if (!reaped_) {
    ::kill(pid_, SIGKILL);
    Wait(std::chrono::seconds(10));
  }
}

void ChildProcess::Signal(int signal) {
  if (!reaped_) ::kill(pid_, signal);
}

bool ChildProcess::running() {
  if (reaped_) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    reaped_ = true;
    status_ = status;
    return false;
  }
  return true;
}

int ChildProcess::Wait(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!reaped_) {
    int status = 0;
    const pid_t done = waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      reaped_ = true;
      status_ = status;
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (WIFEXITED(status_)) return WEXITSTATUS(status_);
  if (WIFSIGNALED(status_)) return 128 + WTERMSIG(status_);
  return -1;
}

std::string ChildProcess::Output() const {
  std::ifstream in(output_file_);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::optional<std::string> ChildProcess::WaitForLine(const std::string& needle,
                                                     std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    std::istringstream lines(Output());
    for (std::string line; std::getline(lines, line);) {
      if (line.find(needle) != std::string::npos) return line;
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// ---- JsonValue ------------------------------------------------------------

JsonValue JsonValue::Parse(const std::string& text) {
  JsonValue value;
  value.text_ = text;
  try {
    Poco::JSON::Parser parser;
    parser.parse(text);
    value.valid_ = true;
  } catch (const Poco::Exception&) {
    value.valid_ = false;
  }
  return value;
}

std::int64_t JsonValue::Int(const std::string& path) const {
  if (!valid_) return -1;
  Poco::Dynamic::Var value = Walk(text_, path);
  return value.isEmpty() || !value.isNumeric() ? -1 : value.convert<std::int64_t>();
}

std::string JsonValue::Text(const std::string& path) const {
  if (!valid_) return "";
  Poco::Dynamic::Var value = Walk(text_, path);
  if (value.isEmpty()) return "";
  return value.isString() ? value.convert<std::string>() : Stringify(value);
}

std::vector<JsonValue> JsonValue::Array(const std::string& path) const {
  std::vector<JsonValue> out;
  if (!valid_) return out;
  Poco::Dynamic::Var value = Walk(text_, path);
  if (value.type() != typeid(Poco::JSON::Array::Ptr)) return out;
  auto array = value.extract<Poco::JSON::Array::Ptr>();
  for (size_t i = 0; i < array->size(); ++i) {
    out.push_back(Parse(Stringify(array->get(static_cast<unsigned>(i)))));
  }
  return out;
}

// ---- RefCloud -------------------------------------------------------------

Result<std::unique_ptr<RefCloud>> RefCloud::Start(const std::string& work_dir, Options options) {
  auto cloud = std::unique_ptr<RefCloud>(new RefCloud());
  if (options.db.empty()) options.db = work_dir + "/refcloud.db";
  std::vector<std::string> argv = {BinaryPath("tools/refcloud/tillbridge-refcloud"),
                                   "--port",
                                   "0",
                                   "--db",
                                   options.db,
                                   "--token",
                                   options.token,
                                   "--admin-token",
                                   options.admin_token,
                                   "--seed",
                                   "7"};
  if (!options.tls_cert.empty()) {
    argv.insert(argv.end(), {"--tls-cert", options.tls_cert, "--tls-key", options.tls_key});
  }
  if (!options.webhook_secret.empty()) {
    argv.insert(argv.end(), {"--webhook-secret", options.webhook_secret});
  }
  argv.insert(argv.end(), options.extra_args.begin(), options.extra_args.end());
  static std::atomic<int> serial{0};
  auto process =
      ChildProcess::Spawn(argv, work_dir + "/refcloud-" + std::to_string(++serial) + ".log");
  if (!process.ok()) return process.status();
  cloud->process_ = std::move(process).value();
  auto line = cloud->process_->WaitForLine("refcloud listening", std::chrono::seconds(20));
  if (!line) {
    return Status::Unavailable("refcloud did not start: " + cloud->process_->Output());
  }
  const auto port_at = line->find("port=");
  cloud->port_ = std::atoi(line->c_str() + port_at + 5);
  cloud->url_ =
      line->substr(line->find("http"), line->find(' ', line->find("http")) - line->find("http"));
  cloud->options_ = std::move(options);
  return cloud;
}

RefCloud::~RefCloud() {
  if (process_) {
    process_->Signal(SIGTERM);
    if (process_->Wait(std::chrono::seconds(10)) < 0) process_->Signal(SIGKILL);
  }
}

HttpAnswer RefCloud::Admin(const std::string& method, const std::string& path,
                           const std::string& body) const {
  return Request(method, path, body, {{"Authorization", "Bearer " + options_.admin_token}});
}

HttpAnswer RefCloud::Request(
    const std::string& method, const std::string& path, const std::string& body,
    const std::vector<std::pair<std::string, std::string>>& headers) const {
  HttpAnswer answer;
  try {
    std::unique_ptr<Poco::Net::HTTPClientSession> session;
    if (url_.rfind("https", 0) == 0) {
      InitSslOnce();
      Poco::Net::Context::Ptr context = new Poco::Net::Context(
          Poco::Net::Context::TLS_CLIENT_USE, "", "", "", Poco::Net::Context::VERIFY_NONE);
      session = std::make_unique<Poco::Net::HTTPSClientSession>("127.0.0.1", port_, context);
    } else {
      session = std::make_unique<Poco::Net::HTTPClientSession>("127.0.0.1", port_);
    }
    session->setTimeout(Poco::Timespan(30, 0));
    Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    for (const auto& [name, value] : headers) request.set(name, value);
    request.setContentType("application/json");
    request.setContentLength(static_cast<std::streamsize>(body.size()));
    session->sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    std::istream& in = session->receiveResponse(response);
    Poco::StreamCopier::copyToString(in, answer.body);
    answer.status = response.getStatus();
    answer.json = JsonValue::Parse(answer.body);
  } catch (const Poco::Exception& error) {
    answer.status = 0;
    answer.body = error.displayText();
  }
  return answer;
}

JsonValue RefCloud::Stats() const { return Admin("GET", "/admin/stats").json; }

bool RefCloud::SetFaults(const std::string& json) const {
  return Admin("PUT", "/admin/faults", json).status == 200;
}

std::vector<std::pair<std::string, std::string>> RefCloud::EventsInOrder() const {
  std::vector<std::pair<std::string, std::string>> out;
  std::int64_t after = 0;
  for (;;) {
    HttpAnswer page = Admin("GET", "/admin/events?limit=20000&after=" + std::to_string(after));
    auto events = page.json.Array("events");
    if (events.empty()) break;
    for (const auto& event : events) out.emplace_back(event.Text("customer"), event.Text("pos_id"));
    after = page.json.Int("next_after");
  }
  return out;
}

sync::SyncOptions RefCloud::SyncOptionsFor() const {
  sync::SyncOptions options;
  options.cloud.enabled = true;
  options.cloud.endpoint.url = url_;
  options.cloud.token = options_.token;
  options.cloud.endpoint.timeout = std::chrono::seconds(10);
  options.cloud.endpoint.backoff_initial = std::chrono::milliseconds(20);
  options.cloud.endpoint.backoff_max = std::chrono::milliseconds(400);
  options.cloud.long_poll_timeout = std::chrono::seconds(10);
  options.jitter_seed = 42;
  return options;
}

// ---- FastClock ------------------------------------------------------------

FastClock::FastClock(UnixMillis start) : base_(start), anchor_(std::chrono::steady_clock::now()) {}

UnixMillis FastClock::NowMillis() const {
  std::lock_guard lock(mutex_);
  const auto real =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - anchor_);
  return base_ + static_cast<UnixMillis>(real.count() * speed_);
}

void FastClock::SetSpeed(double speed) {
  const UnixMillis now = NowMillis();
  std::lock_guard lock(mutex_);
  base_ = now;
  anchor_ = std::chrono::steady_clock::now();
  speed_ = speed;
}

void FastClock::Advance(std::chrono::milliseconds by) {
  std::lock_guard lock(mutex_);
  base_ += by.count();
}

// ---- helpers (generated sales: sync_test_data.cpp) -------------------------

namespace {

// The whole of `name`'s value as a number, or nullopt when unset. A value
// that is set but unusable throws, which doctest reports with the message.
std::optional<double> NumberFromEnvironment(const char* name, double low, double high) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const double value = std::strtod(text, &end);
  if (errno != 0 || end == text || *end != '\0' || !(value >= low && value <= high)) {
    std::ostringstream why;
    why << name << "='" << text << "' is not a number from " << low << " to " << high;
    throw std::invalid_argument(why.str());
  }
  return value;
}

}  // namespace

std::uint64_t TestSeed() {
  const char* text = std::getenv("TILLBRIDGE_TEST_SEED");
  if (text == nullptr || *text == '\0') return std::random_device{}();
  char* end = nullptr;
  errno = 0;
  const unsigned long long seed = std::strtoull(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || *text == '-') {
    throw std::invalid_argument(std::string("TILLBRIDGE_TEST_SEED='") + text +
                                "' is not a whole number");
  }
  return seed;
}

double TestFailureRate(double fallback) {
  return NumberFromEnvironment("TILLBRIDGE_TEST_FAILURE_RATE", 0.0, 0.9).value_or(fallback);
}

int TestKills(int fallback) {
  const auto kills = NumberFromEnvironment("TILLBRIDGE_TEST_KILLS", 1, 1000);
  if (!kills) return fallback;
  if (*kills != static_cast<int>(*kills)) {
    throw std::invalid_argument("TILLBRIDGE_TEST_KILLS must be a whole number");
  }
  return static_cast<int>(*kills);
}

std::string FaultsForRate(double rate) {
  std::ostringstream json;
  json << R"({"error_rate":)" << rate * 0.40 << R"(,"drop_rate":)" << rate * 0.47
       << R"(,"throttle_rate":)" << rate * 0.13 << R"(,"retry_after_seconds":1})";
  return json.str();
}

std::string BinaryPath(const std::string& relative) {
  return std::string(TILLBRIDGE_BINARY_DIR) + "/" + relative;
}

bool WaitUntilTrue(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

int FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t size = sizeof(address);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  ::close(fd);
  return ntohs(address.sin_port);
}

bool PortOpen(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  const bool open = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  ::close(fd);
  return open;
}

Result<TestPki> MakeTestPki(const std::string& dir) {
  TestPki pki;
  pki.ca_cert = dir + "/ca.pem";
  pki.server_cert = dir + "/server.pem";
  pki.server_key = dir + "/server.key";
  pki.wrong_host_cert = dir + "/wrong.pem";
  pki.wrong_host_key = dir + "/wrong.key";
  pki.self_signed_cert = dir + "/self.pem";
  pki.self_signed_key = dir + "/self.key";
  const std::string ec = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
  const std::string quiet = " > " + dir + "/openssl.log 2>&1";
  {
    std::ofstream ext(dir + "/server.ext");
    ext << "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
           "extendedKeyUsage=serverAuth\n";
    std::ofstream wrong(dir + "/wrong.ext");
    wrong << "subjectAltName=DNS:wrong.example\nbasicConstraints=CA:FALSE\n"
             "extendedKeyUsage=serverAuth\n";
  }
  const std::vector<std::string> commands = {
      "openssl req -x509" + ec + " -keyout " + dir + "/ca.key -out " + pki.ca_cert +
          " -days 2 -subj '/CN=Tillbridge Test CA' -addext basicConstraints=critical,CA:TRUE"
          " -addext keyUsage=critical,keyCertSign,cRLSign",
      "openssl req" + ec + " -keyout " + pki.server_key + " -out " + dir +
          "/server.csr -subj /CN=127.0.0.1",
      "openssl x509 -req -in " + dir + "/server.csr -CA " + pki.ca_cert + " -CAkey " + dir +
          "/ca.key -CAcreateserial -out " + pki.server_cert + " -days 2 -extfile " + dir +
          "/server.ext",
      "openssl req" + ec + " -keyout " + pki.wrong_host_key + " -out " + dir +
          "/wrong.csr -subj /CN=wrong.example",
      "openssl x509 -req -in " + dir + "/wrong.csr -CA " + pki.ca_cert + " -CAkey " + dir +
          "/ca.key -CAcreateserial -out " + pki.wrong_host_cert + " -days 2 -extfile " + dir +
          "/wrong.ext",
      "openssl req -x509" + ec + " -keyout " + pki.self_signed_key + " -out " +
          pki.self_signed_cert + " -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1",
  };
  for (const auto& command : commands) {
    if (std::system((command + quiet).c_str()) != 0) {
      std::ifstream log(dir + "/openssl.log");
      std::ostringstream text;
      text << log.rdbuf();
      return Status::Internal("openssl failed: " + command + "\n" + text.str());
    }
  }
  return pki;
}

}  // namespace tillbridge::testing
