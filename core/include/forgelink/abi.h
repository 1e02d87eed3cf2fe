/* Forgelink plugin ABI: the plain-C boundary between the host and a provider plugin.
 *
 * Each plugin exports exactly one symbol, FORGELINK_PLUGIN_SYMBOL, a function that returns a
 * pointer to a static descriptor. The host reads and checks every field of the descriptor
 * (ABI version, struct size, build fingerprint, provider name) before it calls any C++ in the
 * plugin. Only then does it call `create`, which hands back a forgelink::Provider*.
 *
 * Rules (see docs/plugin-guide.md):
 *  - The descriptor and the strings it points to are static: they live as long as the library.
 *  - `create` and `destroy` never throw; `create` reports failure by returning NULL and writing
 *    a NUL-terminated message into `error` (at most `error_size` bytes).
 *  - The host loads a library once and never unloads it while it runs; it destroys every
 *    provider a library made before the library itself goes away.
 */
#ifndef FORGELINK_ABI_H
#define FORGELINK_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped whenever the descriptor or the C++ provider interface changes incompatibly. Compatible
 * growth does not bump it: new descriptor fields are only ever added at the end, and the host tells
 * which revision a plugin was built against by its struct_size (see FORGELINK_DESCRIPTOR_SIZE_*).
 * 2: forgelink::Error gained `cause` (ErrorCause) and forgelink::HttpRequest `retry_statuses` and
 *    `pacing`, so the host decides every wait and retry: a plugin built for 1 lays them out
 *    differently and is refused. The descriptor is unchanged (its revisions below still hold). */
#define FORGELINK_ABI_VERSION 2u
/* Revision of the version-1 descriptor: 1 = up to `destroy`; 2 = adds secret_token_prefixes;
 * 3 = adds display_name. */
#define FORGELINK_ABI_REVISION 3u

/* The one symbol every plugin exports. */
#define FORGELINK_PLUGIN_SYMBOL "forgelink_plugin_entry"

/* Capability flags: what the provider really implements. */
#define FORGELINK_CAP_TOKEN_VALIDATION 0x01u /* validateToken */
#define FORGELINK_CAP_REPOSITORIES 0x02u     /* listNamespaces, listRepositories, getRepository, repositoryPermissions */
#define FORGELINK_CAP_COMMIT_STATUS 0x04u    /* publishStatus */
#define FORGELINK_CAP_REVIEW_COMMENT 0x08u   /* upsertComment, findMergeRequests */
#define FORGELINK_CAP_OAUTH_LOGIN 0x10u      /* authorizeUrl, exchangeCode, refreshToken, currentUser */
/* commentWebUrl, tokenPageUrl. Provider methods added after the first release sit behind a bit
 * like this one: the host calls them only on plugins that set it, so a plugin built before they
 * existed (whose vtable lacks them) is never asked. */
#define FORGELINK_CAP_WEB_LINKS 0x20u
/* getMergeRequest: a merge request as the forge shows it now, its head commit included, so the
 * host can put a build's status on the commit the merge request shows when the build ran on
 * another one (a merged-results pipeline, a build of the merge commit). Needs no descriptor
 * field: a plugin without the bit keeps working, its statuses go on the build's commit only. */
#define FORGELINK_CAP_MERGE_REQUEST_HEAD 0x40u
/* rotationSupport, rotateToken: the token replaces itself through the forge's API (a
 * self-rotation endpoint), so the host can renew a team's token before it expires. Needs no descriptor
 * field: a plugin without the bit keeps working, and its tokens are only warned about. */
#define FORGELINK_CAP_TOKEN_ROTATION 0x80u

typedef struct forgelink_plugin_descriptor {
    uint32_t abi_version;          /* FORGELINK_ABI_VERSION the plugin was built against */
    uint32_t struct_size;          /* sizeof(forgelink_plugin_descriptor) in the plugin's build */
    const char* provider_name;     /* e.g. "example": lower case, [a-z0-9_-], unique in a host */
    const char* plugin_version;    /* the plugin's own semantic version */
    const char* build_fingerprint; /* FORGELINK_BUILD_FINGERPRINT as the plugin saw it */
    uint64_t capabilities;         /* FORGELINK_CAP_* bits */
    /* Makes a provider. `host` is a forgelink::HostServices* that outlives the provider.
     * Returns a forgelink::Provider* or NULL with a message in `error`. Never throws. */
    void* (*create)(void* host, char* error, size_t error_size);
    /* Destroys what `create` returned. Never throws. */
    void (*destroy)(void* provider);

    /* ---- revision 2 ---- */
    /* NULL, or a NULL-terminated list of the prefixes that start this forge's secrets (say
     * "glpat-"). The host masks "<prefix><6 or more of [A-Za-z0-9_.-]>" in every log line and
     * error text from the moment the plugin loads, so a token that slips into a message never
     * reaches the log. Each prefix: 4 to 40 characters of [A-Za-z0-9_-], starting with a letter
     * or digit; at most 64 prefixes. Static, like the other strings. */
    const char* const* secret_token_prefixes;

    /* ---- revision 3 ---- */
    /* NULL, or the forge's name as people write it ("My Forge"), shown on the login page and in
     * messages: 1 to 64 bytes of UTF-8 without control characters. NULL: the provider name. */
    const char* display_name;
} forgelink_plugin_descriptor;

/* struct_size of each revision's descriptor: the host accepts any of them. */
#define FORGELINK_DESCRIPTOR_SIZE_REV1 (offsetof(forgelink_plugin_descriptor, destroy) + sizeof(void (*)(void*)))
#define FORGELINK_DESCRIPTOR_SIZE_REV2 \
    (offsetof(forgelink_plugin_descriptor, secret_token_prefixes) + sizeof(const char* const*))
#define FORGELINK_DESCRIPTOR_SIZE_REV3 (sizeof(forgelink_plugin_descriptor))
/* The most secret token prefixes one plugin may declare. */
#define FORGELINK_MAX_SECRET_TOKEN_PREFIXES 64u

typedef const forgelink_plugin_descriptor* (*forgelink_plugin_entry_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* FORGELINK_ABI_H */
