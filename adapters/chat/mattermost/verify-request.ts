/**
 * Checks that a slash-command request came from Mattermost: its `token` form field (and, when
 * present, the `Authorization: Token …` header the server also sends) must equal one of the
 * tokens Mattermost generated when the bot registered the command, compared in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export class CommandTokens {
  private readonly digests = new Map<string, Buffer>();

  /** Remembers the token of the command registered in a team. */
  set(teamId: string, token: string): void {
    this.digests.set(teamId, digest(token));
  }

  get size(): number {
    return this.digests.size;
  }

  /** A reason to refuse, or undefined when the request carries a known token. */
  check(formToken: unknown, authorization: string | undefined): string | undefined {
    if (this.digests.size === 0) return 'no command is registered';
    if (typeof formToken !== 'string' || formToken === '') return 'missing token';
    const given = digest(formToken);
    let known = false;
    // Every stored token is compared, so the time taken does not say which one matched.
    for (const stored of this.digests.values()) if (timingSafeEqual(stored, given)) known = true;
    if (!known) return 'token mismatch';
    if (authorization !== undefined) {
      const header = /^Token\s+(.+)$/i.exec(authorization.trim());
      if (!header || !timingSafeEqual(digest(header[1] as string), given))
        return 'authorization header mismatch';
    }
    return undefined;
  }
}

// Hashing first gives equal-length buffers, which timingSafeEqual needs, whatever was sent.
function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
