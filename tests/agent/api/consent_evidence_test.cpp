// The audit side of consent: the CSV evidence export, the hash-chain check
// (including a row edited with the sqlite3 command-line tool), the token
// file, and the cashier page's sign-in with its CSRF protection.
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "agent/api/api_token.h"
#include "agent/api/consent_export.h"
#include "tests/agent/api/api_test_util.h"

namespace tillbridge::agent::testing {
namespace {

// Splits RFC 4180 CSV into rows of fields.
std::vector<std::vector<std::string>> ParseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1);
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field.push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field.push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      rows.back().push_back(field);
      field.clear();
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      rows.back().push_back(field);
      field.clear();
      rows.emplace_back();
      ++i;
    } else {
      field.push_back(c);
    }
  }
  if (rows.back().empty() && field.empty()) rows.pop_back();
  return rows;
}

std::string Consent(bool granted) {
  return std::string(R"({"phone":"(415) 555-0134","purpose":"marketing","granted":)") +
         (granted ? "true" : "false") +
         R"(,"method":"customer_display","cashier_id":"c-17","detail":"said \"yes\", twice")" +
         (granted ? R"(,"disclosure_version":"1"})" : "}");
}

}  // namespace

TEST_CASE("checked by: capture, withdraw, history, export, verify, tamper, verify fails") {
  ApiOptions options = ApiFixture::TestOptions();
  options.marketing_disclosure = {"Offers, coupons and news by text.\nReply STOP to stop.",
                                  "Up to 4 msgs/month"};
  ApiFixture api(options);
  const Reply in = api.Post("/v1/consents", Consent(true));
  REQUIRE_MESSAGE(in.status == 201, in.body);
  CHECK(At(in.Json(), "phone") == "+14155550134");
  CHECK(At(in.Json(), "state") == "opted_in");
  REQUIRE(api.Post("/v1/consents", Consent(false)).status == 201);
  CHECK(At(api.Get("/v1/consents/4155550134/history").Json(), "entries") == "<array:2>");

  std::ostringstream csv;
  REQUIRE(WriteConsentsCsv(api.store(), csv).ok());
  const auto rows = ParseCsv(csv.str());
  REQUIRE(rows.size() == 3);
  CHECK(csv.str().find("\r\n") != std::string::npos);
  const auto& header = rows[0];
  const auto column = [&](const std::string& name) {
    for (std::size_t i = 0; i < header.size(); ++i) {
      if (header[i] == name) return i;
    }
    FAIL("no column ", name);
    return std::size_t{0};
  };
  for (const auto& row : rows) REQUIRE(row.size() == header.size());
  CHECK(rows[1][column("phone")] == "+14155550134");
  CHECK(rows[1][column("state")] == "opted_in");
  CHECK(rows[1][column("method")] == "customer_display");
  CHECK(rows[1][column("actor")] == "c-17");
  CHECK(rows[1][column("store_id")] == "store-7");
  CHECK(rows[1][column("terminal_id")] == "lane-3");
  CHECK(rows[1][column("detail")] == "said \"yes\", twice");
  CHECK(rows[1][column("disclosure_version")] == "1");
  CHECK(rows[1][column("disclosure_text")] ==
        "Offers, coupons and news by text.\nReply STOP to stop.");
  CHECK(rows[1][column("disclosure_frequency")] == "Up to 4 msgs/month");
  CHECK(rows[1][column("disclosure_hash")].size() == 64);
  CHECK(rows[2][column("state")] == "opted_out");
  CHECK(rows[2][column("previous_state")] == "opted_in");
  CHECK(rows[2][column("prev_hash")] == rows[1][column("row_hash")]);

  std::ostringstream verdict;
  CHECK(VerifyConsentChain(api.store(), verdict) == 0);
  CHECK(verdict.str().find("intact: 2 rows") != std::string::npos);

  // Someone rewrites history with the sqlite3 tool while the agent runs.
  const std::string command = "sqlite3 '" + api.db_path() +
                              "' \"UPDATE consent_ledger SET state = 'opted_in' WHERE seq = 2\"";
  REQUIRE(std::system(command.c_str()) == 0);
  std::ostringstream broken;
  CHECK(VerifyConsentChain(api.store(), broken) == 1);
  CHECK(broken.str().find("BROKEN at row 2") != std::string::npos);
  CHECK(broken.str().find("edited") != std::string::npos);

  // Deleting the newest row is caught too.
  const std::string restore = "sqlite3 '" + api.db_path() +
                              "' \"UPDATE consent_ledger SET state = 'opted_out' WHERE seq = 2\"";
  REQUIRE(std::system(restore.c_str()) == 0);
  std::ostringstream again;
  REQUIRE(VerifyConsentChain(api.store(), again) == 0);
  const std::string remove =
      "sqlite3 '" + api.db_path() + "' \"DELETE FROM consent_ledger WHERE seq = 2\"";
  REQUIRE(std::system(remove.c_str()) == 0);
  std::ostringstream truncated;
  CHECK(VerifyConsentChain(api.store(), truncated) == 1);
  CHECK(truncated.str().find("deleted") != std::string::npos);

  // A damaged chain head is reported as a broken ledger, not a crash.
  const std::string head = "sqlite3 '" + api.db_path() +
                           "' \"UPDATE meta SET value = 'x:abc' WHERE key = 'consent_chain_head'\"";
  REQUIRE(std::system(head.c_str()) == 0);
  std::ostringstream damaged;
  CHECK(VerifyConsentChain(api.store(), damaged) == 1);
  CHECK(damaged.str().find("head is malformed") != std::string::npos);
}

