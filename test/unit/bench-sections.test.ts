import { describe, expect, it } from 'vitest';
import { ownedSections, replaceSection } from '../../bench/sections.ts';

describe('replaceSection', () => {
  it('appends a section once, then rewrites only that section', () => {
    // Prepare
    const engine = '# Engine benchmark results\n\n| shape | ms |\n';

    // Act
    const first = replaceSection(engine, 'sandbox', '## Sandbox\n\nold');
    const second = replaceSection(first, 'sandbox', '## Sandbox\n\nnew');

    // Assess
    expect(second.startsWith(engine.trimEnd())).toBe(true);
    expect(second).toContain('## Sandbox\n\nnew');
    expect(second).not.toContain('old');
    expect(second.match(/<!-- sandbox: written by its benchmark -->/g)).toHaveLength(1);
  });
});

describe('ownedSections', () => {
  it('finds the sections other benchmarks wrote, so a rewrite of the rest keeps them', () => {
    // Prepare
    const text = replaceSection('# Engine\n\nfigures\n', 'sandbox', '## Sandbox\n\n| a |');

    // Act
    const kept = ownedSections(text);
    const rewritten = replaceSection(
      `# Engine\n\nnew figures\n\n${kept.join('\n')}`,
      'sandbox',
      '## Sandbox\n\n| b |',
    );

    // Assess
    expect(kept).toEqual([
      '<!-- sandbox: written by its benchmark -->\n## Sandbox\n\n| a |\n<!-- /sandbox -->',
    ]);
    expect(rewritten).toContain('new figures');
    expect(rewritten).toContain('| b |');
  });
});
