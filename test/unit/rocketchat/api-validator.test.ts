/**
 * The double's request checks (test/support/rocketchat-double/validate.ts) must be able to fail,
 * or the integration suite proves nothing. Rocket.Chat is a protocol double here because no real
 * server can run on this machine; these checks are what tie the double to the published API.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ApiValidator } from '../../support/rocketchat-double/validate.js';

let api: ApiValidator;
const none = new URLSearchParams();

beforeAll(async () => {
  api = await ApiValidator.create();
}, 60_000);

describe('the Rocket.Chat request validator', () => {
  it('accepts the bodies the adapter sends', () => {
    expect(api.check('POST', '/api/v1/login', none, { user: 'coxswain', password: 'p' })).toEqual([]);
    expect(api.check('POST', '/api/v1/chat.update', none, { roomId: 'r', msgId: 'm', text: 't' })).toEqual(
      [],
    );
    expect(api.check('GET', '/api/v1/rooms.info', new URLSearchParams({ roomName: 'ops' }), {})).toEqual([]);
  });

  it('refuses a body the OpenAPI schema refuses', () => {
    const problems = api.check('POST', '/api/v1/chat.update', none, { roomId: 'r', text: 't' });
    expect(problems.join('\n')).toMatch(/fails OpenAPI/);
    expect(problems.join('\n')).toMatch(/fails rest-typings isChatUpdateProps/);
  });

  it('refuses what only rest-typings refuses (chat.update cannot carry attachments)', () => {
    const problems = api.check('POST', '/api/v1/chat.update', none, {
      roomId: 'r',
      msgId: 'm',
      text: 't',
      attachments: [],
    });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/rest-typings isChatUpdateProps/);
  });

  it('refuses an endpoint that does not exist and a missing required query parameter', () => {
    expect(api.check('POST', '/api/v1/chat.shout', none, {})).toEqual([
      'POST /api/v1/chat.shout is not an operation in the Rocket.Chat OpenAPI files',
    ]);
    expect(api.check('GET', '/api/v1/rooms.info', none, {}).join('\n')).toMatch(/isRoomsInfoProps/);
  });

  it('checks the lookups behind groups and invitations, and the page parameters they send', () => {
    const q = (params: Record<string, string>) => new URLSearchParams(params);
    expect(api.check('GET', '/api/v1/users.info', q({ userId: 'u1' }), {})).toEqual([]);
    expect(api.check('GET', '/api/v1/users.listTeams', q({ userId: 'u1' }), {})).toEqual([]);
    expect(api.check('GET', '/api/v1/users.listTeams', none, {}).join('\n')).toMatch(
      /missing required query parameter userId/,
    );
    const page = { offset: '0', count: '100' };
    expect(api.check('GET', '/api/v1/teams.members', q({ teamName: 'sre', ...page }), {})).toEqual([]);
    expect(api.check('GET', '/api/v1/teams.members', q(page), {}).join('\n')).toMatch(/isTeamsMembersProps/);
    expect(api.check('GET', '/api/v1/roles.getUsersInRole', q({ role: 'dba', ...page }), {})).toEqual([]);
    expect(api.check('GET', '/api/v1/roles.getUsersInRole', q({ role: 'dba', page: '1' }), {})).not.toEqual(
      [],
    );
  });

  it('leaves only the upload confirmation route, exactly, to the double', () => {
    expect(api.check('POST', '/api/v1/rooms.mediaConfirm/r1/f1', none, { msg: 'x' })).toEqual([]);
    expect(api.check('POST', '/api/v1/rooms.mediaConfirm/r1', none, {})).not.toEqual([]);
    expect(api.check('GET', '/api/v1/rooms.mediaConfirm/r1/f1', none, {})).not.toEqual([]);
  });
});
