import { describe, expect, it } from 'vitest';
import { MemoryDefinitionStore } from '../../shared/adapters/memory/definition-store.ts';
import { contractBreak, contractNeeds } from '../../shared/domain/contracts.ts';
import type { WorkflowDefinition } from '../../shared/domain/definition-schema.ts';
import { publishDefinition } from '../../shared/engine/publish-definition.ts';
import { FakeClock } from '../../shared/ports/clock.ts';
import { TENANT } from '../../shared/testing/workflow-harness.ts';
import { apiOnHarness } from './api-on-harness.ts';

const noop = { a: { type: 'noop' } };

/** billing's contract: outputs it declares, inputs it requires. */
const billing = (outputs: string[], inputs: Record<string, object> = {}) => ({
  inputs: { orderId: { type: 'number', required: true }, ...inputs },
  outputs: Object.fromEntries(outputs.map((name) => [name, 1])),
  nodes: noop,
});

/** A caller of billing ^1.2.0 through node `bill`. */
const caller = (reads: string, given: unknown = { orderId: 1 }, range = '^1.2.0') => ({
  outputs: { result: `{% ${reads} %}` },
  nodes: { bill: { type: 'workflow', workflow: 'billing', version: range, with: given } },
});

function setup() {
  const deps = { definitions: new MemoryDefinitionStore(), clock: new FakeClock() };
  const publish = (workflowId: string, version: string, body: unknown) =>
    publishDefinition(deps, { tenant: 't1', workflowId, version, body });
  return { deps, publish };
}

describe('contractNeeds', () => {
  const definition = (nodes: object, outputs: object = {}) =>
    ({
      outputs,
      nodes: { bill: { type: 'workflow', workflow: 'billing', version: '^1.0.0' }, ...nodes },
    }) as WorkflowDefinition;

  it('lists the output names read anywhere in the caller, and the keys of the node’s with', () => {
    // Prepare
    const caller = definition(
      {
        bill: {
          type: 'workflow',
          workflow: 'billing',
          version: '^1.0.0',
          with: { orderId: 1, region: 'eu' },
        },
        mail: {
          type: 'http',
          needs: ['bill'],
          with: { body: '{% $nodes.bill.output.total & " " & $nodes.bill.output.currency %}' },
        },
        gate: { type: 'condition', needs: ['bill'], if: '{% $nodes.bill.output.paid %}', then: ['mail'] },
      },
      { invoice: '{% $nodes.bill.output.invoice.id %}' },
    );

    // Act
    const needs = contractNeeds(caller, 'bill');

    // Assess
    expect(needs).toEqual({
      reads: ['currency', 'invoice', 'paid', 'total'],
      supplies: ['orderId', 'region'],
    });
  });

  it('reads the whole output when a caller uses it as a value, and supplies anything when with is computed', () => {
    // Prepare
    const caller = definition({
      bill: { type: 'workflow', workflow: 'billing', version: '^1.0.0', with: '{% $inputs %}' },
      keep: { type: 'noop', needs: ['bill'], with: { all: '{% $nodes.bill.output %}' } },
    });

    // Act / Assess
    expect(contractNeeds(caller, 'bill')).toEqual({ reads: ['*'], supplies: ['*'] });
  });
});

describe('contractBreak', () => {
  const v = (outputs: string[], inputs: Record<string, object> = {}) =>
    billing(outputs, inputs) as WorkflowDefinition;

  it('is a removed output the caller reads, or a new required input without a default it does not give', () => {
    const needs = { reads: ['total'], supplies: ['orderId'] };
    expect(contractBreak(needs, v(['total', 'currency']), v(['currency']))).toEqual({
      removedOutputs: ['total'],
      newRequiredInputs: [],
    });
    expect(
      contractBreak(needs, v(['total']), v(['total'], { region: { type: 'string', required: true } })),
    ).toEqual({
      removedOutputs: [],
      newRequiredInputs: ['region'],
    });
  });

  it('is nothing for an output nobody reads, an input with a default, or one the caller gives', () => {
    const needs = { reads: ['total'], supplies: ['orderId', 'region'] };
    expect(contractBreak(needs, v(['total', 'currency']), v(['total']))).toBeUndefined();
    expect(
      contractBreak(
        needs,
        v(['total']),
        v(['total'], { vat: { type: 'number', required: true, default: 0 } }),
      ),
    ).toBeUndefined();
    expect(
      contractBreak(needs, v(['total']), v(['total'], { region: { type: 'string', required: true } })),
    ).toBeUndefined();
  });
});

