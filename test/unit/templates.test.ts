// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${name} is the template placeholder syntax under test
import { describe, expect, it } from 'vitest';
import { putSubscriptionBodySchema } from '../../shared/api/subscription-schemas.ts';
import { BUILTIN_TEMPLATES } from '../../shared/domain/builtin-templates.ts';
import { inputSchema } from '../../shared/domain/definition-schema.ts';
import { SkeinError } from '../../shared/domain/problems.ts';
import { findTemplate, instantiateTemplate, placeholdersOf } from '../../shared/domain/templates.ts';
import { triggerBodySchema } from '../../shared/domain/trigger-spec.ts';
import { validateDefinition } from '../../shared/domain/validate.ts';

/** Values for every variable without a default (the required ones). */
const REQUIRED: Record<string, Record<string, unknown>> = {
  'scheduled-report': { email: 'ops@example.com' },
};

/** Given values other than the defaults, one set per template. */
const GIVEN: Record<string, Record<string, unknown>> = {
  'nightly-etl': {
    sourceUrl: 'https://data.example.org/rows',
    targetUrl: 'https://warehouse.example.org/load',
    schedule: '30 1 * * 1-5',
    timezone: 'Europe/Paris',
    maxAttempts: 7,
  },
  approval: { approvalTimeout: '8h', onApprovedUrl: 'https://erp.example.org/approved' },
  'fan-out-map': { itemUrl: 'https://api.example.org/items', method: 'PUT', maxConcurrency: 25 },
  'scheduled-report': {
    reportUrl: 'https://metrics.example.org/week',
    title: 'Sales',
    email: 'sales@example.org',
    schedule: '0 7 * * 1',
    timezone: 'America/New_York',
  },
  'webhook-to-workflow': { targetUrl: 'https://bus.example.org/in', kindField: 'action', github: true },
};

