import { describe, expect, it } from 'vitest';
import { autocompleteDescription } from '../../../adapters/chat/mattermost/autocomplete.js';
import { allGroups } from '../../../commands/index.js';
import { commandPath } from '../../../src/router/spec.js';

describe('Mattermost autocomplete description', () => {
  const description = autocompleteDescription('/ops', allGroups());

  it('names every command within the 1024 characters Mattermost keeps, none cut off', () => {
    expect(description.length).toBeLessThanOrEqual(1024);
    expect(description.endsWith('…')).toBe(false);
    for (const group of allGroups())
      for (const spec of group.commands) expect(description).toContain(commandPath(spec));
  });

  it('keeps positionals and required flags, leaves optional flags to help', () => {
    expect(description).toContain('drill run <drill>');
    expect(description).toContain('scale <deployment> --replicas N');
    expect(description).not.toContain('[--cluster C]');
  });
});
