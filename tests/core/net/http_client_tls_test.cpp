// The client's TLS against a local server with a self-signed certificate made for the test:
// verification against the trusted CAs, hostname checking, SNI, and a tunnel through a proxy.
#include <gtest/gtest.h>

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without including it

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <mutex>
#include <thread>

#include "net/http_client.hpp"

namespace forgelink::net {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

std::chrono::steady_clock::time_point in(std::chrono::milliseconds ms) { return std::chrono::steady_clock::now() + ms; }

// A self-signed certificate for DNS:localhost only (not for 127.0.0.1), its own CA.
struct Certificate {
    std::string cert_pem;
    std::string key_pem;
};

std::string toPem(const std::function<int(BIO*)>& write) {
    BIO* bio = BIO_new(BIO_s_mem());
    write(bio);
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<std::size_t>(size));
    BIO_free(bio);
    return out;
}

Certificate makeCertificate() {
    EVP_PKEY* key = EVP_EC_gen("P-256");
    X509* cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("Forgelink test forge"),
                               -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509V3_CTX context;
    X509V3_set_ctx_nodb(&context);
    X509V3_set_ctx(&context, cert, cert, nullptr, nullptr, 0);
    for (const auto& [nid, value] : {std::pair{NID_subject_alt_name, "DNS:localhost"},
                                     std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
        X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value);
        X509_add_ext(cert, extension, -1);
        X509_EXTENSION_free(extension);
    }
    X509_sign(cert, key, EVP_sha256());
    Certificate out;
    out.cert_pem = toPem([&](BIO* bio) { return PEM_write_bio_X509(bio, cert); });
    out.key_pem = toPem([&](BIO* bio) { return PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr); });
    X509_free(cert);
    EVP_PKEY_free(key);
    return out;
}

// A TLS forge on 127.0.0.1 answering "ok" to every request, keep-alive, one thread per connection.
// Records the SNI name each handshake carried and how many connections it accepted.
class TlsForge {
public:
    explicit TlsForge(const Certificate& certificate) : context_(ssl::context::tls_server), acceptor_(io_) {
        context_.use_certificate(asio::buffer(certificate.cert_pem), ssl::context::pem);
        context_.use_private_key(asio::buffer(certificate.key_pem), ssl::context::pem);
        acceptor_.open(tcp::v4());
        acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
        acceptor_.listen();
        port_ = acceptor_.local_endpoint().port();
        thread_ = std::thread([this] { acceptLoop(); });
    }
    ~TlsForge() {
        stopping_ = true;
        ::shutdown(acceptor_.native_handle(), SHUT_RDWR);
        thread_.join();
        for (auto& t : connections_) t.join();
    }
    std::uint16_t port() const { return port_; }
    int connections() const { return accepted_; }
    std::vector<std::string> serverNames() const {
        std::lock_guard lock(mutex_);
        return server_names_;
    }

private:
    void acceptLoop() {
        for (;;) {
            boost::system::error_code ec;
            tcp::socket socket(io_);
            acceptor_.accept(socket, ec);
            if (ec || stopping_) return;
            ++accepted_;
            connections_.emplace_back([this, s = std::move(socket)]() mutable { serve(std::move(s)); });
        }
    }
    void serve(tcp::socket socket) {
        const timeval five_seconds{5, 0};
        ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &five_seconds, sizeof five_seconds);
        ssl::stream<tcp::socket> stream(std::move(socket), context_);
        boost::system::error_code ec;
        stream.handshake(ssl::stream_base::server, ec);
        {
            const char* name = SSL_get_servername(stream.native_handle(), TLSEXT_NAMETYPE_host_name);
            std::lock_guard lock(mutex_);
            server_names_.push_back(name ? name : "");
        }
        if (ec) return;
        std::string pending;
        char buffer[4096];
        for (;;) {
            while (pending.find("\r\n\r\n") == std::string::npos) {
                const auto n = stream.read_some(asio::buffer(buffer), ec);
                if (ec) return;
                pending.append(buffer, n);
            }
            pending.erase(0, pending.find("\r\n\r\n") + 4);
            asio::write(stream, asio::buffer(std::string("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")), ec);
            if (ec) return;
        }
    }

    asio::io_context io_;
    ssl::context context_;
    tcp::acceptor acceptor_;
    std::uint16_t port_ = 0;
    std::atomic<bool> stopping_{false};
    std::atomic<int> accepted_{0};
    std::thread thread_;
    std::vector<std::thread> connections_;
    mutable std::mutex mutex_;
    std::vector<std::string> server_names_;
};

class HttpClientTls : public ::testing::Test {
protected:
    void SetUp() override {
        certificate_ = makeCertificate();
        char path[] = "/tmp/forgelink-test-ca-XXXXXX";
        const int fd = ::mkstemp(path);
        ASSERT_GE(fd, 0);
        ::close(fd);
        ca_file_ = path;
        std::ofstream(ca_file_) << certificate_.cert_pem;
    }
    void TearDown() override { ::unlink(ca_file_.c_str()); }

    Certificate certificate_;
    std::string ca_file_;
};

TEST_F(HttpClientTls, AnUntrustedCertificateIsRefusedWithAClearError) {
    TlsForge forge(certificate_);
    auto client = makeHttpClient(ProxySettings{});
    HttpRequest request;
    request.url = "https://localhost:" + std::to_string(forge.port()) + "/api/v4/user?private_token=SECRET";
    const auto result = client->execute(request, in(5s));
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().kind, ErrorKind::transient);
    EXPECT_EQ(result.error().code, "tls_failed") << result.error().message;
    EXPECT_NE(result.error().message.find("TLS failure: the certificate of localhost was not accepted: self-signed"),
              std::string::npos)
        << result.error().message;
    EXPECT_EQ(result.error().message.find("SECRET"), std::string::npos);
}

