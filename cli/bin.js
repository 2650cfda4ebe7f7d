#!/usr/bin/env node
// The `skein` command. The CLI is TypeScript: help and the commands that only read files or call
// an API run from a bundle built on demand (`bundle.mjs`, cached in .cache/cli and rebuilt when a
// source changes); the others, or all of them when the bundle cannot be built, run through tsx, so
// `npx skein` works right after `npm ci` with no build step.
import { bundleEntry } from './bundle.mjs';

const entry = await bundleEntry(process.argv.slice(2));
if (entry) {
  await import(entry);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./main.ts');
}
