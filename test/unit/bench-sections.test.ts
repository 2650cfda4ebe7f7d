import { describe, expect, it } from 'vitest';
import { replaceSection } from '../../bench/sections.ts';

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

  it('keeps what is around the section: hand-written text and other benchmarks’ sections', () => {
    // Prepare
    const text = replaceSection('## Chaos\n\nby hand\n', 'engine', '# Engine\n\nold');
    const withSandbox = replaceSection(text, 'sandbox', '## Sandbox\n\n| a |');

    // Act
    const rewritten = replaceSection(withSandbox, 'engine', '# Engine\n\nnew');

    // Assess
    expect(rewritten).toContain('## Chaos\n\nby hand');
    expect(rewritten).toContain('| a |');
    expect(rewritten).toContain('# Engine\n\nnew');
    expect(rewritten).not.toContain('old');
  });
});
