/**
 * What Rocket.Chat shows for a message text, read by Rocket.Chat's own message parser
 * (@rocket.chat/message-parser: the package its server uses to turn `msg` into the `md` tree
 * that clients render). No server needed.
 */
import { parse, type Root } from '@rocket.chat/message-parser';

// As a Rocket.Chat server with every markup option on, except KaTeX's dollar syntax (off by
// default there; `$` is not markup for Mattermost either, so coxswain does not escape it).
export const PARSER_OPTIONS = {
  colors: true,
  emoticons: true,
  katex: { parenthesisSyntax: true, dollarSyntax: false },
};

/** Node types outside text must never become (coxswain's own bold and code spans are allowed). */
export const MARKUP = [
  'MENTION_USER',
  'MENTION_CHANNEL',
  'ITALIC',
  'STRIKE',
  'INLINE_CODE',
  'CODE',
  'INLINE_KATEX',
  'KATEX',
  'COLOR',
  'TIMESTAMP',
  'SPOILER',
  'IMAGE',
  'QUOTE',
  'HEADING',
  'UNORDERED_LIST',
  'ORDERED_LIST',
  'TASKS',
];

type Node = { type: string; value?: unknown; [key: string]: unknown };

export interface Shown {
  /** The visible text, zero-width spaces dropped (they show nothing). */
  text: string;
  /** Every node type in the tree. */
  types: string[];
  links: { src: string; label: string }[];
}

function walk(nodes: readonly Node[], seen: Shown): void {
  for (const node of nodes) {
    seen.types.push(node.type);
    switch (node.type) {
      case 'PLAIN_TEXT':
        seen.text += node.value as string;
        break;
      case 'LINK': {
        const value = node.value as { src: Node; label: Node[] };
        const label: Shown = { text: '', types: [], links: [] };
        walk(value.label, label);
        seen.links.push({ src: value.src.value as string, label: label.text });
        seen.text += label.text;
        break;
      }
      case 'INLINE_CODE':
        seen.text += (node.value as Node).value as string;
        break;
      case 'EMOJI': {
        // Shown as an emoji, as Mattermost shows them too: `:smile:`, `:)`, a Unicode emoji.
        const text = (node.value as Node | undefined)?.value as string | undefined;
        const shortCode = node.shortCode as string | undefined;
        if (node.unicode !== undefined) seen.text += node.unicode as string;
        else if (text !== undefined && text !== shortCode) seen.text += text;
        else seen.text += `:${shortCode}:`;
        break;
      }
      case 'LINE_BREAK':
        break;
      default:
        if (Array.isArray(node.value)) walk(node.value as Node[], seen);
        else seen.text += JSON.stringify(node.value);
    }
  }
}

export function shown(msg: string): Shown {
  const tree: Root = parse(msg, PARSER_OPTIONS);
  const seen: Shown = { text: '', types: [], links: [] };
  tree.forEach((block, index) => {
    if (index > 0 && block.type !== 'LINE_BREAK') seen.text += '\n';
    walk([block as unknown as Node], seen);
  });
  seen.text = seen.text.replace(/\u200b/g, '');
  return seen;
}

/** A link that shows where it goes: its text is its target (a bare domain `a.io` goes to `//a.io`). */
export function isHonest(link: { src: string; label: string }): boolean {
  const label = link.label.replace(/\u200b/g, '');
  return link.src === label || link.src === `//${label}`;
}
