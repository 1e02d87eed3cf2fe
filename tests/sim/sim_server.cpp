#include "sim_server.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <stdexcept>

namespace forgelink::sim {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

class Session : public std::enable_shared_from_this<Session> {
public:
    Session(tcp::socket socket, const SimServer::Handler& handler)
        : stream_(std::move(socket)), timer_(stream_.get_executor()), handler_(handler) {}

    void start() { read(); }

private:
    void read() {
        parser_.emplace();
        parser_->body_limit(64 * 1024 * 1024);
        stream_.expires_after(std::chrono::seconds(120));
        http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::onRead, shared_from_this()));
    }

    void onRead(beast::error_code ec, std::size_t) {
        if (ec) {
            closeQuietly();
            return;
        }
        auto& msg = parser_->get();
        SimRequest req;
        req.method = std::string(msg.method_string());
        std::string target(msg.target());
        std::size_t qpos = target.find('?');
        req.path = target.substr(0, qpos);
        if (qpos != std::string::npos) req.raw_query = target.substr(qpos + 1);
        req.query = parseQuery(req.raw_query);
        for (auto& f : msg) {
            std::string name(f.name_string());
            for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            req.headers[name] = std::string(f.value());
        }
        req.body = std::move(msg.body());
        keep_alive_ = msg.keep_alive();
        version_ = msg.version();
        SimResponse resp;
        try {
            resp = handler_(req);
        } catch (const std::exception& e) {
            // Last line of defence: a throw here would end the io thread and with it the simulator.
            resp = SimResponse{};
            resp.status = 500;
            resp.set("Content-Type", "text/plain");
            resp.body = std::string("forge-sim internal error: ") + e.what() + "\n";
        }
        if (resp.action == WireAction::ResetConnection) {
            beast::error_code ignored;
            stream_.socket().set_option(asio::socket_base::linger(true, 0), ignored);
            stream_.socket().close(ignored);
            return;
        }
        if (resp.action == WireAction::Stall) {
            stream_.expires_never();
            timer_.expires_after(std::chrono::milliseconds(resp.delay_ms));
            timer_.async_wait([self = shared_from_this()](beast::error_code) { self->closeQuietly(); });
            return;
        }
        response_ = std::make_shared<http::response<http::string_body>>();
        response_->version(version_);
        response_->result(static_cast<unsigned>(resp.status));
        response_->set(http::field::server, "forge-sim");
        for (auto& [k, v] : resp.headers) response_->set(k, v);
        response_->body() = std::move(resp.body);
        response_->keep_alive(keep_alive_);
        response_->prepare_payload();
        if (resp.delay_ms > 0) {
            timer_.expires_after(std::chrono::milliseconds(resp.delay_ms));
            timer_.async_wait([self = shared_from_this()](beast::error_code) { self->write(); });
        } else {
            write();
        }
    }

    void write() {
        stream_.expires_after(std::chrono::seconds(60));
        http::async_write(stream_, *response_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec || !self->keep_alive_) {
                self->closeQuietly();
                return;
            }
            self->read();
        });
    }

    void closeQuietly() {
        beast::error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
        stream_.socket().close(ignored);
    }

    beast::tcp_stream stream_;
    asio::steady_timer timer_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    std::shared_ptr<http::response<http::string_body>> response_;
    const SimServer::Handler& handler_;
    bool keep_alive_ = true;
    unsigned version_ = 11;
};

}  // namespace

struct SimServer::Impl {
    asio::io_context ioc;
    // The acceptor has its own strand: the accept handler (on any I/O thread: it queues the next
    // accept) and stop()'s close of the listening socket run one at a time. On the bare io_context
    // they ran at once on two I/O threads when a connection arrived during a stop (a data race TSan
    // reported; SimBinary.StopsCleanlyOnSigtermWhileConnectionsArrive).
    tcp::acceptor acceptor{asio::make_strand(ioc)};
    Handler handler;
    int threads = 4;
    asio::executor_work_guard<asio::io_context::executor_type> guard = asio::make_work_guard(ioc);

    static constexpr int kAcceptBurst = 64;

    void serve(tcp::socket socket) {
        beast::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        std::make_shared<Session>(std::move(socket), handler)->start();
    }

    void accept() {
        acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
            if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
            if (!ec) serve(std::move(socket));
            // The connections already waiting are taken now (the acceptor is non-blocking), not one
            // per trip through the I/O queue: behind the queued requests of the connections already
            // served, the next accept's handler waits its turn, and a client that opened 16
            // connections at once saw its last ones accepted only after dozens of requests of the
            // first (GitLabListingSim.PastTheOffsetLimit... under TSan: page 17 of the first window
            // answered after 19.4 s, the pages after it in about 2 s). At most kAcceptBurst a turn:
            // a client connecting without pause would otherwise keep this handler, and with it the
            // acceptor's strand, from ever returning, and stop() would wait behind it
            // (SimBinary.StopsCleanlyOnSigtermWhileConnectionsArrive under TSan).
            for (int taken = 0; taken < kAcceptBurst && acceptor.is_open(); ++taken) {
                tcp::socket waiting(asio::make_strand(ioc));
                beast::error_code none_left;
                acceptor.accept(waiting, none_left);
                if (none_left) break;
                serve(std::move(waiting));
            }
            accept();
        });
    }
};

SimServer::SimServer(int port, Handler handler, int io_threads) : impl_(std::make_unique<Impl>()) {
    impl_->handler = std::move(handler);
    impl_->threads = std::max(1, io_threads);
    tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port));
    beast::error_code ec;
    impl_->acceptor.open(ep.protocol(), ec);
    if (!ec) impl_->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) impl_->acceptor.bind(ep, ec);
    if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (!ec) impl_->acceptor.non_blocking(true, ec);  // accept() drains the backlog without waiting
    if (ec) throw std::runtime_error("cannot listen on 127.0.0.1:" + std::to_string(port) + ": " + ec.message());
    impl_->accept();
}

SimServer::~SimServer() { stop(); }

int SimServer::port() const { return impl_->acceptor.local_endpoint().port(); }

void SimServer::run() {
    std::vector<std::thread> pool;
    for (int i = 1; i < impl_->threads; ++i) pool.emplace_back([this] { impl_->ioc.run(); });
    impl_->ioc.run();
    for (auto& t : pool) t.join();
}

void SimServer::stop() {
    asio::post(impl_->acceptor.get_executor(), [this] {
        beast::error_code ignored;
        impl_->acceptor.close(ignored);
        impl_->guard.reset();
        impl_->ioc.stop();
    });
}

}  // namespace forgelink::sim
