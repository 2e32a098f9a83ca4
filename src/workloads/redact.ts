/**
 * Masks what looks like a credential in log text before it reaches chat: authorization headers,
 * `password=`/`token:` style pairs, JWTs and PEM private keys. A best effort on free text, not a
 * guarantee; it keeps the rest of each line so the log stays useful.
 */
const RULES: [RegExp, string][] = [
  [
    /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g,
    '[redacted private key]',
  ],
  [/\b(authorization\s*[:=]\s*"?(?:bearer|basic|token)\s+)[^\s"',;]+/gi, '$1[redacted]'],
  [
    /\b((?:password|passwd|pwd|secret|client[_-]?secret|token|api[_-]?key|access[_-]?key|secret[_-]?key)"?'?\s*[:=]\s*"?'?)[^\s"'&,;}]+/gi,
    '$1[redacted]',
  ],
  [/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, '[redacted token]'],
  // Credentials in URLs: scheme://user:password@host.
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)[^\s@/]+@/gi, '$1[redacted]@'],
];

export function redactSecrets(text: string): string {
  return RULES.reduce((out, [pattern, replacement]) => out.replace(pattern, replacement), text);
}
