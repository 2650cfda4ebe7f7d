/** A small hyperscript: elements built from a tag, attributes and children; text is never parsed as HTML. */
type Child = Node | string | number | false | null | undefined;
type Attrs = Record<string, string | number | boolean | EventListener | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') element.addEventListener(name.replace(/^on/, ''), value);
    else if (value === true) element.setAttribute(name, '');
    else element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

export function append(parent: Node, children: (Child | Child[])[]): void {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

const SVG = 'http://www.w3.org/2000/svg';

export function svg(
  tag: string,
  attrs: Record<string, string | number> = {},
  ...children: Node[]
): SVGElement {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) element.setAttribute(name, String(value));
  for (const child of children) element.appendChild(child);
  return element;
}

/** Replaces the children of `parent`. */
export function mount(parent: Element, ...children: (Child | Child[])[]): void {
  parent.replaceChildren();
  append(parent, children);
}

/** A status pill (coloured by the stylesheet's `.s-<STATUS>`). */
export function pill(status: string): HTMLSpanElement {
  return h('span', { class: `pill s-${status}`, 'data-status': status }, status);
}

/** "3.2 s", "1 min 4 s" between two ISO times (or until now). */
export function duration(from?: string, to?: string): string {
  if (!from) return '';
  const ms = (to ? Date.parse(to) : Date.now()) - Date.parse(from);
  if (!Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function when(iso?: string): string {
  return iso ? new Date(iso).toLocaleString() : '';
}

/** A JSON value as indented text, for `<pre>`. */
export function json(value: unknown): string {
  return value === undefined ? '' : JSON.stringify(value, null, 2);
}

/** A message of an error for the page. */
export function errorBox(error: unknown): HTMLElement {
  return h('div', { class: 'error', role: 'alert' }, error instanceof Error ? error.message : String(error));
}
