#include "delivery_test_support.hpp"

#include <cstdlib>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "delivery/feedback_task.hpp"
#include "net/transport_policy.hpp"

namespace forgelink::delivery::testing {

TempDir::TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "forgelink-delivery-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + pattern);
    path_ = pattern;
}

TempDir::~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

std::string readScenario(const std::string& name) {
    std::ifstream in(std::string(FORGELINK_DELIVERY_SCENARIOS) + "/" + name);
    if (!in) throw std::runtime_error("cannot read scenario " + name);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

bool waitFor(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (done()) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

LoadedPlugins::LoadedPlugins(net::Metrics& metrics) {
    http_ = net::makeHttpClient(net::ProxySettings{});
    net::TransportPolicy policy;
    policy.default_deadline = std::chrono::milliseconds(10000);
    policy.max_attempts = 1;
    transport_ = net::makePolicyTransport(*http_, metrics, "gitlab", policy);
    services_.transport = transport_.get();
    registry_ = std::make_unique<plugin::Registry>(*this);
    registry_->load(FORGELINK_GITLAB_PLUGIN);
    std::string why;
    for (const auto& r : registry_->refusals()) why += r.message + "; ";
    if (registry_->provider("gitlab") == nullptr) throw std::runtime_error("the GitLab plugin did not load: " + why);
}

LoadedPlugins::~LoadedPlugins() = default;

HostServices& LoadedPlugins::servicesFor(const std::string&) { return services_; }

DeliveryStack::DeliveryStack()
    : sim(readScenario("delivery.yaml")),
      plugins(metrics),
      box(std::make_shared<const secrets::SecretBox>(secrets::SecretBox::generate())),
      log("host", &log_stream_, LogLevel::info) {
    store = openStore();
    auto team = store->createTeam("acme", "ACME");
    if (!team) throw std::runtime_error(team.error().message);
    team_id = team->id;
    saveToken(kBotToken);
    options.workers = 4;
    options.poll_interval = std::chrono::milliseconds(50);
    options.gauge_interval = std::chrono::milliseconds(50);
    options.backoff.base = std::chrono::milliseconds(50);
    options.backoff.cap = std::chrono::milliseconds(400);
    options.instance_id = "delivery-test";
}

DeliveryStack::~DeliveryStack() = default;

std::unique_ptr<store::SqliteStore> DeliveryStack::openStore() const {
    auto opened = store::SqliteStore::open((dir.path() / "forgelink.db").string(), box);
    if (!opened) throw std::runtime_error(opened.error().message);
    return std::move(opened.value());
}

std::unique_ptr<Dispatcher> DeliveryStack::makeDispatcher(store::Store& on, std::string owner) {
    DispatcherOptions o = options;
    o.owner = std::move(owner);
    return std::make_unique<Dispatcher>(on, plugins.registry(), metrics, log, o);
}

std::string DeliveryStack::instance() const { return "127.0.0.1:" + std::to_string(sim.port()); }

std::int64_t DeliveryStack::addProject(const std::string& slug) {
    auto project = store->createProject(team_id, slug, "Project " + slug);
    if (!project) throw std::runtime_error(project.error().message);
    store::RepositoryLink link;
    link.project_id = project->id;
    link.provider = "gitlab";
    link.instance = instance();
    link.repository_id = kRepository;
    link.full_path = "acme/widget";
    link.web_url = sim.gitlabUrl() + "/acme/widget";
    link.status_context = "forgelink/" + slug;
    auto linked = store->linkRepository(link);
    if (!linked) throw std::runtime_error(linked.error().message);
    return project->id;
}

void DeliveryStack::saveToken(const std::string& token, const std::string& name) {
    store::ProviderSettingsInput in;
    in.team_id = team_id;
    in.provider = "gitlab";
    in.name = name;
    in.base_url = sim.gitlabUrl();
    in.instance = instance();
    in.token = token;
    in.kind = TokenKind::personal;
    in.identity = {"3", "forgelink-bot", "Forgelink Bot", sim.gitlabUrl() + "/forgelink-bot", true};
    in.scopes = {"api"};
    auto saved = store->saveProviderSettings(in);
    if (!saved) throw std::runtime_error(saved.error().message);
}

store::Build DeliveryStack::record(std::int64_t project_id, BuildState state, const std::string& sha,
                                   const std::string& mr, std::int64_t build_id, store::BuildStats stats, bool comment_on_open_mrs) {
    auto link = store->repositoryLink(project_id);
    if (!link) throw std::runtime_error(link.error().message);
    store::BuildChange change;
    change.build.id = build_id;
    change.build.project_id = project_id;
    change.build.commit_sha = sha;
    change.build.branch = sha == kMainSha ? "main" : "feature";
    change.build.mr_number = mr;
    change.build.state = state;
    change.build.stats = stats;
    change.build.url = "http://ci.example.test/builds/" + std::to_string(project_id);

    StatusPayload status;
    status.repository = kRepository;
    status.project_id = project_id;
    status.state = state;
    status.context = link->status_context;
    status.target_url = change.build.url;
    status.description = std::string("state ") + std::string(toString(state));
    status.ref = change.build.branch;
    status.sha = sha;
    store::NewFeedbackTask st;
    st.team_id = team_id;
    st.key = {"gitlab", instance(), kRepository, sha, link->status_context, store::FeedbackKind::status, ""};
    st.payload = toJson(status);
    change.tasks.push_back(st);
    if (!mr.empty() || comment_on_open_mrs) {
        store::NewFeedbackTask note;
        note.team_id = team_id;
        // The store keys comments by commit too (it refuses an empty commit sha).
        note.key = {"gitlab", instance(), kRepository, sha, "", store::FeedbackKind::comment, mr};
        note.payload = toJson(CommentPayload{kRepository, project_id, mr, sha});
        change.tasks.push_back(note);
    }
    auto recorded = store->recordBuildChange(change);
    if (!recorded) throw std::runtime_error(recorded.error().message);
    return recorded->build;
}

std::vector<store::FeedbackTask> DeliveryStack::tasksOf(std::int64_t build_id) {
    auto tasks = store->listTasksOfBuild(build_id);
    if (!tasks) throw std::runtime_error(tasks.error().message);
    return tasks.value();
}

bool DeliveryStack::allDone(const std::vector<std::int64_t>& build_ids) {
    for (auto id : build_ids)
        for (const auto& t : tasksOf(id))
            // Finished: delivered, or superseded by a newer build's feedback of the same key.
            if (t.state != store::TaskState::done && t.state != store::TaskState::superseded) return false;
    return true;
}

store::TaskCounts DeliveryStack::counts() {
    auto c = store->countTasks();
    if (!c) throw std::runtime_error(c.error().message);
    return c.value();
}

std::vector<nlohmann::json> DeliveryStack::statuses(const std::string& sha, const std::string& name) {
    std::vector<nlohmann::json> out;
    const auto state = sim.state();  // a range-for over a member of a temporary would dangle
    for (const auto& s : state["gitlab"]["statuses"])
        if (s["sha"] == sha && s["name"] == name) out.push_back(s);
    return out;
}

std::vector<nlohmann::json> DeliveryStack::notesWithMarker(int mr_iid, const std::string& marker) {
    std::vector<nlohmann::json> out;
    const auto state = sim.state();
    for (const auto& n : state["gitlab"]["notes"])
        if (n["mr_iid"] == mr_iid && n["body"].get<std::string>().find(marker) != std::string::npos) out.push_back(n);
    return out;
}

std::vector<nlohmann::json> DeliveryStack::requests(const std::string& method, const std::string& path_part) {
    std::vector<nlohmann::json> out;
    for (const auto& r : sim.requests())
        if (r["method"] == method && r["path"].get<std::string>().find(path_part) != std::string::npos) out.push_back(r);
    return out;
}

std::size_t DeliveryStack::logLinesContaining(const std::string& text) {
    const std::string all = log_buffer_.text();
    std::size_t n = 0;
    std::istringstream lines(all);
    for (std::string line; std::getline(lines, line);)
        if (line.find(text) != std::string::npos) ++n;
    return n;
}

}  // namespace forgelink::delivery::testing
