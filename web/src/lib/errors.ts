// Which form field an API error concerns. The API names fields in its messages ("field 'token'
// must be ...", "unknown field 'repository.id'", "query parameter 'search' ...") and may name one
// in details.field; provider refusals of a token (details.kind set by the plugin) concern the token.
import type { ErrorBody } from './api';

const FIELD_PATTERNS = [/\bfield '([^']+)'/, /\bquery parameter '([^']+)'/];

export function fieldOfError(body: ErrorBody): string | null {
  const declared = body.details?.['field'];
  if (typeof declared === 'string' && declared) return declared;
  for (const pattern of FIELD_PATTERNS) {
    const match = pattern.exec(body.message);
    if (match) return match[1];
  }
  return null;
}

/** The fix a refusal carries (details.fix: a sentence, or a URL such as the forge's token page). */
export function fixOfError(details: Record<string, unknown>): { text: string; url: string | null } | null {
  const fix = details['fix'];
  if (typeof fix === 'string' && fix) {
    return /^https?:\/\//.test(fix) ? { text: fix, url: fix } : { text: fix, url: null };
  }
  if (fix && typeof fix === 'object') {
    const f = fix as Record<string, unknown>;
    const url = typeof f['url'] === 'string' ? (f['url'] as string) : null;
    const text = typeof f['message'] === 'string' ? (f['message'] as string) : url;
    if (text) return { text, url };
  }
  return null;
}

/** A refusal's messages: the API returns one error, or several causes in details.causes. */
export function causesOfError(body: { message: string; details: Record<string, unknown> }):
  { message: string; fix: { text: string; url: string | null } | null }[] {
  const causes = body.details['causes'];
  if (Array.isArray(causes) && causes.length > 0) {
    return causes
      .filter((c): c is Record<string, unknown> => !!c && typeof c === 'object')
      .map((c) => ({
        message: typeof c['message'] === 'string' ? (c['message'] as string) : String(c['code'] ?? ''),
        fix: fixOfError(c),
      }));
  }
  return [{ message: body.message, fix: fixOfError(body.details) }];
}

/** Missing scopes the plugin reported (details.missing_scopes). */
export function missingScopes(details: Record<string, unknown>): string[] {
  const scopes = details['missing_scopes'];
  return Array.isArray(scopes) ? scopes.filter((s): s is string => typeof s === 'string') : [];
}

/** A readable sentence for a field name from the API ("base_url" -> "Base URL"). */
export function fieldLabel(field: string): string {
  const labels: Record<string, string> = {
    base_url: 'Base URL',
    token: 'Access token',
    slug: 'Slug',
    name: 'Name',
    user_id: 'User id',
    role: 'Role',
  };
  return labels[field] ?? field;
}
