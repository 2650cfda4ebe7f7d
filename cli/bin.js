#!/usr/bin/env node
// The `skein` command. The CLI is TypeScript run through tsx, so `npx skein` works right after
// `npm ci` with no build step.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
