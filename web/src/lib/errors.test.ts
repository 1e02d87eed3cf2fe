import { describe, expect, it } from 'vitest';
import { ApiError } from './api';
import { causesOfError, fieldOfError, fixOfError } from './errors';

describe('fieldOfError', () => {
  it('reads the field the API names in its message', () => {
    expect(fieldOfError({ code: 'invalid_value', message: "field 'token' must be 1 to 4096 characters" })).toBe('token');
    expect(fieldOfError({ code: 'unknown_field', message: "unknown field 'repository.idx'; expected only: id" })).toBe(
      'repository.idx',
    );
    expect(fieldOfError({ code: 'invalid_value', message: "query parameter 'min_role' must be one of" })).toBe('min_role');
  });
  it('prefers details.field and returns null when nothing is named', () => {
    expect(fieldOfError({ code: 'x', message: "field 'a'", details: { field: 'base_url' } })).toBe('base_url');
    expect(fieldOfError({ code: 'token_revoked', message: 'the token was revoked' })).toBeNull();
  });
});

describe('causes and fixes', () => {
  it('one refusal with a fix URL', () => {
    const error = new ApiError(422, {
      code: 'missing_scope',
      message: 'the token lacks the api scope',
      details: { fix: 'https://gitlab.example.com/-/user_settings/personal_access_tokens?scopes=api' },
    });
    expect(causesOfError(error)).toEqual([
      {
        message: 'the token lacks the api scope',
        fix: {
          text: 'https://gitlab.example.com/-/user_settings/personal_access_tokens?scopes=api',
          url: 'https://gitlab.example.com/-/user_settings/personal_access_tokens?scopes=api',
        },
      },
    ]);
  });
  it('several causes, each with its own fix', () => {
    const error = new ApiError(422, {
      code: 'token_refused',
      message: 'two problems',
      details: {
        causes: [
          { code: 'expired', message: 'the token expired on 2020-01-01', fix: { message: 'create a new token', url: 'https://x/t' } },
          { code: 'missing_scope', message: 'scope api is missing' },
        ],
      },
    });
    expect(causesOfError(error)).toEqual([
      { message: 'the token expired on 2020-01-01', fix: { text: 'create a new token', url: 'https://x/t' } },
      { message: 'scope api is missing', fix: null },
    ]);
  });
  it('a fix that is a sentence is not a link', () => {
    expect(fixOfError({ fix: 'ask an owner of the group' })).toEqual({ text: 'ask an owner of the group', url: null });
    expect(fixOfError({})).toBeNull();
  });
});