TEST_F(HttpClientTls, ATrustedCertificateWorksWithSniAndTheConnectionIsKept) {
    TlsForge forge(certificate_);
    ClientLimits limits;
    limits.ca_file = ca_file_;
    auto client = makeHttpClient(ProxySettings{}, limits);
    HttpRequest request;
    request.url = "https://localhost:" + std::to_string(forge.port()) + "/api/v4/user";
    for (int i = 0; i < 3; ++i) {
        const auto result = client->execute(request, in(5s));
        ASSERT_TRUE(result.ok()) << result.error().message;
        EXPECT_EQ(result->status, 200);
        EXPECT_EQ(result->body, "ok");
    }
    EXPECT_EQ(forge.connections(), 1);
    EXPECT_EQ(forge.serverNames(), std::vector<std::string>{"localhost"});
}

// The CA certificates are read before the first https request, not when the client is made
// (serve makes three at start-up): a CA file that cannot be read fails that request, clearly,
// and every request after it; plain http never reads them.
TEST_F(HttpClientTls, AnUnreadableCaFileFailsTheFirstHttpsRequestNotTheClientsCreation) {
    TlsForge forge(certificate_);
    ClientLimits limits;
    limits.ca_file = ca_file_ + ".missing";
    std::unique_ptr<HttpClient> client;
    ASSERT_NO_THROW(client = makeHttpClient(ProxySettings{}, limits));
    HttpRequest request;
    request.url = "https://localhost:" + std::to_string(forge.port()) + "/api/v4/user";
    for (int i = 0; i < 2; ++i) {
        const auto result = client->execute(request, in(5s));
        ASSERT_FALSE(result.ok());
        EXPECT_EQ(result.error().code, "tls_setup_failed");
        EXPECT_NE(result.error().message.find("cannot read the CA file " + limits.ca_file), std::string::npos)
            << result.error().message;
    }
    EXPECT_EQ(forge.connections(), 0);
}

TEST_F(HttpClientTls, TheCertificateMustNameTheHost) {
    TlsForge forge(certificate_);
    ClientLimits limits;
    limits.ca_file = ca_file_;
    auto client = makeHttpClient(ProxySettings{}, limits);
    HttpRequest request;
    request.url = "https://127.0.0.1:" + std::to_string(forge.port()) + "/x";  // the certificate names localhost only
    const auto result = client->execute(request, in(5s));
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code, "tls_failed");
    EXPECT_NE(result.error().message.find("mismatch"), std::string::npos) << result.error().message;
    // No SNI for an address (RFC 6066 3). The forge records it once its side of the refused
    // handshake has ended, which may be after the client has returned.
    for (int i = 0; i < 200 && forge.serverNames().empty(); ++i) std::this_thread::sleep_for(10ms);
    EXPECT_EQ(forge.serverNames(), std::vector<std::string>{""});
}

// A CONNECT proxy that relays bytes both ways to the TLS forge, recording the CONNECT line.
TEST_F(HttpClientTls, HttpsGoesThroughAProxyTunnelVerifiedEndToEnd) {
    TlsForge forge(certificate_);
    std::mutex mutex;
    std::vector<std::string> connect_lines;
    const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    ASSERT_EQ(::listen(listener, 4), 0);
    socklen_t length = sizeof address;
    ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
    std::thread proxy([&] {
        const int client = ::accept(listener, nullptr, nullptr);
        if (client < 0) return;
        std::string head;
        char c;
        while (head.find("\r\n\r\n") == std::string::npos && ::recv(client, &c, 1, 0) == 1) head += c;
        {
            std::lock_guard lock(mutex);
            connect_lines.push_back(head.substr(0, head.find("\r\n")));
        }
        const int upstream = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in forge_address{};
        forge_address.sin_family = AF_INET;
        forge_address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        forge_address.sin_port = htons(forge.port());
        if (::connect(upstream, reinterpret_cast<sockaddr*>(&forge_address), sizeof forge_address) == 0) {
            const std::string ok = "HTTP/1.1 200 Connection established\r\n\r\n";
            (void)!::send(client, ok.data(), ok.size(), MSG_NOSIGNAL);
            pollfd fds[2] = {{client, POLLIN, 0}, {upstream, POLLIN, 0}};
            char buffer[16384];
            while (::poll(fds, 2, 5000) > 0) {
                const int from = (fds[0].revents & (POLLIN | POLLHUP)) ? 0 : 1;
                const auto n = ::recv(fds[from].fd, buffer, sizeof buffer, 0);
                if (n <= 0) break;
                if (::send(fds[1 - from].fd, buffer, static_cast<std::size_t>(n), MSG_NOSIGNAL) != n) break;
            }
        }
        ::close(upstream);
        ::close(client);
    });
    ProxySettings settings;
    settings.https_proxy = "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port));
    ClientLimits limits;
    limits.ca_file = ca_file_;
    {
        auto client = makeHttpClient(settings, limits);
        HttpRequest request;
        request.url = "https://localhost:" + std::to_string(forge.port()) + "/api/v4/user";
        const auto result = client->execute(request, in(5s));
        ASSERT_TRUE(result.ok()) << result.error().message;
        EXPECT_EQ(result->body, "ok");
    }  // the client closes its connection: the relay ends
    proxy.join();
    ::close(listener);
    ASSERT_EQ(connect_lines.size(), 1u);
    EXPECT_EQ(connect_lines[0], "CONNECT localhost:" + std::to_string(forge.port()) + " HTTP/1.1");
    EXPECT_EQ(forge.serverNames(), std::vector<std::string>{"localhost"});
}

}  // namespace
}  // namespace forgelink::net
