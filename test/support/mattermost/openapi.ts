/**
 * Checks requests against Mattermost's published OpenAPI document
 * (test/support/api/mattermost/openapi.yaml, with its provenance in that folder's README): the operation must exist (path templates match any
 * segment), required query parameters must be there, and a JSON body must match the
 * operation's requestBody schema. Schemas are compiled per operation on first use, so the five
 * `$ref`s the README lists as unresolvable (none on the bot's operations) never get compiled.
 *
 * One defect of the spec is read the way the server behaves, and only that one: PatchPost and
 * UpdatePost declare `props` as `type: string`, while CreatePost and the server's
 * model.PostPatch take an object; for those two operations `props` may be an object.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import { parse as parseYaml } from 'yaml';

const here = dirname(fileURLToPath(import.meta.url));
const SPEC = join(here, '..', 'api', 'mattermost', 'openapi.yaml');

interface OpenApiOperation {
  operationId?: string;
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  parameters?: { name: string; in: string; required?: boolean }[];
}

interface Operation {
  id: string;
  pattern: RegExp;
  method: string;
  pointer?: string;
  requiredQuery: string[];
  validate?: ValidateFunction;
}

export class MattermostOpenApi {
  private readonly ajv = new Ajv({
    strict: false,
    allErrors: true,
    validateSchema: false,
    validateFormats: false,
  });
  private readonly operations: Operation[] = [];

  constructor() {
    const doc = nullableToTypes(parseYaml(readFileSync(SPEC, 'utf8'))) as {
      paths: Record<string, Record<string, OpenApiOperation>>;
    };
    for (const id of ['PatchPost', 'UpdatePost']) {
      for (const methods of Object.values(doc.paths))
        for (const op of Object.values(methods)) {
          const schema =
            op.operationId === id ? op.requestBody?.content?.['application/json']?.schema : undefined;
          const props = (schema as { properties?: Record<string, unknown> } | undefined)?.properties;
          if (props?.props) props.props = { type: ['object', 'string'] };
        }
    }
    this.ajv.addSchema(doc as object, 'mm');
    for (const [path, methods] of Object.entries(doc.paths)) {
      const pattern = new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+')}$`);
      for (const [method, op] of Object.entries(methods)) {
        if (!['get', 'post', 'put', 'delete', 'patch'].includes(method)) continue;
        const entry: Operation = {
          id: op.operationId ?? `${method} ${path}`,
          pattern,
          method: method.toUpperCase(),
          requiredQuery: (op.parameters ?? [])
            .filter((p) => p.in === 'query' && p.required)
            .map((p) => p.name),
        };
        if (op.requestBody?.content?.['application/json'])
          entry.pointer = ['paths', path, method, 'requestBody', 'content', 'application/json', 'schema']
            .map((part) => part.replace(/~/g, '~0').replace(/\//g, '~1'))
            .join('/');
        this.operations.push(entry);
      }
    }
  }

  /** The operationId a request maps to; literal paths win over templated ones (`/users/me`). */
  operationOf(method: string, pathname: string): Operation | undefined {
    const candidates = this.operations.filter(
      (o) => o.method === method.toUpperCase() && o.pattern.test(pathname),
    );
    return candidates.sort((a, b) => literalLength(b) - literalLength(a))[0];
  }

  /** Problems with one request; empty when it is valid. */
  check(method: string, url: string, body: unknown): string[] {
    const { pathname, searchParams } = new URL(url, 'http://x');
    const operation = this.operationOf(method, pathname);
    if (!operation) return [`${method} ${pathname} is not an operation in Mattermost's OpenAPI document`];
    const problems: string[] = [];
    for (const name of operation.requiredQuery)
      if (!searchParams.has(name)) problems.push(`${operation.id}: missing query parameter ${name}`);
    if (operation.pointer) {
      operation.validate ??= this.ajv.compile({ $ref: `mm#/${operation.pointer}` });
      if (!operation.validate(body))
        problems.push(`${operation.id}: ${JSON.stringify(operation.validate.errors)}`);
    }
    return problems;
  }
}

function literalLength(operation: Operation): number {
  return operation.pattern.source.replace(/\[\^\/\]\+/g, '').length;
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
