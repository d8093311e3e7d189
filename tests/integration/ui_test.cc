// The web console's static files (GET /ui/...) from the real ipledgerd started with
// --ui-dir over a temporary folder, through raw sockets so that the request targets
// arrive exactly as written (no client normalizes "..", "%2e" or "//"): the files inside
// are served with their content types; nothing outside the folder ever is, whatever the
// spelling (400 for "."/".." segments, encoded or not, empty segments, backslashes; 404
// for a missing file or a symbolic link leading out); without a console folder 404 says
// how to get one.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/testing/server_process.h"
#include "tests/testing/testing.h"

namespace ipledger {
namespace {

namespace fs = std::filesystem;

struct Answer {
  int status = 0;
  std::string head;
  std::string body;
};

// One GET of `target`, sent byte for byte, with Connection: close.
Answer RawGet(int port, const std::string& target) {
  Answer a;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    if (fd >= 0) ::close(fd);
    return a;
  }
  const std::string req =
      "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  (void)!::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
  std::string all;
  char buf[8192];
  ssize_t n = 0;
  while ((n = ::recv(fd, buf, sizeof(buf), 0)) > 0) all.append(buf, static_cast<size_t>(n));
  ::close(fd);
  const size_t end = all.find("\r\n\r\n");
  if (all.size() < 12 || end == std::string::npos) return a;
  a.status = std::stoi(all.substr(9, 3));
  a.head = all.substr(0, end);
  a.body = all.substr(end + 4);
  return a;
}

void Write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

class UiTest : public ::testing::Test {
 protected:
  void Start(const std::string& ui_dir) {
    const std::string data = tmp_.str() + "/data";
    const std::string init = std::string(IPLEDGER_CLI) + " init --data-dir " + data +
                             " --origin ui-test.example/log >/dev/null 2>&1";
    ASSERT_EQ(std::system(init.c_str()), 0);
    ASSERT_TRUE(server_.Start(IPLEDGERD,
                              {"--data-dir", data, "--listen", "127.0.0.1:0", "--ui-dir", ui_dir},
                              tmp_.str() + "/ipledgerd.log"));
    port_ = std::stoi(server_.url().substr(server_.url().rfind(':') + 1));
  }
  testing::TempDir tmp_;
  testing::ServerProcess server_;
  int port_ = 0;
};

TEST_F(UiTest, ServesTheFilesInsideAndNothingOutside) {
  const fs::path ui = tmp_.path() / "site" / "web";
  Write(ui / "index.html", "<!doctype html><title>console</title>");
  Write(ui / "app.js", "console.log(1);");
  Write(ui / "style.css", "body{}");
  Write(ui / "img" / "logo.svg", "<svg/>");
  Write(tmp_.path() / "site" / "secret.txt", "SECRET-OUTSIDE");
  fs::create_symlink(tmp_.path() / "site" / "secret.txt", ui / "link.txt");
  Start(ui.string());

  Answer a = RawGet(port_, "/ui/");
  EXPECT_EQ(a.status, 200);
  EXPECT_NE(a.head.find("text/html; charset=utf-8"), std::string::npos) << a.head;
  EXPECT_NE(a.head.find("content-security-policy: default-src 'self'"), std::string::npos)
      << a.head;
  EXPECT_EQ(a.body, "<!doctype html><title>console</title>");
  a = RawGet(port_, "/ui/app.js");
  EXPECT_EQ(a.status, 200);
  EXPECT_NE(a.head.find("text/javascript"), std::string::npos) << a.head;
  EXPECT_NE(a.head.find("nosniff"), std::string::npos) << a.head;
  EXPECT_NE(RawGet(port_, "/ui/style.css").head.find("text/css"), std::string::npos);
  EXPECT_NE(RawGet(port_, "/ui/img/logo.svg").head.find("image/svg+xml"), std::string::npos);
  EXPECT_EQ(RawGet(port_, "/ui/index.html?x=1").status, 200);
  a = RawGet(port_, "/ui");
  EXPECT_EQ(a.status, 301);
  EXPECT_NE(a.head.find("/ui/"), std::string::npos);

  for (const std::string target :
       {"/ui/../secret.txt", "/ui/%2e%2e/secret.txt", "/ui/%2E%2E/secret.txt",
        "/ui/..%2fsecret.txt", "/ui/..%2Fsecret.txt", "/ui/img/../../secret.txt",
        "/ui/img/%2e%2e/%2e%2e/secret.txt", "/ui/./index.html", "/ui//etc/passwd",
        "/ui/%2fetc%2fpasswd", "/ui/..\\secret.txt", "/ui/..%5csecret.txt", "/ui/%00",
        "/ui/index.html%00.js", "/ui/%zz", "/ui/%2", "/ui/.hidden", "/ui/%252e%252e/x"}) {
    a = RawGet(port_, target);
    EXPECT_TRUE(a.status == 400 || a.status == 404) << target << ": " << a.status;
    EXPECT_EQ(a.body.find("SECRET"), std::string::npos) << target;
  }
  EXPECT_EQ(RawGet(port_, "/ui/../secret.txt").status, 400);
  EXPECT_EQ(RawGet(port_, "/ui/%2e%2e/secret.txt").status, 400);
  a = RawGet(port_, "/ui/link.txt");  // a symbolic link out of the folder
  EXPECT_EQ(a.status, 404);
  EXPECT_EQ(a.body.find("SECRET"), std::string::npos);
  EXPECT_EQ(RawGet(port_, "/ui/missing.js").status, 404);
  EXPECT_EQ(RawGet(port_, "/ui/img").status, 404);  // a folder is not a file
  // The API is unaffected.
  EXPECT_EQ(RawGet(port_, "/healthz").status, 200);
}

TEST_F(UiTest, WithoutAConsoleFolderSays404AndHowToGetOne) {
  Start((tmp_.path() / "no-such-folder").string());
  const Answer a = RawGet(port_, "/ui/");
  EXPECT_EQ(a.status, 404);
  EXPECT_NE(a.body.find("--ui-dir"), std::string::npos) << a.body;
  EXPECT_NE(a.head.find("application/problem+json"), std::string::npos) << a.head;
}

}  // namespace
}  // namespace ipledger
