import { describe, expect, it } from 'vitest';
import { ENV } from '../../shared/config.ts';
import { logicalId, synthStack } from './helpers.ts';

const MODEL = 'anthropic.claude-3-haiku-20240307-v1:0';

describe('the api function and POST .../generate', () => {
  it('gets the ai models and bedrock:InvokeModel on exactly them with -c aiModels, nothing without', () => {
    // Prepare / Act
    const none = synthStack('prod');
    const some = synthStack('prod', { aiModels: [MODEL] });
    const apiOf = (synth: ReturnType<typeof synthStack>) => {
      const resources = synth.template.toJSON().Resources;
      const id = logicalId(synth.stack, synth.stack.api.handler);
      const role = resources[id].Properties.Role['Fn::GetAtt'][0] as string;
      // biome-ignore lint/suspicious/noExplicitAny: a CloudFormation resource's properties, read as JSON
      const statements = Object.values(resources as Record<string, { Type: string; Properties: any }>)
        .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles).includes(role))
        .flatMap((r) => r.Properties.PolicyDocument.Statement as { Action: unknown; Resource: unknown }[]);
      return {
        variables: resources[id].Properties.Environment.Variables as Record<string, unknown>,
        bedrock: statements.filter((s) => JSON.stringify(s.Action).includes('bedrock:')),
      };
    };
    // Assess
    expect(apiOf(none).variables[ENV.aiModels]).toBeUndefined();
    expect(apiOf(none).bedrock).toEqual([]);
    const api = apiOf(some);
    expect(api.variables[ENV.aiModels]).toBe(MODEL);
    expect(api.bedrock).toHaveLength(1);
    expect(api.bedrock[0]?.Action).toBe('bedrock:InvokeModel');
    expect(JSON.stringify(api.bedrock[0]?.Resource)).toContain(`::foundation-model/${MODEL}`);
  });
});
