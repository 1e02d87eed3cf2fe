void Maintenance::refreshTeamTokens(MaintenancePass& pass) {
    for (const auto& [name, provider_config] : config_.providers) {
        // A team's OAuth token is renewed with the host's OAuth app of that forge, like login tokens.
        if (!provider_config.oauth) continue;
        Provider* provider = registry_.provider(name);
        const auto* info = registry_.info(name);
        if (provider == nullptr || info == nullptr || (info->capabilities & FORGELINK_CAP_OAUTH_LOGIN) == 0) continue;
        const auto now = options_.clock();
        const auto margin = std::chrono::duration_cast<std::chrono::milliseconds>(options_.refresh_margin);
        auto claimed = store_.claimTeamTokensToRefresh(name, options_.owner, now + margin, now, options_.claim_lease,
                                                       options_.refresh_batch);
        if (!claimed) {
            warnOnce("team-claim:" + name, "maintenance: cannot claim team OAuth tokens to refresh",
                     claimed.error().message, {{"provider", name}, {"reason", claimed.error().message}});
            continue;
        }
        forgetWarning("team-claim:" + name);
        for (const auto& team_token : claimed.value()) {
            if (stopping()) {
                (void)store_.releaseTeamTokenRefresh(team_token.team_id, name, options_.owner);
                continue;
            }
            refreshTeamOne(*provider, provider_config, team_token, pass);
        }
    }
}

void Maintenance::refreshTeamOne(Provider& provider, const config::ProviderConfig& config,
                                 const store::TeamTokenRefresh& token, MaintenancePass& pass) {
    const std::string key = "team-refresh:" + std::to_string(token.team_id) + ":" + token.provider;
    const std::map<std::string, std::string> who{{"team", token.team_slug}, {"provider", token.provider}};
    const OAuthClient client{config.oauth->client_id, config.oauth->client_secret, config.oauth->redirect_uri};
    auto refreshed = provider.refreshToken(token.base_url, client, token.refresh_token);
    if (!refreshed) {
        const Error& error = refreshed.error();
        if (refusedForGood(error)) {
            // The token it renews lives on until its expiry; the re-check then finds it refused
            // and the team's admins are told (token_invalid).
            auto dropped = store_.dropClaimedTeamRefreshToken(token.team_id, token.provider, options_.owner);
            ++pass.team_refresh_failures;
            metrics_.increment(kTeamRefreshes, {{"provider", token.provider}, {"outcome", "dropped"}});
            forgetWarning(key);
            log_.log(LogLevel::warn,
                     "team OAuth token not renewed: the forge refused its refresh token; save a new token before it expires",
                     {{"team", token.team_slug}, {"provider", token.provider}, {"code", error.code},
                      {"dropped", dropped ? "true" : "false"}});
            return;
        }
        ++pass.team_refresh_failures;
        metrics_.increment(kTeamRefreshes, {{"provider", token.provider}, {"outcome", "failed"}});
        (void)store_.releaseTeamTokenRefresh(token.team_id, token.provider, options_.owner);
        auto fields = who;
        fields["reason"] = error.message;
        fields["next"] = "retried at the next pass";
        warnOnce(key, "team OAuth token refresh failed", error.message, fields);
        return;
    }
    store::TeamTokenRefresh next = token;
    next.access_token = refreshed->access_token;
    next.refresh_token = refreshed->refresh_token.empty() ? token.refresh_token : refreshed->refresh_token;
    next.expires_at.reset();
    if (refreshed->expires_at) next.expires_at = store::fromUnixMillis(*refreshed->expires_at * 1000);
    auto saved = store_.completeTeamTokenRefresh(next, options_.owner);
    if (!saved) {
        metrics_.increment(kTeamRefreshes, {{"provider", token.provider}, {"outcome", "discarded"}});
        auto fields = who;
        fields["reason"] = saved.error().message;
        log_.log(LogLevel::warn, "refreshed team OAuth token not stored", fields);
        return;
    }
    ++pass.team_tokens_refreshed;
    metrics_.increment(kTeamRefreshes, {{"provider", token.provider}, {"outcome", "refreshed"}});
    forgetWarning(key);
    log_.log(LogLevel::info, "team OAuth token refreshed", who);
}
