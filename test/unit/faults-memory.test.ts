import { MemoryRunStore } from '../../shared/adapters/memory/run-store.ts';
import { faultScenarios } from '../faults/faults.scenarios.ts';

faultScenarios(() => new MemoryRunStore());
