import { MemoryRunStore } from '../../shared/adapters/memory/run-store.ts';
import { controlCrashScenarios } from '../faults/controls-crash.scenarios.ts';
import { faultScenarios } from '../faults/faults.scenarios.ts';

faultScenarios(() => new MemoryRunStore());

controlCrashScenarios(() => new MemoryRunStore());
