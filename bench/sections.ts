// Sections of a results file that one benchmark owns, so benchmarks that share bench/RESULTS.md
// rewrite only their own part.

const start = (name: string) => `<!-- ${name}: written by its benchmark -->`;
const end = (name: string) => `<!-- /${name} -->`;

/** `text` with the section `name` set to `body` (appended when it is not there yet). */
export function replaceSection(text: string, name: string, body: string): string {
  const block = `${start(name)}\n${body}\n${end(name)}`;
  const from = text.indexOf(start(name));
  const to = text.indexOf(end(name));
  if (from < 0 || to < from) return `${text.trimEnd()}\n\n${block}\n`;
  return `${text.slice(0, from)}${block}${text.slice(to + end(name).length)}`;
}