describe('publishing against the workflows a definition calls', () => {
  it('refuses a call of a workflow that does not exist, or a range no version satisfies (422)', async () => {
    // Prepare
    const { publish } = setup();
    await publish('billing', '2.0.0', billing(['total']));

    // Act
    const missing = publish('orders', '1.0.0', {
      nodes: { ship: { type: 'workflow', workflow: 'shipping', version: '^1.0.0' } },
    });
    const noMatch = publish('orders', '1.0.0', caller('$nodes.bill.output.total'));

    // Assess
    await expect(missing).rejects.toMatchObject({
      kind: 'unprocessable',
      code: 'UNRESOLVED_CALL',
      path: '$.nodes.ship.workflow',
      message: expect.stringContaining('calls workflow "shipping", which has no published version'),
    });
    await expect(noMatch).rejects.toMatchObject({
      code: 'UNRESOLVED_CALL',
      path: '$.nodes.bill.version',
      message: expect.stringContaining(
        'no published version of "billing" satisfies "^1.2.0" (published: 2.0.0)',
      ),
    });
  });

  it('refuses reading an output the picked version does not declare, and leaving out a required input', async () => {
    // Prepare
    const { publish } = setup();
    await publish('billing', '1.2.0', billing(['total']));

    // Act
    const refused = publish('orders', '1.0.0', caller('$nodes.bill.output.totl', {}));

    // Assess
    await expect(refused).rejects.toMatchObject({
      code: 'UNRESOLVED_CALL',
      details: [
        expect.objectContaining({
          message: expect.stringContaining(
            'reads an output billing@1.2.0 does not declare (it declares total)',
          ),
        }),
        expect.objectContaining({ path: '$.nodes.bill.with', message: expect.stringContaining('"orderId"') }),
      ],
    });
  });
});

describe('publishing a version that published callers would pick up', () => {
  async function published() {
    const context = setup();
    await context.publish('billing', '1.2.0', billing(['total', 'currency']));
    await context.publish('orders', '1.0.0', caller('$nodes.bill.output.total'));
    return context;
  }

  it('refuses removing an output a caller reads, with 409 CONTRACT_BREAK naming the caller, its range and the field', async () => {
    // Prepare
    const { publish } = await published();

    // Act
    const refused = publish('billing', '1.3.0', billing(['currency']));

    // Assess
    await expect(refused).rejects.toMatchObject({
      kind: 'conflict',
      code: 'CONTRACT_BREAK',
      message:
        'publishing 1.3.0 would break 1 caller(s): orders@1.0.0 (node "bill", range ^1.2.0) reads output "total", which this version removes',
      details: [
        {
          workflowId: 'orders',
          version: '1.0.0',
          nodeId: 'bill',
          range: '^1.2.0',
          removedOutputs: ['total'],
          newRequiredInputs: [],
        },
      ],
    });
  });

  it('refuses a new required input a caller does not give, and accepts it with a default', async () => {
    // Prepare
    const { publish } = await published();
    const region = (extra: object) =>
      billing(['total'], { region: { type: 'string', required: true, ...extra } });

    // Act
    const refused = publish('billing', '1.3.0', region({}));
    const accepted = await publish('billing', '1.3.0', region({ default: 'eu' }));

    // Assess
    await expect(refused).rejects.toMatchObject({
      code: 'CONTRACT_BREAK',
      details: [expect.objectContaining({ newRequiredInputs: ['region'] })],
    });
    expect(accepted.created).toBe(true);
  });

  it('accepts a break outside every caller’s range, and a change no caller sees', async () => {
    // Prepare
    const { publish } = await published();

    // Act
    const major = await publish('billing', '2.0.0', billing([]));
    const unread = await publish('billing', '1.3.0', billing(['total']));

    // Assess
    expect(major.created).toBe(true);
    expect(unread.created).toBe(true);
  });

  it('treats a caller that reads the whole output as reading every output', async () => {
    // Prepare
    const { publish } = setup();
    await publish('billing', '1.2.0', billing(['total', 'currency']));
    await publish('orders', '1.0.0', caller('$nodes.bill.output'));

    // Act / Assess
    await expect(publish('billing', '1.3.0', billing(['total']))).rejects.toMatchObject({
      code: 'CONTRACT_BREAK',
      details: [expect.objectContaining({ removedOutputs: ['currency'] })],
    });
  });
});

