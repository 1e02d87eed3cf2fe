#!/usr/bin/env bash
# Regenerates the recorded-answer seeds of fuzz/corpus/ from our own simulator scenarios
# (tests/sim/scenarios/*-basic.yaml): forge-sim answers real requests, and each answer is written in
# the fuzz response format (fuzz_http.hpp: status line, headers, empty line, body).
#   fuzz/make_seeds.sh [BUILD_DIR]   (default build/, which must hold bin/forge-sim)
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
port=$((20000 + RANDOM % 20000))
record() {  # record TARGET_DIRS NAME TOKEN_HEADER METHOD URL [BODY]
  local dirs="$1" name="$2" auth="$3" method="$4" url="$5" body="${6:-}"
  local tmp; tmp=$(mktemp)
  curl -s -D "$tmp.h" -o "$tmp.b" -X "$method" -H "$auth" -H 'Content-Type: application/json' \
       ${body:+--data "$body"} "http://127.0.0.1:$port$url"
  for dir in $dirs; do
    mkdir -p "fuzz/corpus/$dir"
    { head -1 "$tmp.h" | awk '{print $2}'
      tail -n +2 "$tmp.h" | tr -d '\r' | grep -v -i -E '^(date|content-length|connection|server):' | sed '/^$/d'
      echo
      cat "$tmp.b"; } > "fuzz/corpus/$dir/$name"
  done
  rm -f "$tmp" "$tmp.h" "$tmp.b"
}
sim() {
  "$build/bin/forge-sim" --scenario "$1" --port "$port" >/dev/null 2>&1 &
  sim_pid=$!
  for _ in $(seq 50); do curl -s "http://127.0.0.1:$port/_sim/state" >/dev/null && return; sleep 0.1; done
  echo "forge-sim did not start" >&2; exit 1
}
stop() { kill "$sim_pid"; wait "$sim_pid" 2>/dev/null || true; }

sim tests/sim/scenarios/gitlab-basic.yaml
GL='PRIVATE-TOKEN: glpat-readme-bot-00000000'
record "gitlab_responses gitlab_headers" user "$GL" GET /api/v4/user
record "gitlab_responses" pat-self "$GL" GET /api/v4/personal_access_tokens/self
record "gitlab_responses" pat-associations "$GL" GET /api/v4/personal_access_tokens/self/associations
record "gitlab_responses gitlab_headers" projects-page1 "$GL" GET '/api/v4/projects?membership=true&per_page=2'
record "gitlab_responses" project-100 "$GL" GET /api/v4/projects/100
record "gitlab_responses gitlab_headers" groups "$GL" GET '/api/v4/groups?per_page=2'
record "gitlab_responses" namespaces "$GL" GET /api/v4/namespaces
record "gitlab_responses" version "$GL" GET /api/v4/version
record "gitlab_responses" project-mrs "$GL" GET /api/v4/projects/100/merge_requests
record "gitlab_responses gitlab_headers" mr-notes "$GL" GET /api/v4/projects/100/merge_requests/1/notes
record "gitlab_responses" members "$GL" GET /api/v4/projects/100/members/all
record "gitlab_responses gitlab_headers" not-found "$GL" GET /api/v4/projects/999999
record "gitlab_responses gitlab_headers" unauthorized 'PRIVATE-TOKEN: glpat-nope' GET /api/v4/user
stop

sim tests/sim/scenarios/github-basic.yaml
GH='Authorization: token ghp_aliceClassicRepo000000000000000000000'
record "github_responses github_headers" user "$GH" GET /api/v3/user
record "github_responses github_headers" repos-page1 "$GH" GET '/api/v3/user/repos?per_page=3'
record "github_responses" orgs "$GH" GET /api/v3/user/orgs
record "github_responses" repo "$GH" GET /api/v3/repos/acme/widget
record "github_responses" commit-pulls "$GH" GET /api/v3/repos/acme/widget/commits/7b2f1e4a9c3d5e6f708192a3b4c5d6e7f8091a2b/pulls
record "github_responses" comments "$GH" GET /api/v3/repos/acme/widget/issues/7/comments
record "github_responses" statuses "$GH" GET /api/v3/repos/acme/widget/commits/7b2f1e4a9c3d5e6f708192a3b4c5d6e7f8091a2b/statuses
record "github_responses github_headers" bad-credentials 'Authorization: token ghp_nope' GET /api/v3/user
record "github_responses github_headers" expiring 'Authorization: token ghp_expiring0000000000000000000000000000000' GET /api/v3/user
record "github_responses" not-found "$GH" GET /api/v3/repos/acme/nothing
record "github_responses github_headers" fine-grained-403 'Authorization: token github_pat_aliceFineReadOnly' POST \
  /api/v3/repos/acme/widget/statuses/7b2f1e4a9c3d5e6f708192a3b4c5d6e7f8091a2b '{"state":"success","context":"forgelink"}'
stop
