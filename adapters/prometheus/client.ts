/**
 * The Prometheus HTTP API v1 (instant queries) over fetch, with a timeout per request; the answer
 * is checked with a schema before anything reads it. VictoriaMetrics serves the same API. The
 * bearer token goes in the Authorization header only: no message, error or log line carries it,
 * and the URL shown drops any user:password in it.
 */
import { z } from 'zod';
import { parseDuration } from '../../src/duration.js';
import type { MetricsEndpointConfig } from '../../src/prometheus/config-schema.js';
import { parseLabelMatchers } from '../../src/prometheus/matchers.js';
import {
  type ClusterMetrics,
  PrometheusError,
  type PrometheusQuery,
  type Sample,
} from '../../src/prometheus/query.js';

export interface PrometheusClientOptions {
  url: string;
  bearerToken?: string | undefined;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** A sample value as the API writes it: a string, with NaN and ±Inf spelt Go's way. */
const sampleValue = z.tuple([z.number(), z.string()]);

const answerSchema = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('success'),
    data: z.object({
      resultType: z.string(),
      result: z.unknown(),
    }),
  }),
  z.object({
    status: z.literal('error'),
    errorType: z.string().optional(),
    error: z.string().optional(),
  }),
]);

const vectorSchema = z.array(
  z.object({
    metric: z.record(z.string(), z.string()),
    value: sampleValue,
  }),
);

function parseValue(text: string): number {
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  if (text === 'NaN') return Number.NaN;
  const value = Number(text);
  if (text.trim() === '' || Number.isNaN(value)) throw new Error(`"${text.slice(0, 40)}" is not a number`);
  return value;
}

/** The URL as it may be shown: without user:password, query or trailing slashes. */
export function displayUrl(url: string): string {
  const parsed = new URL(url);
  parsed.username = '';
  parsed.password = '';
  parsed.search = '';
  parsed.hash = '';
  return parsed.toString().replace(/\/+$/, '');
}

export class PrometheusClient implements PrometheusQuery {
  readonly url: string;
  private readonly base: string;
  private readonly bearerToken: string | undefined;
  private readonly basic: string | undefined;
  private readonly timeoutMs: number;
  private readonly fetch: typeof fetch;

  constructor(options: PrometheusClientOptions) {
    // fetch refuses a URL with user:password in it (and would name it in the error): those go in
    // a Basic Authorization header instead, unless a bearer token is configured.
    const parsed = new URL(options.url);
    if (parsed.username || parsed.password) {
      this.basic = Buffer.from(
        `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`,
      ).toString('base64');
      parsed.username = '';
      parsed.password = '';
    }
    this.base = parsed.toString().replace(/\/+$/, '');
    this.url = displayUrl(options.url);
    this.bearerToken = options.bearerToken;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.fetch = options.fetch ?? fetch;
  }

  async instant(query: string): Promise<Sample[]> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.bearerToken) headers.authorization = `Bearer ${this.bearerToken}`;
    else if (this.basic) headers.authorization = `Basic ${this.basic}`;
    let response: Response;
    try {
      response = await this.fetch(`${this.base}/api/v1/query?query=${encodeURIComponent(query)}`, {
        headers,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const why =
        (error as Error).name === 'TimeoutError'
          ? `no answer within ${this.timeoutMs} ms`
          : (cause?.code ?? cause?.message ?? (error as Error).message);
      throw new PrometheusError(`The metrics endpoint ${this.url} is unreachable: ${why}.`);
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const answer = answerSchema.safeParse(body);
    if (!answer.success) {
      // 401/403 and proxies answer without the API's JSON: the status says enough.
      throw new PrometheusError(
        response.ok
          ? `The metrics endpoint ${this.url} did not answer as the Prometheus API does (HTTP ${response.status}).`
          : `The metrics endpoint ${this.url} refused the query (HTTP ${response.status}).`,
        response.status,
      );
    }
    if (answer.data.status === 'error')
      throw new PrometheusError(
        `The metrics endpoint ${this.url} refused the query (HTTP ${response.status}, ${answer.data.errorType ?? 'error'}): ${(answer.data.error ?? '').slice(0, 300)}`,
        response.status,
      );
    if (answer.data.data.resultType !== 'vector')
      throw new PrometheusError(
        `The metrics endpoint ${this.url} answered a ${answer.data.data.resultType}, not an instant vector.`,
      );
    const vector = vectorSchema.safeParse(answer.data.data.result);
    if (!vector.success)
      throw new PrometheusError(`The metrics endpoint ${this.url} answered a vector coxswain cannot read.`);
    try {
      return vector.data.map((s) => ({ labels: s.metric, value: parseValue(s.value[1]) }));
    } catch (error) {
      throw new PrometheusError(
        `The metrics endpoint ${this.url} answered a sample coxswain cannot read: ${(error as Error).message}.`,
      );
    }
  }
}

/** The cluster's metrics client, when `clusters[].metrics` configures one. */
export function clusterMetrics(endpoint: MetricsEndpointConfig | undefined): ClusterMetrics | undefined {
  if (!endpoint) return undefined;
  return {
    query: new PrometheusClient({
      url: endpoint.url,
      bearerToken: endpoint.bearerToken,
      timeoutMs: parseDuration(endpoint.timeout) ?? 5000,
    }),
    // The schema accepted only parseable matchers.
    matchers: endpoint.matchers ? (parseLabelMatchers(endpoint.matchers) ?? []) : [],
  };
}
