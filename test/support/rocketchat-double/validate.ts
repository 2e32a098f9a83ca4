/**
 * Checks every request the bot makes against Rocket.Chat's published API, twice:
 * - the OpenAPI files in test/support/api/rocketchat/ (the operation must exist; its JSON request body
 *   must match the operation's requestBody schema; its required query parameters must be there);
 * - the AJV validators of @rocket.chat/rest-typings 8.8.1 where one exists for the endpoint. The
 *   package's dist cannot be imported by Node directly (directory imports), so it is bundled
 *   with esbuild once, as test/support/api/rocketchat/README.md describes.
 * `/api/v1/login` is checked against OpenAPI only: rest-typings' `isLoginProps` wants `user` as
 * an object and has no `resume`, matching neither the spec nor what the server accepts.
 * One defect of the spec is corrected, and only that one: `dm.create`'s body is a `oneOf` of
 * `{username}` and `{usernames}` with no `required`, so every object matches both branches and no
 * body could ever pass; it is read as `anyOf` (rest-typings' `isDmCreateProps` still checks it).
 * `rooms.media/:rid` and `rooms.mediaConfirm/:rid/:fileId` (file upload) are in neither the four
 * OpenAPI sections copied here nor rest-typings' validators (only its types); the double checks
 * them itself against those types (server.ts: roomsMedia, mediaConfirm).
 */
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import { parse as parseYaml } from 'yaml';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..', '..');
const API_DIR = join(here, '..', 'api', 'rocketchat');
const FILES = ['authentication', 'messaging', 'rooms', 'user-management'];

type Validator = ((data: unknown) => boolean) & { errors?: unknown };

/** rest-typings validator per endpoint (the part after /api/v1/). */
const TYPINGS: Record<string, string> = {
  'chat.sendMessage': 'isChatSendMessageProps',
  'chat.postMessage': 'isChatPostMessageProps',
  'chat.update': 'isChatUpdateProps',
  'dm.create': 'isDmCreateProps',
  'im.create': 'isDmCreateProps',
  'channels.create': 'isChannelsCreateProps',
  'groups.create': 'isGroupsCreateProps',
  'channels.invite': 'isChannelsInviteProps',
  'groups.invite': 'isGroupsInviteProps',
  'channels.archive': 'isChannelsArchiveProps',
  'groups.archive': 'isGroupsArchiveProps',
  'rooms.info': 'isRoomsInfoProps',
  'users.info': 'isUsersInfoParamsGetProps',
  'chat.syncMessages': 'isChatSyncMessagesProps',
  'users.listTeams': 'isUsersListTeamsProps',
  'teams.members': 'isTeamsMembersProps',
  'roles.getUsersInRole': 'isRolesGetUsersInRoleProps',
};

/** Upload routes with path parameters, outside the OpenAPI files here (see the module comment). */
const CHECKED_BY_THE_DOUBLE = [/^POST \/api\/v1\/rooms\.mediaConfirm\/[^/]+\/[^/]+$/];

interface Operation {
  body?: ValidateFunction;
  requiredQuery: string[];
}

export class ApiValidator {
  private readonly operations = new Map<string, Operation>();
  private typings: Record<string, Validator> = {};

  static async create(): Promise<ApiValidator> {
    const validator = new ApiValidator();
    validator.loadOpenApi();
    validator.typings = await loadRestTypings();
    return validator;
  }

  /** The validators the double applies to an endpoint, for the tests to assert on. */
  typingsFor(endpoint: string): string | undefined {
    return TYPINGS[endpoint];
  }

