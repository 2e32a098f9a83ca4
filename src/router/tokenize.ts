/**
 * Splits a command line into words the way a shell would for quotes, without any expansion.
 * Chat clients turn typed quotes into typographic ones, so those count as quotes too.
 */
const OPEN_TO_CLOSE: Record<string, string> = {
  '"': '"',
  "'": "'",
  '\u201c': '\u201d',
  '\u201d': '\u201d',
  '\u2018': '\u2019',
  '\u2019': '\u2019',
};

export type TokenizeResult = { words: string[] } | { error: string };

export function tokenize(line: string): TokenizeResult {
  const words: string[] = [];
  let current = '';
  let inWord = false;
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quote !== undefined) {
      if (c === quote || (quote === '"' && c === '\u201d')) {
        quote = undefined;
      } else if (c === '\\' && quote === '"' && (line[i + 1] === '"' || line[i + 1] === '\\')) {
        current += line[++i];
      } else {
        current += c;
      }
      continue;
    }
    if (/\s/.test(c)) {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
    } else if (c in OPEN_TO_CLOSE) {
      quote = OPEN_TO_CLOSE[c];
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      current += line[++i];
      inWord = true;
    } else {
      current += c;
      inWord = true;
    }
  }
  if (quote !== undefined) return { error: `a quote (${quote}) is not closed` };
  if (inWord) words.push(current);
  return { words };
}
