import { describe, expect, it } from 'vitest';
import { parseLabelMatchers } from '../../../src/prometheus/matchers.js';
import { selector } from '../../../src/prometheus/query.js';

describe('label matchers of a metrics endpoint', () => {
  it('reads PromQL matchers as written, with or without braces, and puts them in a selector', () => {
    const matchers = parseLabelMatchers('{cluster="apps", env=~"prod|stage" , team!="a\\"b"}');
    expect(matchers).toEqual([
      { name: 'cluster', op: '=', literal: '"apps"' },
      { name: 'env', op: '=~', literal: '"prod|stage"' },
      { name: 'team', op: '!=', literal: '"a\\"b"' },
    ]);
    expect(selector('up', matchers ?? [])).toBe('up{cluster="apps", env=~"prod|stage", team!="a\\"b"}');
    expect(selector('up', [])).toBe('up');
  });

  it('refuses what is not a matcher list: unquoted values, a missing operator, nothing at all', () => {
    for (const bad of ['cluster=apps', 'cluster', '{cluster="apps"', 'cluster="apps" env="x"', '', '1a="x"'])
      expect(parseLabelMatchers(bad), bad).toBeUndefined();
  });
});