  /** Problems with one request; empty when it is valid. */
  check(method: string, pathname: string, query: URLSearchParams, body: unknown): string[] {
    const key = `${method.toUpperCase()} ${pathname}`;
    if (CHECKED_BY_THE_DOUBLE.some((pattern) => pattern.test(key))) return [];
    const operation = this.operations.get(key);
    if (!operation) return [`${key} is not an operation in the Rocket.Chat OpenAPI files`];
    const problems: string[] = [];
    for (const name of operation.requiredQuery)
      if (!query.has(name)) problems.push(`${key}: missing required query parameter ${name}`);
    if (operation.body && !operation.body(body))
      problems.push(`${key} body fails OpenAPI: ${JSON.stringify(operation.body.errors)}`);
    const endpoint = pathname.replace(/^\/api\/v1\//, '');
    const typingName = TYPINGS[endpoint];
    if (typingName) {
      const typing = this.typings[typingName];
      if (!typing) problems.push(`rest-typings has no ${typingName}`);
      else {
        const input = method === 'GET' ? Object.fromEntries(query) : structuredClone(body);
        if (!typing(input))
          problems.push(`${key} fails rest-typings ${typingName}: ${JSON.stringify(typing.errors)}`);
      }
    }
    return problems;
  }

  private loadOpenApi(): void {
    const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, validateFormats: false });
    for (const file of FILES) {
      const doc = parseYaml(readFileSync(join(API_DIR, `${file}.yaml`), 'utf8')) as {
        paths: Record<string, Record<string, OpenApiOperation>>;
        components?: { parameters?: Record<string, OpenApiParameter> };
      };
      const dmCreate = doc.paths['/api/v1/dm.create']?.post?.requestBody?.content?.['application/json'] as
        | { schema?: Record<string, unknown> }
        | undefined;
      if (dmCreate?.schema?.oneOf) {
        dmCreate.schema = { anyOf: dmCreate.schema.oneOf };
      }
      ajv.addSchema(nullableToTypes(doc) as object, file);
      for (const [path, methods] of Object.entries(doc.paths)) {
        for (const [method, operation] of Object.entries(methods)) {
          if (!['get', 'post', 'put', 'delete'].includes(method)) continue;
          const key = `${method.toUpperCase()} ${path}`;
          const entry: Operation = { requiredQuery: [] };
          if (operation.requestBody?.content?.['application/json']) {
            const pointer = ['paths', path, method, 'requestBody', 'content', 'application/json', 'schema']
              .map((part) => part.replace(/~/g, '~0').replace(/\//g, '~1'))
              .join('/');
            entry.body = ajv.compile({ $ref: `${file}#/${pointer}` });
          }
          for (const parameter of operation.parameters ?? []) {
            const resolved = parameter.$ref
              ? doc.components?.parameters?.[parameter.$ref.split('/').pop() as string]
              : parameter;
            if (resolved?.in === 'query' && resolved.required) entry.requiredQuery.push(resolved.name);
          }
          // The files hold a few variants of one path ("/api/v1/login - with Google"); the plain one wins.
          if (!this.operations.has(key)) this.operations.set(key, entry);
        }
      }
    }
  }
}

interface OpenApiParameter {
  $ref?: string;
  name: string;
  in: string;
  required?: boolean;
}

interface OpenApiOperation {
  requestBody?: { content?: Record<string, unknown> };
  parameters?: OpenApiParameter[];
}

/** OpenAPI 3.0's `nullable: true` is not JSON Schema; turn it into a type union. */
function nullableToTypes(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(nullableToTypes);
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) out[key] = nullableToTypes(value);
  if (out.nullable === true && typeof out.type === 'string') out.type = [out.type, 'null'];
  return out;
}

async function loadRestTypings(): Promise<Record<string, Validator>> {
  const outDir = join(repo, 'node_modules', '.cache', 'coxswain-rocketchat-double');
  const outfile = join(outDir, 'rest-typings-8.8.1.mjs');
  if (!existsSync(outfile)) {
    mkdirSync(outDir, { recursive: true });
    const require = createRequire(import.meta.url);
    const esbuild = require('esbuild') as typeof import('esbuild');
    await esbuild.build({
      stdin: {
        contents: [
          "export * from '@rocket.chat/rest-typings';",
          // Not re-exported from the package root.
          "export { isChannelsInviteProps } from '@rocket.chat/rest-typings/dist/v1/channels/ChannelsInviteProps';",
        ].join('\n'),
        resolveDir: repo,
      },
      bundle: true,
      platform: 'node',
      format: 'esm',
      // Test files load this in parallel: build aside, then rename into place atomically.
      outfile: `${outfile}.${process.pid}.tmp`,
      logLevel: 'error',
    });
    renameSync(`${outfile}.${process.pid}.tmp`, outfile);
  }
  return (await import(pathToFileURL(outfile).href)) as Record<string, Validator>;
}