describe('the API on contracts', () => {
  it('lists a workflow’s callers, answers 409 with each broken caller, and 422 for an unknown callee', async () => {
    // Prepare
    const { call } = await apiOnHarness({ withEngine: false });
    const put = (workflow: string, version: string, body: unknown) =>
      call('PUT', `/v1/tenants/${TENANT}/workflows/${workflow}/versions/${version}`, body);
    await put('billing', '1.2.0', billing(['total']));
    await put('orders', '1.0.0', caller('$nodes.bill.output.total'));

    // Act
    const workflow = await call('GET', `/v1/tenants/${TENANT}/workflows/billing`);
    const breaking = await put('billing', '1.3.0', billing([]));
    const unknown = await put('audit', '1.0.0', {
      nodes: { x: { type: 'workflow', workflow: 'ledger', version: '^1.0.0' } },
    });

    // Assess
    expect(workflow.json.dependents).toEqual([
      { workflowId: 'orders', version: '1.0.0', nodeId: 'bill', range: '^1.2.0' },
    ]);
    expect(breaking.status).toBe(409);
    expect(breaking.json.error).toMatchObject({
      code: 'CONTRACT_BREAK',
      errors: [expect.objectContaining({ workflowId: 'orders', range: '^1.2.0', removedOutputs: ['total'] })],
    });
    expect(unknown.status).toBe(422);
    expect(unknown.json.error).toMatchObject({ code: 'UNRESOLVED_CALL', path: '$.nodes.x.workflow' });
  });
});

describe('a caller and a callee published at the same moment', () => {
  it('cannot both pass: the callee that would break the caller is refused whichever lands first', async () => {
    for (const order of ['caller first', 'callee first'] as const) {
      // Prepare
      const { deps, publish } = setup();
      await publish('billing', '1.2.0', billing(['total']));
      const callerPublish = () => publish('orders', '1.0.0', caller('$nodes.bill.output.total'));
      const calleePublish = () => publish('billing', '1.3.0', billing([]));

      // Act: both read before either writes
      const results = await Promise.allSettled(
        order === 'caller first' ? [callerPublish(), calleePublish()] : [calleePublish(), callerPublish()],
      );

      // Assess: exactly one of them is refused, and what is stored is consistent
      expect(
        results.filter((result) => result.status === 'rejected'),
        order,
      ).toHaveLength(1);
      const orders = await deps.definitions.getVersion('t1', 'orders', '1.0.0');
      const billing13 = await deps.definitions.getVersion('t1', 'billing', '1.3.0');
      expect(orders !== undefined && billing13 !== undefined, order).toBe(false);
    }
  });
});

describe('publishing a node type the deployment does not run', () => {
  const definition = {
    nodes: { a: { type: 'noop' }, pay: { type: 'stepfunctions', stateMachineArn: 'arn:m', needs: ['a'] } },
  };

  it('publishes with a warning, and refuses when strict', async () => {
    // Prepare
    const deps = {
      definitions: new MemoryDefinitionStore(),
      clock: new FakeClock(),
      nodeTypes: { types: ['noop', 'script'], where: 'this test deployment' },
    };
    const publish = (version: string, strict?: boolean) =>
      publishDefinition(deps, { tenant: 't1', workflowId: 'pay', version, body: definition, strict });

    // Act
    const refused = publish('1.0.0', true);
    const warned = await publish('1.0.0');

    // Assess
    await expect(refused).rejects.toMatchObject({
      kind: 'unprocessable',
      code: 'INVALID_DEFINITION',
      path: '$.nodes.pay.type',
      details: [expect.objectContaining({ code: 'NODE_TYPE_UNAVAILABLE' })],
    });
    expect(warned.created).toBe(true);
    expect(warned.warnings).toEqual([
      {
        code: 'NODE_TYPE_UNAVAILABLE',
        path: '$.nodes.pay.type',
        message:
          'node "pay" is a "stepfunctions" node, which this test deployment does not run (it runs noop, script); a run would fail there at this node',
      },
    ]);
  });

  it('answers the warnings through the API, and 422 with ?strict=true', async () => {
    // Prepare
    const { call } = await apiOnHarness({ withEngine: false });
    const path = `/v1/tenants/${TENANT}/workflows/pay/versions/1.0.0`;

    // Act
    const strict = await call('PUT', `${path}?strict=true`, definition);
    const lenient = await call('PUT', path, definition);
    const badQuery = await call('PUT', `${path}?strict=yes`, definition);

    // Assess
    expect(strict.status).toBe(422);
    expect(strict.json.error.errors[0]).toMatchObject({
      code: 'NODE_TYPE_UNAVAILABLE',
      path: '$.nodes.pay.type',
    });
    expect(lenient.status).toBe(201);
    expect(lenient.json.warnings).toEqual([expect.objectContaining({ code: 'NODE_TYPE_UNAVAILABLE' })]);
    expect(badQuery.status).toBe(400);
  });
});
