/** An in-memory ClusterReader (the port) for unit tests of the engine, summaries and rendering. */
import type { ClusterReader, KindSpec, KindState, KubeObject } from '../../../src/health/types.js';

export class MemoryReader implements ClusterReader {
  reads = 0;
  error: Error | undefined;
  /** Kind ids the account may not list. */
  forbidden = new Set<string>();
  constructor(
    readonly cluster: string,
    public objects: Record<string, KubeObject[]>,
  ) {}
  async read(kinds: readonly KindSpec[]): Promise<Map<string, KindState>> {
    this.reads++;
    if (this.error) throw this.error;
    return new Map(
      kinds.map((k): [string, KindState] => {
        if (this.forbidden.has(k.id))
          return [k.id, { served: false, forbidden: k.group ? `${k.plural}.${k.group}` : k.plural }];
        return [
          k.id,
          this.objects[k.id] ? { served: true, objects: this.objects[k.id] ?? [] } : { served: false },
        ];
      }),
    );
  }
  warm(): boolean {
    return this.reads > 0;
  }
  stop(): void {}
}
