/**
 * Which channels an alert group goes to: the config's routes, evaluated in order the way
 * Alertmanager evaluates its own (the first match wins unless it says `continue`), and the
 * default route when none matched.
 */
import type { AlertRoute, AlertsConfig } from './config-schema.js';
import { type Matcher, matchesAll, parseMatchers } from './matchers.js';

/** `oncall:<team>` in a route's mention: whoever is on call for that team when the post is made. */
export const ONCALL_MENTION = /\boncall:([a-z][a-z0-9-]{0,31})\b/g;

/** The teams an alert route's mention names as `oncall:<team>`. */
export function oncallMentions(mention: string): string[] {
  return [...mention.matchAll(ONCALL_MENTION)].map((m) => m[1] as string);
}

export interface RouteTarget {
  channel: string;
  /** Set only when the group is critical and the route names someone to call. */
  mention?: string;
}

interface CompiledRoute {
  matchers: Matcher[];
  channels: string[];
  platforms: string[];
  mention?: string;
  continue: boolean;
}

export class AlertRouter {
  private readonly routes: CompiledRoute[];
  private readonly fallback: CompiledRoute;

  /**
   * `oncall` answers who is on call for a team now, as a mention (`@bob`, `~dba`), from the
   * on-call roster, asked per post: it changes at handovers and with overrides. Without it an
   * `oncall:<team>` mention is dropped.
   */
  constructor(
    alerts: Pick<AlertsConfig, 'routes' | 'defaultRoute'>,
    private readonly oncall?: (team: string) => string | undefined,
  ) {
    this.routes = alerts.routes.map(compile);
    this.fallback = compile({ ...alerts.defaultRoute, matchers: [], continue: false });
  }

  /**
   * The channels for a group with these labels on a platform, without duplicates (the first
   * route naming a channel decides its mention). The shell stands in for every platform.
   */
  route(labels: Readonly<Record<string, string>>, platform: string): RouteTarget[] {
    const matched: CompiledRoute[] = [];
    for (const route of this.routes) {
      if (!matchesAll(route.matchers, labels)) continue;
      matched.push(route);
      if (!route.continue) break;
    }
    if (matched.length === 0) matched.push(this.fallback);
    const critical = labels.severity === 'critical';
    const targets = new Map<string, RouteTarget>();
    for (const route of matched) {
      if (platform !== 'shell' && route.platforms.length > 0 && !route.platforms.includes(platform)) continue;
      for (const channel of route.channels) {
        if (targets.has(channel)) continue;
        const target: RouteTarget = { channel };
        const mention = critical && route.mention ? this.resolve(route.mention) : '';
        if (mention) target.mention = mention;
        targets.set(channel, target);
      }
    }
    return [...targets.values()];
  }

  /** The mention with each `oncall:<team>` replaced by whoever is on call there now. */
  private resolve(mention: string): string {
    return mention
      .replace(ONCALL_MENTION, (_, team: string) => {
        return this.oncall?.(team) ?? '';
      })
      .replace(/\s+/g, ' ')
      .trim();
  }
}

function compile(route: Omit<AlertRoute, 'mention'> & { mention?: string | undefined }): CompiledRoute {
  const matchers: Matcher[] = [];
  for (const text of route.matchers) {
    const parsed = parseMatchers(text);
    // The config schema has validated them; a failure here is a bug, not a user error.
    if ('error' in parsed) throw new Error(`alerts route matcher ${JSON.stringify(text)}: ${parsed.error}`);
    matchers.push(...parsed.matchers);
  }
  const compiled: CompiledRoute = {
    matchers,
    channels: route.channels,
    platforms: route.platforms,
    continue: route.continue,
  };
  if (route.mention) compiled.mention = route.mention;
  return compiled;
}
