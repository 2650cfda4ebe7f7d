import type { QuickJSContext, QuickJSHandle } from 'quickjs-emscripten';
import {
  type AttemptLogs,
  LINE_OVERHEAD_BYTES,
  LOG_LEVELS,
  LogCollector,
  MAX_LOG_BYTES,
} from '../ports/attempt-logs.ts';

/**
 * `console` for scripts in QuickJS: a trusted prelude, evaluated before the script, defines a
 * frozen `console` whose methods format their arguments (strings as they are, objects as JSON,
 * cycles as "[Circular]", what cannot be printed as "[unprintable value]") and keep the lines in
 * an array only the host holds a handle to: no host function is exposed to the script. The
 * prelude stops keeping lines once their characters pass the bound (a UTF-16 unit is at least one
 * byte of UTF-8), and the host bounds them again in bytes (`LogCollector`).
 */
const FORMATTER = `(state) => {
  const lines = state.lines;
  let used = 0;
  const TOO_BIG = {};
  const named = (e) => { try { return String(e.name) + ': ' + String(e.message); } catch { return '[unprintable error]'; } };
  const json = (value) => {
    const stack = [];
    let count = 0;
    return JSON.stringify(value, function (key, v) {
      if (++count > 10000) throw TOO_BIG;
      if (typeof v === 'bigint') return String(v) + 'n';
      if (typeof v === 'function') return '[Function' + (v.name ? ': ' + v.name : '') + ']';
      if (typeof v === 'symbol') return String(v);
      if (v instanceof Error) return named(v);
      if (v === null || typeof v !== 'object') return v;
      if (stack.length > 0) {
        const at = stack.indexOf(this);
        if (at === -1) stack.push(this); else stack.splice(at + 1);
        if (stack.indexOf(v) !== -1) return '[Circular]';
      } else stack.push(v);
      return v;
    });
  };
  const show = (v) => {
    try {
      if (typeof v === 'string') return v;
      if (v === undefined) return 'undefined';
      if (typeof v === 'bigint') return String(v) + 'n';
      if (typeof v === 'function') return '[Function' + (v.name ? ': ' + v.name : '') + ']';
      if (typeof v === 'symbol') return String(v);
      if (v instanceof Error) return named(v);
      if (v === null || typeof v !== 'object') return String(v);
      const text = json(v);
      return text === undefined ? String(v) : text;
    } catch (e) {
      return e === TOO_BIG ? '[value too large to print]' : '[unprintable value]';
    }
  };
  return (level, args) => {
    let message = args.map(show).join(' ');
    const room = ${MAX_LOG_BYTES} - used - ${LINE_OVERHEAD_BYTES};
    if (message.length > room) { message = message.slice(0, Math.max(0, room)); state.dropped = true; }
    used += message.length + ${LINE_OVERHEAD_BYTES};
    lines.push(JSON.stringify([Date.now(), level, message]));
  };
}`;

// Compiling the formatter costs about 0.4 ms of CPU per script, and a second evaluation about
// 0.15 ms; most scripts never print. So the host builds the state and hands the formatter's source
// as a string (nothing to parse), the prelude runs in the script's own evaluation, and the
// formatter is compiled on the first call. `eval` is taken before the script runs, so replacing
// it changes nothing.
const PRELUDE = `(() => {
  const { state, source } = globalThis.__skein_console;
  delete globalThis.__skein_console;
  const compile = eval;
  let write;
  const method = (level) => (...args) => {
    if (state.dropped) return;
    write ??= compile(source)(state);
    write(level, args);
  };
  globalThis.console = Object.freeze({
    log: method('log'), info: method('info'), warn: method('warn'), error: method('error'), debug: method('log'),
  });
})();`;

const LEVELS: ReadonlySet<string> = new Set(LOG_LEVELS);

/** The console's state in a context, and the source that defines `console` before the script. */
export interface ScriptConsole {
  /** `{ lines, dropped }`, read back by `readConsole`; dispose it. */
  readonly state: QuickJSHandle;
  /** To evaluate first, in the script's own evaluation. */
  readonly prelude: string;
}

/** Prepares `console` in `vm`: its state, and the prelude the script's evaluation starts with. */
export function installConsole(vm: QuickJSContext): ScriptConsole | undefined {
  let state: QuickJSHandle | undefined;
  try {
    state = vm.newObject();
    const lines = vm.newArray();
    vm.setProp(state, 'lines', lines);
    lines.dispose();
    vm.setProp(state, 'dropped', vm.false);
    const handoff = vm.newObject();
    vm.setProp(handoff, 'state', state);
    const source = vm.newString(FORMATTER);
    vm.setProp(handoff, 'source', source);
    source.dispose();
    vm.setProp(vm.global, '__skein_console', handoff);
    handoff.dispose();
    return { state, prelude: PRELUDE };
  } catch {
    // The context cannot even hold this (out of memory): the script runs without a console.
    state?.dispose();
    return undefined;
  }
}

/**
 * The lines the script printed, read without running any of its code (property reads only), so
 * it works after a stop or an error too. `undefined` when it printed nothing.
 */
export function readConsole(vm: QuickJSContext, state: QuickJSHandle | undefined): AttemptLogs | undefined {
  if (state === undefined) return undefined;
  const collector = new LogCollector(() => Date.now());
  const lines = vm.getProp(state, 'lines');
  const dropped = vm.getProp(state, 'dropped');
  try {
    const lengthHandle = vm.getProp(lines, 'length');
    const length = vm.getNumber(lengthHandle);
    lengthHandle.dispose();
    for (let index = 0; index < length; index++) {
      const line = vm.getProp(lines, index);
      // A script that replaced String.prototype.slice (or reached the array through a replaced
      // push) could leave a line of many MB: it must not be copied into the thread's small heap.
      const tooLong = vm.typeof(line) === 'string' && lengthOf(vm, line) > MAX_LINE_UNITS;
      const text = vm.typeof(line) === 'string' && !tooLong ? vm.getString(line) : '';
      line.dispose();
      if (tooLong) {
        collector.truncate();
        break;
      }
      const [at, level, message] = parseLine(text);
      if (!collector.add(level, message, at)) break;
    }
    if (vm.typeof(dropped) === 'boolean' && vm.dump(dropped) === true) collector.truncate();
  } catch {
    // The context is broken (out of memory): keep what was read.
  } finally {
    lines.dispose();
    dropped.dispose();
  }
  return collector.result();
}

/** The longest line the prelude can write: the bound, its JSON escapes (6 units each at most), the time and level. */
const MAX_LINE_UNITS = MAX_LOG_BYTES * 6 + 64;

function lengthOf(vm: QuickJSContext, text: QuickJSHandle): number {
  const length = vm.getProp(text, 'length');
  try {
    return vm.getNumber(length);
  } finally {
    length.dispose();
  }
}

function parseLine(text: string): [number | undefined, (typeof LOG_LEVELS)[number], string] {
  try {
    const [at, level, message] = JSON.parse(text) as [unknown, unknown, unknown];
    return [
      typeof at === 'number' && Number.isFinite(at) ? at : undefined,
      typeof level === 'string' && LEVELS.has(level) ? (level as (typeof LOG_LEVELS)[number]) : 'log',
      typeof message === 'string' ? message : String(message),
    ];
  } catch {
    return [undefined, 'log', text];
  }
}
