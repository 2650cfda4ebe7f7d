import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { startDynamoDbLocal } from '../../functions/local/dynamodb-local.ts';
import { startFauxqs } from '../../functions/local/fauxqs.ts';
import { isLoopback, listenAddresses } from '../setup/listeners.ts';

const portOf = (endpoint: string) => Number(new URL(endpoint).port);

describe('local stand-ins listen on loopback only', () => {
  it('binds DynamoDB Local to 127.0.0.1 (the shared test instance, started like npm start does)', () => {
    // Act
    const addresses = listenAddresses(portOf(inject('dynamoEndpoint')));

    // Assess
    expect(addresses.length).toBeGreaterThan(0);
    expect(addresses.filter((address) => !isLoopback(address))).toEqual([]);
  });

  it('binds fauxqs to 127.0.0.1', async () => {
    // Prepare
    const sqs = await startFauxqs();
    try {
      // Act
      const addresses = listenAddresses(sqs.port);

      // Assess
      expect(addresses).toEqual(['127.0.0.1']);
      expect(sqs.endpoint).toBe(`http://127.0.0.1:${sqs.port}`);
    } finally {
      await sqs.stop();
    }
  });

  it('falls back to the plain jar, saying it listens on every interface, on a Java without a compiler', async () => {
    // Prepare: a "java" that hides the jdk.compiler module, like a minimal JRE.
    const dir = mkdtempSync(join(tmpdir(), 'skein-jre-'));
    const javaPath = join(dir, 'java');
    writeFileSync(javaPath, '#!/bin/sh\nexec java --limit-modules java.se "$@"\n');
    chmodSync(javaPath, 0o755);
    const warnings: string[] = [];

    // Act
    const db = await startDynamoDbLocal({ javaPath, onWarning: (message) => warnings.push(message) });
    try {
      // Assess
      expect(db.loopbackOnly).toBe(false);
      expect(warnings).toEqual([expect.stringContaining('listens on every interface of this machine')]);
      expect(warnings[0]).toContain('jdk.compiler');
    } finally {
      await db.stop();
    }
  }, 60_000);
});
