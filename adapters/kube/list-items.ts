/**
 * Parses a Kubernetes list response (`{"kind":…,"metadata":{…},"items":[{…},…]}`) as its bytes
 * arrive, handing over each item as soon as it is complete. A list of 5,000 pods is about 21 MB
 * of JSON in one response (resourceVersion=0 is answered from the watch cache, whatever the
 * limit): read whole, its text and every untrimmed pod were alive at once, and the heap V8 grew
 * for them stayed in the process's RSS after the informer had kept only the trimmed objects.
 * Here at most one item's bytes (and the chunk being read) are held besides what the caller keeps.
 *
 * The scanner follows strings and nesting byte by byte. Structural characters are ASCII and never
 * occur inside a multi-byte UTF-8 sequence, so chunk boundaries can fall anywhere; each item's
 * bytes are decoded and parsed once complete. Everything outside the top-level `items` array
 * (kind, apiVersion, metadata with resourceVersion and continue) is kept as text and parsed at
 * the end, with `items` emptied.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

export class ListItemsParser {
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** Inside the top-level `items` array. */
  private inItems = false;
  /** The bytes of the item being read, across chunks. */
  private item: Uint8Array[] = [];
  private itemStart = -1;
  /** The list without its items, as bytes. */
  private readonly rest: Uint8Array[] = [];
  private restStart = 0;
  /** The last string that began at depth 1 (a key of the list object), while it is read. */
  private key: number[] | undefined;
  private lastKey = '';

  constructor(private readonly onItem: (item: Record<string, unknown>) => void) {}

  /** Feeds the next chunk of the response body. */
  write(chunk: Uint8Array): void {
    this.restStart = 0;
    if (this.itemStart === -2) this.itemStart = 0; // an item continued from the last chunk
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i] as number;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (byte === BACKSLASH) this.escaped = true;
        else if (byte === QUOTE) {
          this.inString = false;
          if (this.key) {
            this.lastKey = String.fromCharCode(...this.key);
            this.key = undefined;
          }
          continue;
        }
        // Keys of the list object are short ASCII; anything longer is a value, not "items".
        if (this.key && this.key.length < 16) this.key.push(byte);
        continue;
      }
      if (byte === QUOTE) {
        this.inString = true;
        this.key = this.depth === 1 ? [] : undefined;
      } else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
        if (this.inItems && this.depth === 2 && byte === OPEN_OBJECT) this.itemStart = i;
        else if (this.depth === 1 && byte === OPEN_ARRAY && this.lastKey === 'items') {
          // Keep `[` in the rest; the items between it and `]` go to onItem.
          this.rest.push(chunk.slice(this.restStart, i + 1));
          this.inItems = true;
        }
        this.depth++;
      } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
        this.depth--;
        if (this.inItems && this.depth === 2 && byte === CLOSE_OBJECT) this.endItem(chunk, i);
        else if (this.inItems && this.depth === 1) {
          this.inItems = false;
          this.restStart = i;
        }
      }
    }
    if (this.itemStart >= 0) {
      // The item goes on in the next chunk. Copies, here and for the rest: a view would keep
      // the whole chunk alive.
      this.item.push(chunk.slice(this.itemStart));
      this.itemStart = -2;
    } else if (!this.inItems) this.rest.push(chunk.slice(this.restStart));
  }

  private endItem(chunk: Uint8Array, end: number): void {
    const start = this.itemStart === -2 ? 0 : this.itemStart;
    this.item.push(chunk.subarray(start, end + 1));
    const text = Buffer.concat(this.item).toString('utf8');
    this.item = [];
    this.itemStart = -1;
    this.onItem(JSON.parse(text) as Record<string, unknown>);
  }

  /** The list object without its items, once the body has ended. Throws on a truncated body. */
  end(): Record<string, unknown> {
    if (this.depth !== 0 || this.inString || this.inItems)
      throw new Error('the list response ended before its JSON did');
    return JSON.parse(Buffer.concat(this.rest).toString('utf8')) as Record<string, unknown>;
  }
}
