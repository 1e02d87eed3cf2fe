// Small rules every provider plugin applies the same way, whatever its forge: wrapping a method so
// nothing throws across the boundary, keying caches by a token's digest, recognising ids, commit
// SHAs and the host's hidden comment marker, and building the link to one comment.
//
// Part of Forgelink::plugin_support (link it next to Forgelink::sdk). Plain functions of their
// arguments: no state, safe from any thread.
#pragma once

#include <exception>
#include <string>
#include <string_view>
#include <utility>

#include <forgelink/result.hpp>

namespace forgelink::support {

// Runs `fn` (returning a Result) and turns any exception it throws into an internal Error: "<forge>
// provider failed while <what>: <exception text>". Every public Provider method goes through
// this, as nothing may throw across the plugin boundary.
template <class Fn>
auto guardedCall(std::string_view forge, const char* what, Fn&& fn) -> decltype(fn()) {
    try {
        return fn();
    } catch (const std::exception& e) {
        return makeError(ErrorKind::internal, std::string(forge) + " provider failed while " + what + ": " + e.what(),
                         "internal");
    } catch (...) {
        return makeError(ErrorKind::internal, std::string(forge) + " provider failed while " + what, "internal");
    }
}

// Runs `fn` (returning a string) for a noexcept method: "" when it throws.
template <class Fn>
std::string textOrEmpty(Fn&& fn) noexcept {
    try {
        return fn();
    } catch (...) {
        return {};
    }
}

// SHA-256 of `data` as 64 lower-case hex digits: keys a cache by token without keeping the token
// text as the key. Throws std::runtime_error only when OpenSSL fails.
std::string sha256Hex(std::string_view data);

// 1 to 18 decimal digits: an id or a number as forges send them, small enough for int64.
bool isNumericId(std::string_view text) noexcept;

// How long a commit SHA may be.
enum class ShaLength {
    abbreviated,  // 7 to 64 hex digits: a forge that resolves short SHAs
    full,         // exactly 40 (SHA-1) or 64 (SHA-256) hex digits
};
bool isCommitSha(std::string_view text, ShaLength length) noexcept;

// The marker of CommentRequest::marker checked: one HTML comment on one line (so it stays
// invisible), as forgelink::commentMarker makes it. An invalid_input Error (code "bad_marker")
// otherwise.
Result<void> checkCommentMarker(std::string_view marker);

// The web link of one comment: `repository_web_url` without trailing "/", then `path` (such as
// "/pull/"), the merge request's number, "#", `anchor_prefix` and the comment's id, both
// percent-encoded. "" when any of the three values is empty.
std::string commentLink(std::string_view repository_web_url, std::string_view path, std::string_view merge_request,
                        std::string_view anchor_prefix, std::string_view comment_id);

}  // namespace forgelink::support