function refusal(act: () => unknown): SkeinError {
  try {
    act();
  } catch (error) {
    if (error instanceof SkeinError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('the built-in templates', () => {
  it('include ETL, approval, map fan-out, scheduled report and webhook templates', () => {
    // Assess
    expect(BUILTIN_TEMPLATES.map((t) => t.id)).toEqual([
      'nightly-etl',
      'approval',
      'fan-out-map',
      'scheduled-report',
      'webhook-to-workflow',
    ]);
    const types = (id: string) =>
      Object.values(
        findTemplate(BUILTIN_TEMPLATES, id).definition.nodes as Record<string, { type: string }>,
      ).map((node) => node.type);
    expect(types('approval')).toContain('callback');
    expect(types('fan-out-map')).toContain('map');
    expect(findTemplate(BUILTIN_TEMPLATES, 'nightly-etl').triggers?.[0]?.body.type).toBe('cron');
    expect(findTemplate(BUILTIN_TEMPLATES, 'webhook-to-workflow').triggers?.[0]?.body.type).toBe('webhook');
    expect(findTemplate(BUILTIN_TEMPLATES, 'scheduled-report').subscriptions?.[0]?.body).toMatchObject({
      endpoint: { kind: 'email' },
    });
  });

  it.each(BUILTIN_TEMPLATES.map((t) => [t.id, t] as const))(
    '%s declares its variables like run inputs and every placeholder it uses',
    (_id, template) => {
      // Act
      const used = placeholdersOf([template.definition, template.triggers, template.subscriptions]);
      // Assess
      for (const variable of Object.values(template.variables))
        expect(inputSchema.safeParse(variable).success).toBe(true);
      expect([...used].filter((name) => name !== 'workflow' && !(name in template.variables))).toEqual([]);
      expect(Object.keys(template.variables).filter((name) => !used.has(name))).toEqual([]);
    },
  );

  it.each(BUILTIN_TEMPLATES.map((t) => [t.id, t] as const))(
    '%s gives a valid definition with its defaults',
    (id, template) => {
      // Act
      const instance = instantiateTemplate(template, { variables: REQUIRED[id] ?? {} });
      // Assess
      expect(validateDefinition(instance.definition).errors).toEqual([]);
      expect(instance.definition).toMatchObject({ id, version: '1.0.0' });
      for (const [name, variable] of Object.entries(template.variables)) {
        if (variable.default !== undefined) expect(instance.variables[name]).toEqual(variable.default);
      }
      expect(JSON.stringify(instance)).not.toMatch(/\$\{[A-Za-z_]\w*\}/);
    },
  );

  it.each(BUILTIN_TEMPLATES.map((t) => [t.id, t] as const))(
    '%s gives a valid definition with given values',
    (id, template) => {
      // Prepare
      const given = GIVEN[id] ?? {};
      // Act
      const instance = instantiateTemplate(template, {
        workflow: 'my-flow',
        version: '2.1.0',
        variables: given,
      });
      // Assess
      expect(validateDefinition(instance.definition).errors).toEqual([]);
      expect(instance.definition).toMatchObject({ id: 'my-flow', version: '2.1.0' });
      expect(instance.variables).toMatchObject(given);
      const text = JSON.stringify(instance);
      for (const value of Object.values(given)) if (typeof value === 'string') expect(text).toContain(value);
      const declared = Object.entries(instance.definition.triggers ?? {});
      expect(declared).toHaveLength(template.triggers?.length ?? 0);
      for (const [id, trigger] of declared) {
        expect(id.startsWith('my-flow-')).toBe(true);
        expect(triggerBodySchema.safeParse({ ...trigger, workflow: 'my-flow' }).error).toBeUndefined();
      }
      for (const subscription of instance.subscriptions) {
        expect(putSubscriptionBodySchema.safeParse(subscription.body).error).toBeUndefined();
        expect(subscription.id.startsWith('my-flow-')).toBe(true);
        expect(JSON.stringify(subscription.body)).toContain('my-flow');
      }
    },
  );
});

describe('instantiateTemplate', () => {
  const fanOut = findTemplate(BUILTIN_TEMPLATES, 'fan-out-map');

  it('keeps the type of a variable that is a whole value', () => {
    // Act
    const { definition } = instantiateTemplate(fanOut, { variables: { maxConcurrency: 3 } });
    // Assess
    expect((definition.nodes as Record<string, { maxConcurrency?: unknown }>).each?.maxConcurrency).toBe(3);
    expect(definition.description).toBe(
      'Sends every item of $inputs.items to https://example.com/items, 3 at a time.',
    );
  });

  it.each([
    [{ maxConcurrency: 'ten' }, '$.variables.maxConcurrency', 'expected integer, got string "ten"'],
    [{ method: 'GET' }, '$.variables.method', 'expected one of "POST", "PUT", "PATCH"; got "GET"'],
    [{ mehtod: 'PUT' }, '$.variables.mehtod', 'unknown variable "mehtod"; did you mean "method"?'],
    [
      { maxConcurrency: 5000 },
      '$.variables.maxConcurrency',
      'makes the definition invalid at $.nodes.each.maxConcurrency',
    ],
    [
      { itemUrl: 'not a url' },
      '$.variables.itemUrl',
      'at $.nodes.each.node.with.url: expected an absolute http(s) URL',
    ],
  ])('refuses %j with INVALID_VARIABLES at the variable', (variables, path, message) => {
    // Act
    const error = refusal(() => instantiateTemplate(fanOut, { variables }));
    // Assess
    expect(error).toMatchObject({ code: 'INVALID_VARIABLES', kind: 'unprocessable', path });
    expect(error.message).toContain(message);
  });

  it('reports a missing required variable and every other problem at once', () => {
    // Act
    const error = refusal(() =>
      instantiateTemplate(findTemplate(BUILTIN_TEMPLATES, 'scheduled-report'), {
        variables: { timezone: 3 },
      }),
    );
    // Assess
    expect(error.path).toBe('$.variables.email');
    expect(error.message).toContain('missing required variable "email" (string)');
    expect(error.details).toEqual([
      expect.objectContaining({ path: '$.variables.email' }),
      expect.objectContaining({ path: '$.variables.timezone', message: 'expected string, got number 3' }),
    ]);
  });

  it('blames a variable that breaks a suggested trigger or subscription', () => {
    // Prepare
    const etl = findTemplate(BUILTIN_TEMPLATES, 'nightly-etl');
    const report = findTemplate(BUILTIN_TEMPLATES, 'scheduled-report');
    // Act
    const schedule = refusal(() => instantiateTemplate(etl, { variables: { schedule: 'nightly' } }));
    const zone = refusal(() => instantiateTemplate(etl, { variables: { timezone: 'Mars/Olympus' } }));
    const email = refusal(() => instantiateTemplate(report, { variables: { email: 'nobody' } }));
    // Assess
    expect(schedule.path).toBe('$.variables.schedule');
    expect(schedule.message).toContain('$.triggers[0].body.schedule');
    expect(zone.path).toBe('$.variables.timezone');
    expect(email.path).toBe('$.variables.email');
    expect(email.message).toContain('expected an e-mail address');
  });

  it('replaces only declared names, and $${name} stays as ${name}', () => {
    // Prepare
    const template = {
      ...fanOut,
      definition: {
        description: 'to ${itemUrl}, not $${itemUrl}',
        nodes: { a: { type: 'script', language: 'js', code: 'return `${inputs.x}${other}`;' } },
      },
    };
    // Act
    const { definition } = instantiateTemplate(template, {});
    // Assess
    expect(definition.description).toBe('to https://example.com/items, not ${itemUrl}');
    expect((definition.nodes as Record<string, { code?: string }>).a?.code).toBe(
      'return `${inputs.x}${other}`;',
    );
  });

  it('refuses a bad workflow id or version with their own codes and paths', () => {
    // Act
    const id = refusal(() => instantiateTemplate(fanOut, { workflow: 'My Flow' }));
    const version = refusal(() => instantiateTemplate(fanOut, { version: 'v1' }));
    // Assess
    expect(id).toMatchObject({ code: 'INVALID_WORKFLOW_ID', kind: 'invalid', path: '$.workflow' });
    expect(version).toMatchObject({ code: 'INVALID_VERSION', kind: 'invalid', path: '$.version' });
  });

  it('answers TEMPLATE_NOT_FOUND with the ids there are', () => {
    // Act
    const error = refusal(() => findTemplate(BUILTIN_TEMPLATES, 'aproval'));
    // Assess
    expect(error).toMatchObject({ code: 'TEMPLATE_NOT_FOUND', kind: 'not_found' });
    expect(error.message).toContain('did you mean "approval"?');
  });
});
