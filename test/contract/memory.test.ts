import { MemoryApiKeyStore } from '../../shared/adapters/memory/api-key-store.ts';
import { MemoryDefinitionStore } from '../../shared/adapters/memory/definition-store.ts';
import { describeApiKeyStoreContract } from './api-key-store.contract.ts';
import { describeDefinitionStoreContract } from './definition-store.contract.ts';

describeDefinitionStoreContract('memory', async () => new MemoryDefinitionStore());
describeApiKeyStoreContract('memory', async () => new MemoryApiKeyStore());
