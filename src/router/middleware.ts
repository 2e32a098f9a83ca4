/**
 * The built-in middleware, in the order they run: audit (wraps everything, so a denial or a
 * crash is recorded too) → parse → validate → identify → authorize → confirm → execute.
 */
import { allows, requiredRole } from '../auth/permissions.js';
import type { RoleResolver } from '../auth/roles.js';
import type { Logger } from '../log.js';
import type { Message } from '../message.js';
import type { Metrics } from '../metrics.js';
import type { Services } from '../services.js';
import type { Store } from '../store/store.js';
import { inlineCode } from '../text/escape.js';
import type { Dispatch, Middleware } from './dispatch.js';
import { resolveCommand } from './resolve.js';
import { type CommandContext, type CommandGroup, commandPath } from './spec.js';
import { tokenize } from './tokenize.js';
import { groupHelp, usageLine } from './usage.js';
import { validateArgs } from './validate.js';

export interface MiddlewareDeps {
  trigger: string;
  groups: () => readonly CommandGroup[];
  roles: RoleResolver;
  store: Store;
  services: Services;
  metrics: Metrics;
  log: Logger;
  now: () => number;
}

const asMessage = (message: Message | string): Message =>
  typeof message === 'string' ? { text: message } : message;

export function answer(dispatch: Dispatch, message: Message | string): Promise<unknown> {
  return dispatch.invocation.responder.reply(asMessage(message), 'ephemeral');
}

export function audit(deps: MiddlewareDeps): Middleware {
  return async (d, next) => {
    try {
      await next();
    } catch (error) {
      d.outcome = 'error';
      d.detail = error instanceof Error ? error.message : String(error);
      deps.log.error({ err: error, requestId: d.invocation.requestId, command: d.command }, 'command failed');
      await answer(
        d,
        `\`${deps.trigger} ${d.command}\` failed: ${inlineCode(d.detail)}. The details are logged under request ${inlineCode(d.invocation.requestId)}.`,
      ).catch(() => undefined);
    } finally {
      const durationMs = deps.now() - d.startedAt;
      deps.metrics.commands.inc({ command: d.command, outcome: d.outcome });
      deps.metrics.commandDuration.observe({ command: d.command }, durationMs / 1000);
      const { invocation } = d;
      await deps.store
        .appendAudit({
          at: d.startedAt,
          requestId: invocation.requestId,
          platform: invocation.platform,
          userId: invocation.user.id,
          username: invocation.user.username,
          channelId: invocation.channel.id,
          channelName: invocation.channel.name,
          command: d.command,
          args: d.args ? { ...d.args } : { text: invocation.text.slice(0, 500) },
          outcome: d.outcome,
          detail: d.detail,
          durationMs,
        })
        .catch((error: unknown) =>
          deps.log.error({ err: error, requestId: invocation.requestId }, 'audit write failed'),
        );
    }
  };
}

export function parse(deps: MiddlewareDeps): Middleware {
  return async (d, next) => {
    const tokens = tokenize(d.invocation.text);
    if ('error' in tokens) {
      d.outcome = 'invalid';
      d.detail = tokens.error;
      await answer(d, `I could not read that: ${tokens.error}.`);
      return;
    }
    d.words = tokens.words;
    const resolution = resolveCommand(deps.groups(), d.words);
    switch (resolution.kind) {
      case 'found':
        d.spec = resolution.spec;
        d.command = commandPath(resolution.spec);
        d.words = resolution.rest;
        return next();
      case 'empty':
        d.command = 'help';
        d.outcome = 'invalid';
        d.detail = 'no command given';
        await answer(d, `Type \`${deps.trigger} help\` to see what I can do.`);
        return;
      case 'unknown-group': {
        d.command = 'unknown';
        d.outcome = 'unknown';
        d.detail = `unknown command ${resolution.word.slice(0, 100)}`;
        const names = deps
          .groups()
          .map((g) => `\`${g.name}\``)
          .join(', ');
        await answer(
          d,
          `I don't know the command ${inlineCode(resolution.word.slice(0, 100))}. ` +
            (resolution.suggestion
              ? `Did you mean \`${deps.trigger} ${resolution.suggestion}\`?`
              : `Did you mean one of ${names}?`) +
            ` Type \`${deps.trigger} help\` for the list.`,
        );
        return;
      }
      case 'unknown-command':
        d.command = resolution.group.name;
        d.outcome = 'unknown';
        d.detail = resolution.word ? `unknown subcommand ${resolution.word.slice(0, 100)}` : 'no subcommand';
        await answer(
          d,
          (resolution.word
            ? `\`${deps.trigger} ${resolution.group.name}\` has no command ${inlineCode(resolution.word.slice(0, 100))}.` +
              (resolution.suggestion
                ? ` Did you mean \`${deps.trigger} ${resolution.group.name} ${resolution.suggestion}\`?`
                : '')
            : `\`${deps.trigger} ${resolution.group.name}\` needs a command.`) +
            `\n${groupHelp(deps.trigger, resolution.group)}`,
        );
        return;
    }
  };
}

export function validate(deps: MiddlewareDeps): Middleware {
  return async (d, next) => {
    const spec = d.spec!;
    const result = validateArgs(spec, d.words);
    if (!result.ok) {
      d.outcome = 'invalid';
      d.detail = result.problems.join('; ');
      await answer(
        d,
        `${result.problems.map((p) => `${capitalise(p)}.`).join(' ')}\nUsage: \`${usageLine(deps.trigger, spec)}\` (more: \`${deps.trigger} help ${spec.group}\`)`,
      );
      return;
    }
    d.args = result.args;
    return next();
  };
}

export function identify(deps: MiddlewareDeps): Middleware {
  return async (d, next) => {
    d.role = deps.roles.roleOf(d.invocation.user, d.invocation.channel);
    return next();
  };
}

export function authorize(deps: MiddlewareDeps): Middleware {
  return async (d, next) => {
    const spec = d.spec!;
    if (allows(d.role, spec.permission)) return next();
    const needed = requiredRole(spec.permission);
    d.outcome = 'denied';
    d.detail = `needs ${needed}, has ${d.role ?? 'no role'}`;
    await answer(
      d,
      `\`${deps.trigger} ${d.command}\` needs the ${needed} role; you have ${d.role ? `the ${d.role} role` : 'no role'} here. Ask an admin of coxswain to bind you to ${needed} (auth.bindings in its config).`,
    );
  };
}

export function execute(deps: MiddlewareDeps): Middleware {
  return async (d) => {
    const spec = d.spec!;
    if (!spec.run) {
      d.outcome = 'unavailable';
      d.detail = 'engine not built';
      await answer(
        d,
        `\`${deps.trigger} ${d.command}\` is not available yet: this build of coxswain does not have its engine. Nothing was done.`,
      );
      return;
    }
    const visibility = spec.visibility ?? 'ephemeral';
    const { responder } = d.invocation;
    const ctx: CommandContext = {
      invocation: d.invocation,
      user: d.invocation.user,
      role: d.role,
      args: d.args ?? {},
      spec,
      services: deps.services,
      log: deps.log.child({ requestId: d.invocation.requestId, command: d.command }),
      reply: (message) => responder.reply(asMessage(message), visibility),
      replyInThread: (message) => responder.replyInThread(asMessage(message)),
      update: (ref, message) => responder.update(ref, asMessage(message)),
    };
    await spec.run(ctx);
    d.outcome = 'ok';
  };
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
