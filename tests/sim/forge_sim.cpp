#include "forge_sim.hpp"

#include <chrono>

#include "sim_util.hpp"

namespace forgelink::sim {

using nlohmann::json;

namespace {

constexpr std::size_t kLogCap = 20000;

// Request bodies, headers and scenario error messages can hold any bytes; nlohmann's dump() throws on
// invalid UTF-8, and a throw out of the admin handlers would end the io thread (and the process).
std::string dumpText(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

bool startsWith(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

bool isSecretParam(const std::string& name) {
    static const char* secrets[] = {"private_token", "access_token", "client_secret", "code_verifier", "refresh_token"};
    std::string n = lower(name);
    for (auto* s : secrets)
        if (n == s) return true;
    return false;
}

std::string maskQuery(const std::string& raw) {
    std::string out;
    std::size_t pos = 0;
    while (pos <= raw.size() && !raw.empty()) {
        std::size_t amp = raw.find('&', pos);
        if (amp == std::string::npos) amp = raw.size();
        std::string part = raw.substr(pos, amp - pos);
        std::size_t eq = part.find('=');
        if (eq != std::string::npos && isSecretParam(percentDecode(part.substr(0, eq), true)))
            part = part.substr(0, eq + 1) + "***";
        if (!out.empty()) out += '&';
        out += part;
        pos = amp + 1;
    }
    return out;
}

std::string reasonPhrase(int status) {
    switch (status) {
        case 400: return "Bad Request";
        case 401: return "Unauthorized";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 409: return "Conflict";
        case 422: return "Unprocessable Entity";
        case 429: return "Too Many Requests";
        case 500: return "Internal Server Error";
        case 502: return "Bad Gateway";
        case 503: return "Service Unavailable";
        case 504: return "Gateway Timeout";
        default: return "Error";
    }
}

}  // namespace

ForgeSim::ForgeSim(std::unique_ptr<World> world, SimOptions options)
    : world_(std::move(world)), options_(std::move(options)), rng_(world_->seed) {
    startWorld();
}

std::int64_t ForgeSim::now() const {
    using namespace std::chrono;
    return duration_cast<seconds>(system_clock::now().time_since_epoch()).count() + clock_offset_;
}

void ForgeSim::startWorld() {
    // Pre-issued OAuth tokens count their lifetime from the moment the world starts.
    std::int64_t t = now();
    for (auto& tok : world_->gitlab.tokens) {
        if (tok.kind == GlTokenKind::OAuth && tok.expires_epoch) {
            tok.expires_epoch = t + *tok.expires_epoch;
            tok.created_epoch = t;
        }
    }
    listing_cache_.clear();
    if (port_) setPort(port_);
}

void ForgeSim::setPort(int port) {
    port_ = port;
    origin_ = "http://127.0.0.1:" + std::to_string(port);
    std::string ext = options_.external_url.empty() ? world_->gitlab.external_url : options_.external_url;
    if (ext.empty()) {
        gitlab_root_ = origin_;
        gitlab_prefix_.clear();
        return;
    }
    while (!ext.empty() && ext.back() == '/') ext.pop_back();
    // Split scheme://host[:port] from the path; port 0 means "the port we got".
    std::size_t scheme = ext.find("://");
    std::size_t path_start = ext.find('/', scheme == std::string::npos ? 0 : scheme + 3);
    std::string host = path_start == std::string::npos ? ext : ext.substr(0, path_start);
    gitlab_prefix_ = path_start == std::string::npos ? "" : ext.substr(path_start);
    if (scheme == std::string::npos) host = origin_;  // a bare path such as "/gitlab"
    if (host.size() > 2 && host.compare(host.size() - 2, 2, ":0") == 0)
        host = host.substr(0, host.size() - 2) + ":" + std::to_string(port);
    gitlab_root_ = host + gitlab_prefix_;
}

json ForgeSim::maskedRequest(const SimRequest& req) {
    json headers = json::object();
    for (auto& [k, v] : req.headers) {
        if (k == "authorization") {
            std::size_t sp = v.find(' ');
            headers[k] = sp == std::string::npos ? "***" : v.substr(0, sp) + " ***";
        } else if (k == "private-token") {
            headers[k] = "***";
        } else {
            headers[k] = v;
        }
    }
    std::string body = req.body;
    std::size_t first = body.find_first_not_of(" \t\r\n");
    if (first != std::string::npos && body[first] == '{') {
        auto j = json::parse(body, nullptr, false);
        if (j.is_object()) {
            for (auto& [k, v] : j.items())
                if (isSecretParam(k)) v = "***";
            body = j.dump();
        } else {
            body = "(unparsable JSON body, " + std::to_string(body.size()) + " bytes, withheld)";
        }
    } else if (req.header("content-type").find("x-www-form-urlencoded") != std::string::npos ||
               (!body.empty() && body.find('=') != std::string::npos && body.find(' ') == std::string::npos)) {
        body = maskQuery(body);
    }
    return json{{"method", req.method}, {"path", req.path}, {"query", maskQuery(req.raw_query)}, {"headers", headers}, {"body", body}};
}

SimResponse ForgeSim::handle(const SimRequest& req) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::string> segs = splitPath(req.path);
    if (!segs.empty() && segs[0] == "_sim") return handleAdmin(req, segs);
    json entry = maskedRequest(req);
    entry["seq"] = ++log_seq_;
    SimResponse resp;
    try {
        resp = dispatch(req);
    } catch (const std::exception& e) {
        resp.json(500, dumpText(json{{"message", "500 Internal Server Error"}, {"sim_error", e.what()}}));
    }
    entry["status"] = resp.action == WireAction::Respond ? resp.status : 0;
    entry["action"] = resp.action == WireAction::Respond ? "respond" : resp.action == WireAction::Stall ? "stall" : "reset";
    log_.push_back(std::move(entry));
    if (log_.size() > kLogCap) log_.pop_front();
    return resp;
}

SimResponse ForgeSim::dispatch(const SimRequest& req) {
    std::string path = req.path;
    bool under_prefix = !gitlab_prefix_.empty() && startsWith(path, gitlab_prefix_ + "/");
    std::string gl_path = under_prefix ? path.substr(gitlab_prefix_.size()) : path;
    Ctx ctx{*world_, now(), origin_, gitlab_root_, "", listing_cache_, rng_};

    enum class Kind { GitLab, GitLabOAuth, GitHub, GitHubOAuth, None } kind = Kind::None;
    std::string gh_prefix;
    if (startsWith(gl_path, "/api/v4/") || gl_path == "/api/v4") kind = Kind::GitLab;
    else if (startsWith(gl_path, "/oauth/")) kind = Kind::GitLabOAuth;
    else if (world_->github.api_at_root && !startsWith(path, "/login/oauth/")) kind = Kind::GitHub, gh_prefix = "";
    else if (startsWith(path, "/api/v3/") || path == "/api/v3") kind = Kind::GitHub, gh_prefix = "/api/v3";
    else if (startsWith(path, "/github/") || path == "/github") kind = Kind::GitHub, gh_prefix = "/github";
    else if (startsWith(path, "/login/oauth/")) kind = Kind::GitHubOAuth;

    if (kind == Kind::None) {
        SimResponse r;
        r.json(404, R"({"error":"404 Not Found"})");
        return r;
    }
    bool gitlab = kind == Kind::GitLab || kind == Kind::GitLabOAuth;
    int latency = 0;
    if (auto faulted = applyFaults(req, gitlab, latency)) {
        if (faulted->action == WireAction::Respond) faulted->delay_ms = std::max(faulted->delay_ms, latency);
        return *faulted;
    }
    SimResponse resp;
    switch (kind) {
        case Kind::GitLab: {
            std::vector<std::string> segs = splitPath(gl_path);
            segs.erase(segs.begin(), segs.begin() + 2);  // api, v4
            resp = handleGitLab(ctx, req, segs, gl_path);
            break;
        }
        case Kind::GitLabOAuth: {
            std::vector<std::string> segs = splitPath(gl_path);
            segs.erase(segs.begin());
            resp = handleGitLabOAuth(ctx, req, segs);
            break;
        }
        case Kind::GitHub: {
            ctx.github_api = origin_ + gh_prefix;
            std::string rest = path.substr(gh_prefix.size());
            resp = handleGitHub(ctx, req, splitPath(rest), rest);
            break;
        }
        case Kind::GitHubOAuth: {
            std::vector<std::string> segs = splitPath(path);
            segs.erase(segs.begin(), segs.begin() + 2);  // login, oauth
            resp = handleGitHubOAuth(ctx, req, segs);
            break;
        }
        default:
            break;
    }
    resp.delay_ms = std::max(resp.delay_ms, latency);
    int unused = 0;
    if (auto lost = applyFaults(req, gitlab, unused, /*after_handling=*/true)) return *lost;
    return resp;
}

std::optional<SimResponse> ForgeSim::applyFaults(const SimRequest& req, bool gitlab, int& latency, bool after_handling) {
    std::string subject = req.method + " " + req.path;
    for (auto& f : faults_) {
        if (f.after_handling != after_handling) continue;
        if (f.pattern && !std::regex_search(subject, *f.pattern)) continue;
        latency = std::max(latency, f.latency_ms);
        if (f.burst_429 > 0) {
            --f.burst_429;
            return gitlab ? gitlabTooManyRequests(now(), f.retry_after) : githubSecondaryLimit(f.burst_status, f.retry_after);
        }
        bool has_failure = f.reset_connection || f.stall_ms > 0 || f.fail_next.has_value() || f.error_rate > 0;
        if (!has_failure) continue;
        bool fire = false;
        if (f.fail_next) {
            if (*f.fail_next > 0) {
                --*f.fail_next;
                fire = true;
            }
        } else if (f.error_rate > 0) {
            fire = std::uniform_real_distribution<double>(0, 1)(f.rng) < f.error_rate;
        } else {
            fire = true;  // reset/stall without a count: every matching request
        }
        if (!fire) continue;
        SimResponse r;
        if (f.reset_connection) {
            r.action = WireAction::ResetConnection;
        } else if (f.stall_ms > 0) {
            r.action = WireAction::Stall;
            r.delay_ms = f.stall_ms;
        } else if (gitlab) {
            static const std::regex statuses_route("/projects/[^/]+/statuses/");
            if (f.status == 409 && std::regex_search(req.path, statuses_route))
                r.json(409, R"({"message":"Another update to this commit status is in progress"})");
            else
                r.json(f.status, dumpText(json{{"message", std::to_string(f.status) + " " + reasonPhrase(f.status)}}));
        } else {
            r.json(f.status, dumpText(json{{"message", reasonPhrase(f.status)}, {"documentation_url", "https://docs.github.com/rest"}}));
        }
        return r;
    }
    return std::nullopt;
}

SimResponse ForgeSim::handleAdmin(const SimRequest& req, const std::vector<std::string>& segs) {
    SimResponse r;
    std::string what = segs.size() > 1 ? segs[1] : "";
    auto bad = [&](const std::string& msg) {
        r.json(400, dumpText(json{{"error", msg}}));
        return r;
    };
    try {
        if (what == "state" && req.method == "GET") {
            auto& gl = world_->gitlab;
            auto& gh = world_->github;
            json statuses = json::array(), notes = json::array(), gh_statuses = json::array(), comments = json::array();
            for (auto& s : gl.statuses)
                statuses.push_back({{"id", s.id}, {"project_id", s.project_id}, {"sha", s.sha}, {"ref", s.ref}, {"name", s.name},
                                    {"status", s.status}, {"author_id", s.author}, {"token_id", s.token_id},
                                    {"description", s.description},
                                    {"target_url", s.target_url}, {"pipeline_id", s.pipeline_id}});
            for (auto& p : gl.projects)
                for (auto& mr : p.merge_requests)
                    for (auto& n : mr.notes)
                        notes.push_back({{"id", n.id}, {"project_id", p.id}, {"mr_iid", mr.iid}, {"author_id", n.author},
                                         {"body", n.body}, {"system", n.system}, {"updated_at", n.updated_at}});
            for (auto& s : gh.statuses)
                gh_statuses.push_back({{"id", s.id}, {"repo_id", s.repo}, {"sha", s.sha}, {"state", s.state},
                                       {"context", s.context}, {"creator_id", s.creator}, {"description", s.description}});
            for (auto& c : gh.comments)
                comments.push_back({{"id", c.id}, {"repo_id", c.repo}, {"issue", c.issue}, {"user_id", c.user}, {"body", c.body}});
            json users = json::array();
            for (auto& u : gl.users) users.push_back({{"id", u.id}, {"username", u.username}, {"bot", u.bot}});
            // Personal, project and group tokens with their life (a test reads what a rotation made,
            // the new value included: the simulator is a test tool, not a store of secrets).
            json tokens = json::array();
            for (auto& t : gl.tokens) {
                if (t.kind == GlTokenKind::OAuth) continue;
                tokens.push_back({{"id", t.id}, {"name", t.name}, {"value", t.value}, {"user_id", t.user},
                                  {"revoked", t.revoked},
                                  {"expires_at", t.expires_at ? json(*t.expires_at) : json(nullptr)},
                                  {"rotated_to", t.rotated_to ? json(*t.rotated_to) : json(nullptr)}});
            }
            r.json(200, dumpText(json{{"gitlab", {{"projects", gl.projects.size()}, {"groups", gl.groups.size()}, {"users", users},
                                          {"tokens", tokens}, {"statuses", statuses}, {"notes", notes}}},
                             {"github", {{"repos", gh.repos.size()}, {"statuses", gh_statuses}, {"comments", comments}}},
                             {"clock_offset_seconds", clock_offset_},
                             {"now", now()},
                             {"requests_logged", log_.size()}}));
            return r;
        }
        if (what == "requests") {
            if (req.method == "DELETE") {
                log_.clear();
                r.status = 204;
                return r;
            }
            json a = json::array();
            for (auto& e : log_) a.push_back(e);
            r.json(200, dumpText(a));
            return r;
        }
        if (what == "faults") {
            if (req.method == "DELETE") {
                faults_.clear();
                r.status = 204;
                return r;
            }
            if (req.method != "POST") return bad("use POST or DELETE");
            json j = json::parse(req.body);
            if (!j.is_object()) return bad("expected a JSON object");
            FaultRule f;
            f.id = next_fault_id_++;
            f.route = j.value("route", std::string());
            if (!f.route.empty() && f.route != "*") f.pattern = std::regex(f.route, std::regex::ECMAScript);
            f.latency_ms = j.value("latency_ms", 0);
            f.error_rate = j.value("error_rate", 0.0);
            f.status = j.value("status", 500);
            if (j.contains("fail_next")) f.fail_next = j["fail_next"].get<std::int64_t>();
            f.burst_429 = j.value("burst_429", 0);
            f.retry_after = j.value("retry_after", 1);
            f.burst_status = j.value("burst_status", 429);
            if (f.burst_status != 403 && f.burst_status != 429) return bad("burst_status must be 403 or 429");
            f.reset_connection = j.value("reset_connection", false);
            f.stall_ms = j.value("stall_ms", 0);
            f.after_handling = j.value("after_handling", false);
            if (f.after_handling && (f.latency_ms || f.burst_429 || f.stall_ms))
                return bad("after_handling takes only reset_connection or status (with fail_next or error_rate)");
            f.rng.seed(j.value("seed", world_->seed));
            if (f.error_rate < 0 || f.error_rate > 1) return bad("error_rate must be within 0..1");
            if (f.status < 100 || f.status > 599) return bad("status must be an HTTP status code");
            if (!f.latency_ms && !f.error_rate && !f.fail_next && !f.burst_429 && !f.reset_connection && !f.stall_ms &&
                !j.contains("status"))
                return bad("a fault needs at least one of latency_ms, error_rate, status, fail_next, burst_429, reset_connection, stall_ms");
            if (j.contains("status") && !f.fail_next && f.error_rate == 0 && !f.reset_connection && !f.stall_ms)
                f.error_rate = 1.0;  // a bare status means: always answer it
            faults_.push_back(std::move(f));
            r.json(201, dumpText(json{{"id", faults_.back().id}}));
            return r;
        }
        if (what == "github") return handleGitHubAdmin(*world_, req, segs);
        if (what == "time" && req.method == "POST") {
            json j = json::parse(req.body);
            const bool advance = j.is_object() && j.contains("advance_seconds") && j["advance_seconds"].is_number_integer();
            const bool set = j.is_object() && j.contains("now") && (j["now"].is_number_integer() || j["now"].is_string());
            if (advance == set)
                return bad("expected {\"advance_seconds\": <integer>} or {\"now\": <epoch seconds or YYYY-MM-DD[THH:MM:SSZ]>}");
            if (advance) {
                clock_offset_ += j["advance_seconds"].get<std::int64_t>();
            } else {
                std::int64_t at = 0;
                if (j["now"].is_number_integer()) at = j["now"].get<std::int64_t>();
                else if (!parseTime(j["now"].get<std::string>(), at)) return bad("\"now\": expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
                clock_offset_ += at - now();  // the clock then runs on from there
            }
            r.json(200, dumpText(json{{"clock_offset_seconds", clock_offset_}, {"now", now()}}));
            return r;
        }
        if (what == "scenario" && req.method == "POST") {
            auto fresh = loadScenario(req.body, options_.seed.value_or(0), options_.seed.has_value());
            world_ = std::move(fresh);
            rng_.seed(world_->seed);
            faults_.clear();
            log_.clear();
            startWorld();
            r.json(200, dumpText(json{{"loaded", true}, {"gitlab_projects", world_->gitlab.projects.size()},
                             {"github_repos", world_->github.repos.size()}}));
            return r;
        }
    } catch (const std::exception& e) {
        return bad(e.what());
    }
    r.json(404, dumpText(json{{"error", "unknown admin call " + req.method + " " + req.path}}));
    return r;
}

}  // namespace forgelink::sim
