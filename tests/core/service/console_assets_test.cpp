// The web console's static files served by the API at every path it does not own: file lookup,
// SPA fallback, content types, caching headers, ETag, pre-compressed variants, path safety and
// the security headers, over real HTTP.
#include <fstream>

#include "service/console_assets.hpp"
#include "service/etag.hpp"
#include "service_fixture.hpp"

namespace forgelink::service::testing {
namespace {

namespace fs = std::filesystem;

void writeFile(const fs::path& path, const std::string& content) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << content;
}

const std::string kIndex = "<!doctype html><html><head><script type=\"module\" src=\"/assets/app-1a2b3c.js\"></script></head></html>";
const std::string kApp = "console.log('forgelink console');";
const std::string kAppGz = std::string("\x1f\x8b\x08\x00gzipped-bytes", 17);

TEST(ConsolePaths, TheApiKeepsItsOwnPrefixes) {
    for (const char* path : {"/api", "/api/v1/teams", "/auth/gitlab/login", "/healthz", "/metrics", "/auth"})
        EXPECT_FALSE(isConsolePath(path)) << path;
    for (const char* path : {"/", "/teams", "/apis", "/authors/x", "/healthzz", "/assets/app.js", "/index.html"})
        EXPECT_TRUE(isConsolePath(path)) << path;
}

TEST(ConsolePaths, ContentTypesByExtension) {
    EXPECT_EQ(contentTypeFor("index.html"), "text/html; charset=utf-8");
    EXPECT_EQ(contentTypeFor("app-1a2b.js"), "text/javascript; charset=utf-8");
    EXPECT_EQ(contentTypeFor("app.CSS"), "text/css; charset=utf-8");
    EXPECT_EQ(contentTypeFor("logo.svg"), "image/svg+xml");
    EXPECT_EQ(contentTypeFor("font.woff2"), "font/woff2");
    EXPECT_EQ(contentTypeFor("app.js.map"), "application/json");
    EXPECT_EQ(contentTypeFor("favicon.ico"), "image/x-icon");
    EXPECT_EQ(contentTypeFor("README"), "application/octet-stream");
    EXPECT_EQ(contentTypeFor("archive.tar.xyz"), "application/octet-stream");
}

TEST(ConsolePaths, AcceptEncodingFollowsQValues) {
    EXPECT_TRUE(acceptsGzip("gzip"));
    EXPECT_TRUE(acceptsGzip("gzip, deflate, br"));
    EXPECT_TRUE(acceptsGzip("br;q=1.0, GZIP;q=0.5"));
    EXPECT_TRUE(acceptsGzip("x-gzip"));
    EXPECT_TRUE(acceptsGzip("*"));
    EXPECT_FALSE(acceptsGzip(""));
    EXPECT_FALSE(acceptsGzip("identity"));
    EXPECT_FALSE(acceptsGzip("br, deflate"));
    EXPECT_FALSE(acceptsGzip("gzip;q=0"));
    EXPECT_FALSE(acceptsGzip("gzip;q=0.000"));
    EXPECT_FALSE(acceptsGzip("*, gzip;q=0"));
    EXPECT_FALSE(acceptsGzip("*;q=0"));
    EXPECT_FALSE(acceptsGzip("gzip;q=nonsense"));
}

TEST(ConsolePaths, TheDefaultDirectoryIsBesideTheBinary) {
    const fs::path dir = defaultConsoleDir();
    ASSERT_FALSE(dir.empty());
    EXPECT_EQ(dir.filename(), "console");
    EXPECT_EQ(dir.parent_path().filename(), "forgelink");
    EXPECT_EQ(dir.parent_path().parent_path().filename(), "share");
    // <build>/tests/.../binary -> <build>/tests/.../../share: the parent of the binary's directory.
    const fs::path exe = fs::read_symlink("/proc/self/exe");
    EXPECT_EQ(dir.parent_path().parent_path().parent_path(), exe.parent_path().parent_path().lexically_normal());
}

TEST(ConsoleCache, KeepsNoMoreThanItsBoundAndSeesChangedFiles) {
    forgelink::testing::TempDir dir;
    writeFile(dir / "index.html", kIndex);
    for (int i = 0; i < 20; ++i) writeFile(dir.path() / "assets" / ("chunk-" + std::to_string(i) + ".js"), std::string(1000, 'a' + i));
    ConsoleAssets assets(dir.path().string(), 4000);
    net::ServerRequest request;
    request.method = "GET";
    for (int i = 0; i < 20; ++i) {
        request.path = "/assets/chunk-" + std::to_string(i) + ".js";
        auto response = assets.serve(request);
        ASSERT_EQ(response.status, 200);
        ASSERT_TRUE(response.shared_body);
        EXPECT_EQ(*response.shared_body, std::string(1000, 'a' + i));
        EXPECT_LE(assets.cachedBytes(), 4000u);
    }
    EXPECT_GT(assets.cachedBytes(), 0u);

    request.path = "/";
    const auto before = assets.serve(request);
    writeFile(dir / "index.html", kIndex + "<!-- rebuilt, longer -->");
    const auto after = assets.serve(request);
    ASSERT_TRUE(after.shared_body);
    EXPECT_EQ(*after.shared_body, kIndex + "<!-- rebuilt, longer -->");
    EXPECT_NE(*before.shared_body, *after.shared_body);
}

class Console : public ServiceTest {
protected:
    void SetUp() override {
        ServiceTest::SetUp();
        console_ = std::make_unique<forgelink::testing::TempDir>();
        writeFile(*console_ / "index.html", kIndex);
        writeFile(console_->path() / "assets" / "app-1a2b3c.js", kApp);
        writeFile(console_->path() / "assets" / "app-1a2b3c.js.gz", kAppGz);
        writeFile(*console_ / "favicon.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>");
        writeFile(*console_ / ".env", "SECRET=console-dotfile-secret");
        writeFile(outside_ / "secret.txt", "outside-the-console-secret");
        fs::create_symlink(outside_ / "secret.txt", *console_ / "escape.txt");
        fs::create_directory_symlink(outside_.path(), *console_ / "escape-dir");
        options_.console_dir = console_->path().string();
        startServer();
    }

