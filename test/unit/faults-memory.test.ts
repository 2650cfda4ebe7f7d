import { MemoryRunStore } from '../../shared/adapters/memory/run-store.ts';
import { callbackFaultScenarios } from '../faults/callback-faults.scenarios.ts';
import { controlCrashScenarios } from '../faults/controls-crash.scenarios.ts';
import { faultScenarios } from '../faults/faults.scenarios.ts';
import { mapFaultScenarios } from '../faults/map-faults.scenarios.ts';

faultScenarios(() => new MemoryRunStore());

controlCrashScenarios(() => new MemoryRunStore());

callbackFaultScenarios(() => new MemoryRunStore());
mapFaultScenarios(() => new MemoryRunStore());