TEST_CASE("the token file is created once, owner-only, and reused") {
  tillbridge::testing::TempDir dir;
  const std::string path = dir.File("api-token");
  auto created = LoadOrCreateApiToken(path);
  REQUIRE_MESSAGE(created.ok(), created.status().ToString());
  CHECK(created->size() == 64);
  CHECK(created->find_first_not_of("0123456789abcdef") == std::string::npos);
  struct stat info {};
  REQUIRE(::stat(path.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);
  auto reread = LoadOrCreateApiToken(path);
  REQUIRE(reread.ok());
  CHECK(*reread == *created);

  std::ofstream(dir.File("short")) << "abc\n";
  auto too_short = LoadOrCreateApiToken(dir.File("short"));
  CHECK(too_short.status().code() == StatusCode::kFailedPrecondition);
  auto no_folder = LoadOrCreateApiToken(dir.File("missing/api-token"));
  CHECK(no_folder.status().code() == StatusCode::kIoError);
}

TEST_CASE("the server creates its token file when none is configured") {
  tillbridge::testing::TempDir dir;
  store::StoreOptions store_options;
  store_options.path = dir.File("store.db");
  auto store = store::Store::Open(store_options);
  REQUIRE(store.ok());
  ApiOptions options = ApiFixture::TestOptions();
  options.token.clear();
  options.token_file = dir.File("api-token");
  PhoneNormalizer phones("US");
  auto server = ApiServer::Start(options, **store, phones);
  REQUIRE(server.ok());
  auto token = LoadOrCreateApiToken(options.token_file);
  REQUIRE(token.ok());
  CHECK(Call((*server)->Port(), "GET", "/v1/disclosures", "", {Bearer(*token)}).status == 200);
  CHECK(Call((*server)->Port(), "GET", "/v1/disclosures", "", {Bearer()}).status == 401);
}

TEST_CASE("a restart keeps cashiers signed in and used launch links used") {
  ApiFixture api;
  const std::string launch = api.server().LaunchUrl();
  const std::string path = launch.substr(api.server().BaseUrl().size());
  const Reply signed_in = Call(api.port(), "GET", path);
  REQUIRE(signed_in.status == 303);
  REQUIRE(signed_in.set_cookies.size() == 1);
  const std::string cookie = signed_in.set_cookies[0].substr(0, signed_in.set_cookies[0].find(';'));
  const Reply before = Call(api.port(), "GET", "/session", "", {{"Cookie", cookie}});
  REQUIRE(before.status == 200);

  api.Restart();
  const Reply replayed = Call(api.port(), "GET", path);
  CHECK(replayed.status == 303);
  CHECK(replayed.Header("location") == "/?launch_error=used");
  CHECK(replayed.set_cookies.empty());
  const Reply after = Call(api.port(), "GET", "/session", "", {{"Cookie", cookie}});
  REQUIRE(after.status == 200);
  CHECK(At(after.Json(), "csrf_token") == At(before.Json(), "csrf_token"));

  // The store keeps only a hash of the cookie: a copy of the data folder
  // does not sign anyone in.
  const std::string dump_path = api.dir().File("sessions.txt");
  REQUIRE(std::system(("sqlite3 '" + api.db_path() + "' 'SELECT * FROM web_sessions' > '" +
                       dump_path + "'")
                          .c_str()) == 0);
  std::ifstream dump_file(dump_path);
  const std::string dump((std::istreambuf_iterator<char>(dump_file)),
                         std::istreambuf_iterator<char>());
  CHECK(dump.find(cookie.substr(cookie.find('=') + 1)) == std::string::npos);
  CHECK(dump.size() >= 64);

  // Signing out is kept too.
  CHECK(Call(api.port(), "DELETE", "/session", "", {{"Cookie", cookie}}).status == 200);
  api.Restart();
  CHECK(Call(api.port(), "GET", "/session", "", {{"Cookie", cookie}}).status == 401);
}

TEST_CASE("the cashier page carries no token and signs in by a one-time launch link") {
  ApiFixture api;
  const Reply page = Call(api.port(), "GET", "/");
  REQUIRE(page.status == 200);
  CHECK(page.Header("content-type").rfind("text/html", 0) == 0);
  CHECK(page.body.find(kToken) == std::string::npos);
  CHECK(page.Header("content-security-policy").find("default-src 'none'") != std::string::npos);
  for (const char* asset : {"/assets/app.js", "/assets/app.css"}) {
    const Reply file = Call(api.port(), "GET", asset);
    CHECK(file.status == 200);
    CHECK(file.body.find(kToken) == std::string::npos);
  }
  CHECK(Call(api.port(), "GET", "/assets/missing.js").status == 404);
  CHECK(Call(api.port(), "GET", "/session").status == 401);

  const std::string launch = api.server().LaunchUrl();
  REQUIRE(launch.rfind(api.server().BaseUrl() + "/launch?", 0) == 0);
  CHECK(launch.find(kToken) == std::string::npos);
  const std::string path = launch.substr(api.server().BaseUrl().size());
  const Reply signed_in = Call(api.port(), "GET", path);
  REQUIRE(signed_in.status == 303);
  CHECK(signed_in.Header("location") == "/");
  REQUIRE(signed_in.set_cookies.size() == 1);
  const std::string cookie_line = signed_in.set_cookies[0];
  CHECK(cookie_line.find("HttpOnly") != std::string::npos);
  CHECK(cookie_line.find("SameSite=Strict") != std::string::npos);
  const std::string cookie = cookie_line.substr(0, cookie_line.find(';'));

  const Reply reused = Call(api.port(), "GET", path);
  CHECK(reused.status == 303);
  CHECK(reused.Header("location") == "/?launch_error=used");
  CHECK(reused.set_cookies.empty());
  std::string forged = path;
  forged[forged.size() - 1] = forged.back() == '0' ? '1' : '0';
  CHECK(Call(api.port(), "GET", forged).Header("location") == "/?launch_error=invalid");
  const std::string expired = MakeLaunchPath(kToken, 1000);
  CHECK(Call(api.port(), "GET", expired).Header("location") == "/?launch_error=expired");

  const Reply session = Call(api.port(), "GET", "/session", "", {{"Cookie", cookie}});
  REQUIRE(session.status == 200);
  const std::string csrf = At(session.Json(), "csrf_token");
  CHECK(csrf.size() == 64);
  CHECK(At(session.Json(), "default_region") == "US");

  // Reads work with the cookie alone; writes also need the CSRF token.
  CHECK(Call(api.port(), "GET", "/v1/consents/4155550134", "", {{"Cookie", cookie}}).status == 200);
  const std::string body =
      R"({"phone":"4155550134","purpose":"transactional","granted":true,"method":"cashier_entry","cashier_id":"c-1","disclosure_version":"1"})";
  const Reply no_csrf = Call(api.port(), "POST", "/v1/consents", body, {{"Cookie", cookie}});
  CHECK(no_csrf.status == 403);
  CHECK(At(no_csrf.Json(), "error.field") == "X-CSRF-Token");
  const Reply cross_site =
      Call(api.port(), "POST", "/v1/consents", body,
           {{"Cookie", cookie}, {"X-CSRF-Token", csrf}, {"Origin", "http://evil.example"}});
  CHECK(cross_site.status == 403);
  const Reply written =
      Call(api.port(), "POST", "/v1/consents", body, {{"Cookie", cookie}, {"X-CSRF-Token", csrf}});
  CHECK(written.status == 201);

  const Reply logout = Call(api.port(), "DELETE", "/session", "", {{"Cookie", cookie}});
  CHECK(logout.status == 200);
  CHECK(Call(api.port(), "GET", "/v1/consents/4155550134", "", {{"Cookie", cookie}}).status == 401);
}

TEST_CASE("the page can also sign in with the token itself") {
  ApiFixture api;
  const Reply wrong = Call(api.port(), "POST", "/session", R"({"token":"nope"})");
  CHECK(wrong.status == 401);
  CHECK(At(wrong.Json(), "error.field") == "token");
  CHECK(wrong.set_cookies.empty());
  const Reply right =
      Call(api.port(), "POST", "/session", std::string(R"({"token":")") + kToken + "\"}");
  REQUIRE(right.status == 200);
  REQUIRE(right.set_cookies.size() == 1);
  CHECK(At(right.Json(), "csrf_token").size() == 64);
}

TEST_CASE("options come from config with defaults and clear errors") {
  auto defaults = ApiOptionsFrom(ConfigValues(), "/var/lib/tillbridge");
  REQUIRE_MESSAGE(defaults.ok(), defaults.status().ToString());
  CHECK(defaults->enabled);
  CHECK(defaults->listen_address == "127.0.0.1");
  CHECK(defaults->port == 8787);
  CHECK(defaults->token_file == "/var/lib/tillbridge/api-token");
  CHECK(defaults->max_body_bytes == 65536);
  CHECK_FALSE(defaults->double_opt_in);
  CHECK_FALSE(defaults->marketing_disclosure.text.empty());
  CHECK(ApiBaseUrl(defaults->listen_address, defaults->port) == "http://127.0.0.1:8787");

  ConfigValues values;
  values.Set("api.port", "9000");
  values.Set("api.token_file", "/etc/tillbridge/token");
  values.Set("consent.double_opt_in", "yes");
  values.Set("api.session_ttl", "30m");
  auto custom = ApiOptionsFrom(values, "/data");
  REQUIRE(custom.ok());
  CHECK(custom->port == 9000);
  CHECK(custom->token_file == "/etc/tillbridge/token");
  CHECK(custom->double_opt_in);
  CHECK(custom->session_ttl == std::chrono::minutes(30));

  ConfigValues bad_address;
  bad_address.Set("api.listen_address", "my-laptop");
  auto address = ApiOptionsFrom(bad_address, "/data");
  REQUIRE_FALSE(address.ok());
  CHECK(address.status().message().find("api.listen_address") != std::string::npos);
  ConfigValues bad_ttl;
  bad_ttl.Set("api.session_ttl", "forever");
  auto ttl = ApiOptionsFrom(bad_ttl, "/data");
  REQUIRE_FALSE(ttl.ok());
  CHECK(ttl.status().message().find("api.session_ttl") != std::string::npos);
  CHECK(ApiBaseUrl("::1", 80) == "http://[::1]:80");
  CHECK(ApiBaseUrl("0.0.0.0", 8787) == "http://127.0.0.1:8787");

  bool has_region_key = false;
  for (const auto& spec : ApiConfigKeys())
    has_region_key = has_region_key || spec.key == "agent.default_region";
  CHECK_FALSE(has_region_key);
}

}  // namespace tillbridge::agent::testing
