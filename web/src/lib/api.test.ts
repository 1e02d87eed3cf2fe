import { afterEach, describe, expect, it, vi } from 'vitest';
import { api, ApiError, setCsrfToken } from './api';

type Call = { url: string; init: RequestInit };

function mockFetch(status: number, body: unknown): Call[] {
  const calls: Call[] = [];
  vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
    return new Response(status === 204 ? null : text, { status, statusText: 'X' });
  });
  return calls;
}

afterEach(() => {
  vi.unstubAllGlobals();
  setCsrfToken(null);
});

describe('the CSRF token', () => {
  it('goes with every state-changing request, never with a read', async () => {
    setCsrfToken('csrf-123');
    const calls = mockFetch(200, { ok: true });
    await api.get('/api/v1/teams');
    await api.post('/api/v1/teams', { slug: 'a' });
    await api.put('/api/v1/teams/a/providers/gitlab', { token: 't' });
    await api.patch('/api/v1/teams/a/members/1', { role: 'owner' });
    await api.del('/api/v1/projects/1');
    const headers = calls.map((c) => (c.init.headers as Record<string, string>)['X-CSRF-Token']);
    expect(headers).toEqual([undefined, 'csrf-123', 'csrf-123', 'csrf-123', 'csrf-123']);
    expect(calls.map((c) => c.init.method)).toEqual(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
    expect(calls[1].init.body).toBe('{"slug":"a"}');
    expect((calls[1].init.headers as Record<string, string>)['Content-Type']).toBe('application/json');
  });
  it('is not sent when the session has none (bearer tokens)', async () => {
    const calls = mockFetch(204, undefined);
    await api.post('/auth/logout');
    expect((calls[0].init.headers as Record<string, string>)['X-CSRF-Token']).toBeUndefined();
  });
});

describe('errors', () => {
  it("the API's error JSON becomes an ApiError with its field", async () => {
    mockFetch(400, { error: { code: 'invalid_value', message: "field 'base_url' must be an http(s) URL" } });
    const error = await api.put('/x', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 400, code: 'invalid_value', field: 'base_url' });
  });
  it('a body that is not the error JSON still gives a readable message', async () => {
    mockFetch(502, '<html>bad gateway</html>');
    const error = (await api.get('/x').catch((e: unknown) => e)) as ApiError;
    expect(error.message).toBe('The server answered 502 X.');
    expect(error.code).toBe('http_502');
  });
  it('an unreachable host says so', async () => {
    vi.stubGlobal('fetch', async () => {
      throw new TypeError('Failed to fetch');
    });
    const error = (await api.get('/x').catch((e: unknown) => e)) as ApiError;
    expect(error.code).toBe('network_error');
    expect(error.message).toMatch(/could not be reached/);
  });
  it('query parameters skip empty values', async () => {
    const calls = mockFetch(200, { items: [] });
    await api.get('/r', { search: 'a b', cursor: null, namespace: '' });
    expect(calls[0].url).toBe('/r?search=a+b');
  });
});
