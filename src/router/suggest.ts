/** "Did you mean": the closest known word within a small edit distance. */
import { distance } from 'fastest-levenshtein';

export function closest(word: string, candidates: readonly string[]): string | undefined {
  // Long inputs are not typos of short command names; skip the work (and the 100 KB line).
  if (word.length > 64) return undefined;
  const limit = Math.max(2, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const d = candidate.startsWith(word) && word.length >= 2 ? 0.5 : distance(word, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= limit ? best : undefined;
}
