import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import type { Clock } from '../../ports/clock.ts';
import { SECRET_NAME, type Secrets } from '../../ports/secrets.ts';

export interface SsmSecretsOptions {
  readonly client: SSMClient;
  /** Parameter path of the deployment's secrets, ending in `/`: `/skein/<stage>/`. */
  readonly prefix: string;
  readonly clock: Clock;
  /** How long a value (or its absence) is kept per worker. @default 300_000 */
  readonly ttlMs?: number;
}

/**
 * Secrets in SSM Parameter Store: tenant `t`'s secret `name` is the SecureString (or String)
 * parameter `<prefix><t>/<name>`, read with decryption and kept per worker for `ttlMs`, so a
 * busy worker reads each secret once in five minutes. A missing parameter is an absent secret.
 * @example new SsmSecrets({ client: new SSMClient({}), prefix: '/skein/prod/', clock: systemClock })
 */
export class SsmSecrets implements Secrets {
  private readonly cache = new Map<string, { readonly value: string | undefined; readonly until: number }>();

  constructor(private readonly options: SsmSecretsOptions) {}

  async get(tenant: string, name: string): Promise<string | undefined> {
    if (!SECRET_NAME.test(name)) return undefined;
    const key = `${this.options.prefix}${tenant}/${name}`;
    const now = this.options.clock.now();
    const cached = this.cache.get(key);
    if (cached && cached.until > now) return cached.value;
    let value: string | undefined;
    try {
      const out = await this.options.client.send(
        new GetParameterCommand({ Name: key, WithDecryption: true }),
      );
      value = out.Parameter?.Value;
    } catch (error) {
      if ((error as { name?: string }).name !== 'ParameterNotFound') throw error;
    }
    this.cache.set(key, { value, until: now + (this.options.ttlMs ?? 300_000) });
    return value;
  }
}
