// The manager page's sign-in and report over real HTTP: its own password
// and cookie, separate from the cashier page's in both directions, a limit
// on wrong passwords, sign-out, and the ROI fixture's figures in the report.
#include <doctest/doctest.h>

#include "agent/api/manager_password.h"
#include "store/web_sessions.h"
#include "tests/agent/api/api_test_util.h"
#include "tests/store/roi_fixture.h"

namespace tillbridge::agent {
namespace {

using testing::ApiFixture;
using testing::At;
using testing::Call;
using testing::Reply;
using namespace store::testing;

constexpr const char* kPassword = "manager password 42";
constexpr const char* kNovember = "/manager/report?from=2026-11-01&to=2026-11-30";

// The value of cookie `name` set by `reply`, or "".
std::string CookieSet(const Reply& reply, const std::string& name) {
  for (const auto& cookie : reply.set_cookies) {
    if (cookie.rfind(name + "=", 0) == 0)
      return cookie.substr(name.size() + 1, cookie.find(';') - name.size() - 1);
  }
  return "";
}

std::pair<std::string, std::string> Cookie(const std::string& name, const std::string& value) {
  return {"Cookie", name + "=" + value};
}

void SetPassword(store::Store& store, const std::string& password) {
  auto hash = HashManagerPassword(password);
  REQUIRE(hash.ok());
  REQUIRE(store.web_sessions().SetManagerPasswordHash(*hash).ok());
}

Reply Login(std::uint16_t port, const std::string& password) {
  return Call(port, "POST", "/manager/login", "{\"password\": \"" + password + "\"}");
}

TEST_CASE("without a manager password the page says how to set one") {
  ApiFixture fixture;
  Reply page = Call(fixture.port(), "GET", "/manager");
  CHECK(page.status == 200);
  CHECK(page.Header("content-type").rfind("text/html", 0) == 0);
  CHECK(page.body.find("sudo tillbridge manager-password") != std::string::npos);
  CHECK(page.body.find("/assets/manager.js") != std::string::npos);
  CHECK(page.Header("content-security-policy").find("script-src 'self'") != std::string::npos);
  Reply session = Call(fixture.port(), "GET", "/manager/session");
  CHECK(session.status == 401);
  CHECK(At(session.Json(), "password_set") == "false");
  CHECK(At(session.Json(), "set_password_command") == "sudo tillbridge manager-password");
  Reply login = Login(fixture.port(), kPassword);
  CHECK(login.status == 409);
  CHECK(At(login.Json(), "error.reason").find("manager-password") != std::string::npos);
  CHECK(Call(fixture.port(), "GET", "/manager/report.css").status == 200);
}

TEST_CASE("a manager signs in with the password and reads the fixture's report") {
  ApiFixture fixture;
  REQUIRE(FillRoiFixture(fixture.store()).ok());
  SetPassword(fixture.store(), kPassword);

  Reply wrong = Login(fixture.port(), "not the password");
  CHECK(wrong.status == 401);
  CHECK(At(wrong.Json(), "error.field") == "password");
  CHECK(CookieSet(wrong, "tb_manager").empty());

  // Neither nothing nor the POS's bearer token opens the report.
  CHECK(Call(fixture.port(), "GET", kNovember).status == 401);
  CHECK(fixture.Get(kNovember).status == 401);

  Reply login = Login(fixture.port(), kPassword);
  REQUIRE(login.status == 200);
  CHECK(At(login.Json(), "authenticated") == "true");
  const std::string manager = CookieSet(login, "tb_manager");
  REQUIRE(manager.size() == 64);
  CHECK(login.set_cookies.front().find("HttpOnly") != std::string::npos);
  CHECK(login.set_cookies.front().find("SameSite=Strict") != std::string::npos);
  CHECK(login.set_cookies.front().find("Path=/manager") != std::string::npos);

  Reply session =
      Call(fixture.port(), "GET", "/manager/session", "", {Cookie("tb_manager", manager)});
  CHECK(session.status == 200);
  CHECK(At(session.Json(), "store_id") == "store-7");

  Reply json = Call(fixture.port(), "GET", std::string(kNovember) + "&format=json", "",
                    {Cookie("tb_manager", manager)});
  REQUIRE(json.status == 200);
  CHECK(json.Header("cache-control") == "no-store");
  const JsonValue report = json.Json();
  CHECK(At(report, "totals.sales") == std::to_string(kRoiSales));
  CHECK(At(report, "totals.attributed_revenue_minor") == std::to_string(kRoiAttributedRevenue));
  CHECK(At(report, "headline.0.key") == "coupon_redemption_rate");
  CHECK(At(report, "headline.0.numerator") == std::to_string(kRoiCouponsRedeemed));
  CHECK(At(report, "headline.0.denominator") == std::to_string(kRoiCouponsTexted));
  CHECK(At(report, "query.last_day") == "2026-11-30");

  Reply csv = Call(fixture.port(), "GET", std::string(kNovember) + "&format=csv", "",
                   {Cookie("tb_manager", manager)});
  CHECK(csv.status == 200);
  CHECK(csv.Header("content-type").rfind("text/csv", 0) == 0);
  CHECK(csv.Header("content-disposition") ==
        "attachment; filename=\"tillbridge-roi-2026-11-01-to-2026-11-30.csv\"");
  CHECK(csv.body.find("figure,coupon_redemption_rate,") != std::string::npos);

  Reply html = Call(fixture.port(), "GET", std::string(kNovember) + "&format=html", "",
                    {Cookie("tb_manager", manager)});
  CHECK(html.status == 200);
  CHECK(html.body.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(html.Header("content-security-policy").find("script") == std::string::npos);
  Reply fragment = Call(fixture.port(), "GET", std::string(kNovember) + "&format=fragment", "",
                        {Cookie("tb_manager", manager)});
  CHECK(fragment.status == 200);
  CHECK(fragment.body.rfind("<article class=\"tb-report\"", 0) == 0);
  CHECK(fragment.body.find("data-chart=\"trend\"") != std::string::npos);

  Reply bad_format = Call(fixture.port(), "GET", std::string(kNovember) + "&format=pdf", "",
                          {Cookie("tb_manager", manager)});
  CHECK(bad_format.status == 400);
  CHECK(At(bad_format.Json(), "error.field") == "format");
  Reply bad_date = Call(fixture.port(), "GET", "/manager/report?from=2026-11-31", "",
                        {Cookie("tb_manager", manager)});
  CHECK(bad_date.status == 400);
  CHECK(At(bad_date.Json(), "error.field") == "from");
  Reply reversed = Call(fixture.port(), "GET", "/manager/report?from=2026-12-02&to=2026-12-01", "",
                        {Cookie("tb_manager", manager)});
  CHECK(reversed.status == 400);

  // Signing out ends the session for good.
  Reply logout =
      Call(fixture.port(), "POST", "/manager/logout", "{}", {Cookie("tb_manager", manager)});
  CHECK(logout.status == 200);
  CHECK(logout.set_cookies.front().find("Max-Age=0") != std::string::npos);
  CHECK(Call(fixture.port(), "GET", kNovember, "", {Cookie("tb_manager", manager)}).status == 401);
}

TEST_CASE("cashier and manager sessions open only their own pages") {
  ApiFixture fixture;
  SetPassword(fixture.store(), kPassword);
  Reply cashier_login = Call(fixture.port(), "POST", "/session",
                             std::string("{\"token\": \"") + testing::kToken + "\"}");
  REQUIRE(cashier_login.status == 200);
  const std::string cashier = CookieSet(cashier_login, "tb_session");
  REQUIRE(!cashier.empty());
  Reply manager_login = Login(fixture.port(), kPassword);
  REQUIRE(manager_login.status == 200);
  const std::string manager = CookieSet(manager_login, "tb_manager");

  // A cashier's session opens no manager route, under either cookie name.
  CHECK(Call(fixture.port(), "GET", kNovember, "", {Cookie("tb_session", cashier)}).status == 401);
  CHECK(Call(fixture.port(), "GET", kNovember, "", {Cookie("tb_manager", cashier)}).status == 401);
  CHECK(
      Call(fixture.port(), "GET", "/manager/session", "", {Cookie("tb_manager", cashier)}).status ==
      401);
  // A manager's session opens no cashier route, under either cookie name.
  const std::string consent = "/v1/consents/%2B14155550134";
  CHECK(Call(fixture.port(), "GET", consent, "", {Cookie("tb_session", cashier)}).status == 200);
  CHECK(Call(fixture.port(), "GET", consent, "", {Cookie("tb_session", manager)}).status == 401);
  CHECK(Call(fixture.port(), "GET", consent, "", {Cookie("tb_manager", manager)}).status == 401);
  CHECK(Call(fixture.port(), "GET", "/session", "", {Cookie("tb_session", manager)}).status == 401);
  // The manager's session still works on its own page.
  CHECK(Call(fixture.port(), "GET", kNovember, "", {Cookie("tb_manager", manager)}).status == 200);

  // A new password signs every manager out, not the cashiers.
  SetPassword(fixture.store(), "another password 43");
  CHECK(Call(fixture.port(), "GET", kNovember, "", {Cookie("tb_manager", manager)}).status == 401);
  CHECK(Call(fixture.port(), "GET", consent, "", {Cookie("tb_session", cashier)}).status == 200);
}

TEST_CASE("five wrong passwords a minute, then 429 until the minute has passed") {
  ManualClock clock(kRoiTo);
  ApiOptions options = ApiFixture::TestOptions();
  options.clock = &clock;
  ApiFixture fixture(options, &clock);
  SetPassword(fixture.store(), kPassword);
  for (int i = 0; i < 5; ++i) {
    CAPTURE(i);
    CHECK(Login(fixture.port(), "guess number " + std::to_string(i)).status == 401);
  }
  Reply limited = Login(fixture.port(), "guess number 5");
  CHECK(limited.status == 429);
  CHECK(limited.Header("retry-after") == "60");
  // Even the right password waits: the limit is on trying, not on failing.
  CHECK(Login(fixture.port(), kPassword).status == 429);
  clock.Advance(std::chrono::seconds(30));
  Reply later = Login(fixture.port(), kPassword);
  CHECK(later.status == 429);
  CHECK(later.Header("retry-after") == "30");
  clock.Advance(std::chrono::seconds(31));
  CHECK(Login(fixture.port(), kPassword).status == 200);
}

TEST_CASE("stored sessions: limits per role; a new password signs managers out") {
  ApiFixture fixture;
  store::WebSessions& sessions = fixture.store().web_sessions();
  const auto add = [&](const std::string& id, UnixMillis expires, const std::string& role) {
    REQUIRE(sessions.Add(store::WebSession{id, "csrf-" + id, expires, role}, 0, 2).ok());
  };
  const auto live = [&](const std::string& id) {
    auto found = sessions.Find(id, 0);
    REQUIRE(found.ok());
    return found->has_value() ? (*found)->role : std::string("gone");
  };
  add("c1", 100, "cashier");
  add("m1", 150, "manager");
  add("c2", 200, "cashier");
  add("c3", 300, "cashier");  // the third cashier drops c1, not the manager
  CHECK(live("c1") == "gone");
  CHECK(live("m1") == "manager");
  CHECK(live("c2") == "cashier");
  CHECK(live("c3") == "cashier");
  // Stored as given: a card-number-like run of digits in the salt is kept.
  const std::string hash = "pbkdf2-sha256$210000$4111111111111111$00";
  REQUIRE(sessions.SetManagerPasswordHash(hash).ok());
  auto stored = sessions.ManagerPasswordHash();
  REQUIRE(stored.ok());
  CHECK(stored->value_or("") == hash);
  CHECK(live("m1") == "gone");
  CHECK(live("c2") == "cashier");
}

TEST_CASE("manager passwords: rules, PBKDF2 known answer, salted hashes") {
  CHECK_FALSE(CheckManagerPassword("short").ok());
  CHECK_FALSE(CheckManagerPassword("ten chars\n").ok());
  CHECK(CheckManagerPassword("ten chars!").ok());
  // RFC 7914, section 11: PBKDF2-HMAC-SHA256("passwd", "salt", 1, 64).
  CHECK(Pbkdf2Sha256Hex("passwd", "salt", 1, 64) ==
        "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
        "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783");
  auto first = HashManagerPassword(kPassword);
  auto second = HashManagerPassword(kPassword);
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  CHECK(*first != *second);  // a fresh salt each time
  CHECK(VerifyManagerPassword(kPassword, *first));
  CHECK_FALSE(VerifyManagerPassword("manager password 43", *first));
  // Too few rounds in a stored hash is refused, even when it matches.
  auto weak = HashManagerPassword(kPassword, 1000);
  REQUIRE(weak.ok());
  CHECK_FALSE(VerifyManagerPassword(kPassword, *weak));
  CHECK_FALSE(VerifyManagerPassword(kPassword, "pbkdf2-sha256$x$00$00"));
}

}  // namespace
}  // namespace tillbridge::agent