    static void expectSecurityHeaders(const Reply& reply, const std::string& what) {
        EXPECT_EQ(reply.header("content-security-policy"), kConsoleCsp) << what;
        EXPECT_EQ(reply.header("x-content-type-options"), "nosniff") << what;
        EXPECT_EQ(reply.header("referrer-policy"), "same-origin") << what;
    }

    Reply get(const std::string& path, std::vector<std::pair<std::string, std::string>> headers = {}) {
        return raw("GET", path, "", headers);
    }

    std::unique_ptr<forgelink::testing::TempDir> console_;
    forgelink::testing::TempDir outside_;
};

TEST_F(Console, IndexAtTheRootAndForEveryAppRoute) {
    for (const char* path : {"/", "/index.html", "/teams/acme/settings", "/projects/12/builds?page=2", "/login/"}) {
        auto reply = get(path);
        ASSERT_EQ(reply.status, 200) << path << ": " << reply.text;
        EXPECT_EQ(reply.text, kIndex) << path;
        EXPECT_EQ(reply.header("content-type"), "text/html; charset=utf-8") << path;
        EXPECT_EQ(reply.header("cache-control"), "no-cache") << path;
        EXPECT_EQ(reply.header("etag"), strongEtag(kIndex)) << path;
        expectSecurityHeaders(reply, path);
    }
    auto icon = get("/favicon.svg");
    ASSERT_EQ(icon.status, 200);
    EXPECT_EQ(icon.header("content-type"), "image/svg+xml");
    EXPECT_EQ(icon.header("cache-control"), "no-cache");
}

TEST_F(Console, HashedAssetsAreImmutableAndMissingOnesAre404) {
    auto app = get("/assets/app-1a2b3c.js");
    ASSERT_EQ(app.status, 200) << app.text;
    EXPECT_EQ(app.text, kApp);
    EXPECT_EQ(app.header("content-type"), "text/javascript; charset=utf-8");
    EXPECT_EQ(app.header("cache-control"), "public, max-age=31536000, immutable");
    EXPECT_EQ(app.header("content-encoding"), "");
    expectSecurityHeaders(app, "asset");

    auto missing = get("/assets/app-000000.js");
    EXPECT_EQ(missing.status, 404);
    EXPECT_NE(missing.text, kIndex);
    expectSecurityHeaders(missing, "missing asset");
}

TEST_F(Console, PreCompressedVariantWhenGzipIsAccepted) {
    auto gz = get("/assets/app-1a2b3c.js", {{"Accept-Encoding", "gzip, deflate, br"}});
    ASSERT_EQ(gz.status, 200);
    EXPECT_EQ(gz.text, kAppGz);
    EXPECT_EQ(gz.header("content-encoding"), "gzip");
    EXPECT_EQ(gz.header("content-type"), "text/javascript; charset=utf-8");
    EXPECT_EQ(gz.header("vary"), "Accept-Encoding");
    EXPECT_EQ(gz.header("cache-control"), "public, max-age=31536000, immutable");

    auto refused = get("/assets/app-1a2b3c.js", {{"Accept-Encoding", "gzip;q=0, br"}});
    EXPECT_EQ(refused.text, kApp);
    EXPECT_EQ(refused.header("content-encoding"), "");
    EXPECT_EQ(refused.header("vary"), "Accept-Encoding");
    EXPECT_NE(refused.header("etag"), gz.header("etag"));  // two representations, two tags

    // No FILE.gz beside index.html: the plain file, whatever the client accepts.
    auto index = get("/", {{"Accept-Encoding", "gzip"}});
    EXPECT_EQ(index.text, kIndex);
    EXPECT_EQ(index.header("content-encoding"), "");
}

TEST_F(Console, IfNoneMatchAnswers304) {
    auto first = get("/assets/app-1a2b3c.js");
    const std::string etag = first.header("etag");
    ASSERT_FALSE(etag.empty());
    auto again = get("/assets/app-1a2b3c.js", {{"If-None-Match", etag}});
    EXPECT_EQ(again.status, 304);
    EXPECT_TRUE(again.text.empty());
    EXPECT_EQ(again.header("etag"), etag);
    expectSecurityHeaders(again, "304");
    auto other = get("/assets/app-1a2b3c.js", {{"If-None-Match", "\"something-else\""}});
    EXPECT_EQ(other.status, 200);
    EXPECT_EQ(other.text, kApp);

    auto head = raw("HEAD", "/", "", {});
    EXPECT_EQ(head.status, 200);
    EXPECT_TRUE(head.text.empty());
    EXPECT_EQ(head.header("etag"), strongEtag(kIndex));
}

// A NUL (or any control byte) in the path never reaches the console: the HTTP server refuses it
// (issue 22 point 8; tests/core/net/http_server_limits_test.cpp).
TEST_F(Console, ControlBytesInThePathAreRefusedBeforeTheConsole) {
    auto reply = get("/a%00b");
    EXPECT_EQ(reply.status, 400);
    EXPECT_EQ(reply.body["error"]["code"], "bad_request");
}

TEST_F(Console, NoTraversalNoDotfilesNoSymlinksOut) {
    for (const char* path : {"/.env", "/%2eenv", "/assets/../.env", "/%2e%2e/secret.txt", "/assets/%2e%2e/%2e%2e/secret.txt",
                             "/..%2fsecret.txt", "/escape.txt", "/escape-dir/secret.txt", "/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
                             "/.git/config"}) {
        auto reply = get(path);
        EXPECT_EQ(reply.text.find("console-dotfile-secret"), std::string::npos) << path;
        EXPECT_EQ(reply.text.find("outside-the-console-secret"), std::string::npos) << path;
        EXPECT_EQ(reply.text.find("root:"), std::string::npos) << path;
        EXPECT_TRUE(reply.status == 404 || (reply.status == 200 && reply.text == kIndex))
            << path << " -> " << reply.status << " " << reply.text;
        expectSecurityHeaders(reply, path);
    }
    EXPECT_EQ(get("/.env").status, 404);
}

TEST_F(Console, TheApiIsUntouchedAndOtherMethodsAre405) {
    auto api = call("GET", "/api/v1/nothing");
    EXPECT_EQ(api.status, 404);
    EXPECT_EQ(api.body["error"]["code"], "not_found");
    EXPECT_EQ(call("GET", "/healthz").status, 200);
    auto auth = call("GET", "/auth/nosuch/whatever", nullptr, {}, false);
    EXPECT_EQ(auth.status, 404);
    EXPECT_NE(auth.text, kIndex);

    auto post = raw("POST", "/teams", "{}", {{"Content-Type", "application/json"}});
    EXPECT_EQ(post.status, 405);
    EXPECT_EQ(post.header("allow"), "GET, HEAD, OPTIONS");
    auto options = call("OPTIONS", "/settings/teams", nullptr, {}, false);
    EXPECT_EQ(options.status, 204);
    EXPECT_EQ(options.header("allow"), "GET, HEAD, OPTIONS");
    EXPECT_EQ(post.body["error"]["code"], "method_not_allowed");
}

TEST_F(Console, NotBuiltSaysSoAndTheApiStillServes) {
    options_.console_dir = (console_->path() / "no-such-dir").string();
    startServer();
    auto json = get("/");
    EXPECT_EQ(json.status, 404);
    EXPECT_EQ(json.body["error"]["code"], "console_not_built");
    EXPECT_NE(json.body["error"]["message"].get<std::string>().find("cmake --build"), std::string::npos);
    expectSecurityHeaders(json, "not built");
    auto page = get("/teams", {{"Accept", "text/html,application/xhtml+xml"}});
    EXPECT_EQ(page.status, 404);
    EXPECT_EQ(page.header("content-type"), "text/html; charset=utf-8");
    EXPECT_NE(page.text.find("console is not built"), std::string::npos);
    EXPECT_EQ(page.text.find("<script"), std::string::npos);
    expectSecurityHeaders(page, "not built page");
    EXPECT_EQ(call("GET", "/healthz").status, 200);
    EXPECT_EQ(call("GET", "/api/v1/teams").status, 200);

    options_.console_dir.clear();  // none configured at all
    startServer();
    EXPECT_EQ(get("/").body["error"]["code"], "console_not_built");
}

}  // namespace
}  // namespace forgelink::service::testing
