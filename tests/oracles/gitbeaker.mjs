// @gitbeaker/rest, a widely used GitLab client, used unchanged against forge-sim: whatever it
// expects from real GitLab (Link rel="next" pagination, URL-encoded project paths, JSON bodies,
// 201 on creation) the simulator must give it.
//
// usage: node gitbeaker.mjs --sim BIN --shared DIR [--forgelink BIN]
import path from 'node:path';
import * as h from './lib/harness.mjs';

const opt = h.options(['sim']);
const { Gitlab } = await h.importPackage('@gitbeaker/rest');
const scenario = path.join(h.oraclesDir, 'scenarios', 'gitlab-oracle.yaml');
const SHA = 'af5b13261899fb2c0db30abdd0af8b07cb44fdc5';

await h.run('@gitbeaker/rest against forge-sim', async () => {
  const sim = await h.startSim(opt.sim, scenario);
  const api = new Gitlab({ host: sim.url, token: 'glpat-oracle-bot-api-000000' });

  const me = await api.Users.showCurrentUser();
  h.checkEqual([me.id, me.username, typeof me.web_url], [3, 'forgelink-bot', 'string'], 'Users.showCurrentUser');

  const self = await api.PersonalAccessTokens.show();
  h.checkEqual([self.name, self.scopes, self.active, self.revoked, self.expires_at], ['forgelink', ['api'], true, false, '2030-01-01'],
               'PersonalAccessTokens.show() reads /personal_access_tokens/self');

  // 250 generated projects + widget, visible through the bot's group membership. gitbeaker follows
  // only Link rel="next"; with perPage 100 that is 3 pages.
  await fetch(`${sim.url}/_sim/requests`, { method: 'DELETE' });
  const projects = await api.Projects.all({ membership: true, perPage: 100, orderBy: 'id', sort: 'asc' });
  const ids = projects.map((p) => p.id);
  h.checkEqual(ids.length, 251, 'Projects.all returns every project');
  h.checkEqual(new Set(ids).size, ids.length, 'Projects.all returns each project exactly once');
  h.check(ids.includes(100) && ids.includes(20000) && ids.includes(20249), 'Projects.all includes the first and last generated ids and widget');
  const log = await (await fetch(`${sim.url}/_sim/requests`)).json();
  h.checkEqual(log.filter((e) => e.path === '/api/v4/projects').length, 3, 'Projects.all needed exactly 3 requests (Link rel="next")');

  // Keyset pagination is also driven by Link rel="next" alone.
  const keyset = await api.Projects.all({ membership: true, perPage: 100, pagination: 'keyset', orderBy: 'id', sort: 'asc' });
  h.checkEqual(keyset.map((p) => p.id), [...ids].sort((a, b) => a - b), 'Projects.all keyset returns the same projects in id order');

  // Commit statuses through the encoded path acme%2Ftools%2Fwidget (gitbeaker encodes the slashes).
  const project = 'acme/tools/widget';
  const shown = await api.Projects.show(project);
  h.checkEqual(shown.id, 100, 'Projects.show with a URL-encoded full path');
  const pending = await api.Commits.editStatus(project, SHA, 'pending', { name: 'oracle/gitbeaker', ref: 'feature', targetUrl: 'http://127.0.0.1/b/1' });
  h.checkEqual([pending.status, pending.name, pending.ref, pending.sha], ['pending', 'oracle/gitbeaker', 'feature', SHA], 'Commits.editStatus pending');
  const running = await api.Commits.editStatus(project, SHA, 'running', { name: 'oracle/gitbeaker', ref: 'feature' });
  h.checkEqual([running.status, running.id], ['running', pending.id], 'Commits.editStatus running updates the same status');
  const success = await api.Commits.editStatus(project, SHA, 'success', { name: 'oracle/gitbeaker', ref: 'feature', description: 'done' });
  h.checkEqual([success.status, success.id, success.description], ['success', pending.id, 'done'], 'Commits.editStatus success');
  const all = await api.Commits.allStatuses(project, SHA, { all: true });
  const mine = all.filter((s) => s.name === 'oracle/gitbeaker');
  h.checkEqual(mine.map((s) => s.status), ['success'], 'Commits.allStatuses reads the one status back as success');
  h.check(all.some((s) => s.name === 'ci/other'), 'Commits.allStatuses keeps the other status');
  let refused;
  try {
    await api.Commits.editStatus(project, SHA, 'bogus', { name: 'oracle/gitbeaker' });
  } catch (e) {
    refused = e.cause?.response?.status;
  }
  h.checkEqual(refused, 400, 'Commits.editStatus with an invalid state is refused with 400');

  const mrs = await api.Commits.allMergeRequests(project, SHA);
  h.checkEqual(mrs.map((m) => m.iid), [1], 'Commits.allMergeRequests');

  const note = await api.MergeRequestNotes.create(project, 1, 'first version');
  h.checkEqual([note.body, note.noteable_iid, note.author?.username], ['first version', 1, 'forgelink-bot'], 'MergeRequestNotes.create');
  const edited = await api.MergeRequestNotes.edit(project, 1, note.id, { body: 'second version' });
  h.checkEqual([edited.id, edited.body], [note.id, 'second version'], 'MergeRequestNotes.edit');
  const notes = await api.MergeRequestNotes.all(project, 1, { sort: 'asc', orderBy: 'created_at' });
  h.checkEqual(notes.filter((n) => n.id === note.id).map((n) => n.body), ['second version'], 'MergeRequestNotes.all shows the edited note');

  // Every path gitbeaker sent for the project used the encoded form.
  const sent = await (await fetch(`${sim.url}/_sim/requests`)).json();
  const projectCalls = sent.filter((e) => e.path.startsWith('/api/v4/projects/acme'));
  h.check(projectCalls.length > 0 && projectCalls.every((e) => e.path.startsWith('/api/v4/projects/acme%2Ftools%2Fwidget')),
          `gitbeaker sent the project path encoded (${projectCalls.length} calls)`);
});
