import { MemoryApiKeyStore } from '../../shared/adapters/memory/api-key-store.ts';
import { MemoryDefinitionStore } from '../../shared/adapters/memory/definition-store.ts';
import { MemoryRunStore } from '../../shared/adapters/memory/run-store.ts';
import { describeApiKeyStoreContract } from './api-key-store.contract.ts';
import { describeDefinitionStoreContract } from './definition-store.contract.ts';
import { describeRunStoreContract } from './run-store.contract.ts';
import { describeRunStoreConditionContract } from './run-store-conditions.contract.ts';
import { describeRunStoreSweepContract } from './run-store-sweep.contract.ts';

describeDefinitionStoreContract('memory', async () => new MemoryDefinitionStore());
describeApiKeyStoreContract('memory', async () => new MemoryApiKeyStore());
describeRunStoreContract('memory', async () => new MemoryRunStore());
describeRunStoreConditionContract('memory', async () => new MemoryRunStore());
describeRunStoreSweepContract('memory', async () => new MemoryRunStore());
