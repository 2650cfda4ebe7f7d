// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${name} in these strings is a template variable, not a JS template literal
import type { WorkflowTemplate } from './templates.ts';

/**
 * The built-in templates of `GET /v1/templates` and `skein new --template`. `${name}` is a
 * variable (`${workflow}` the workflow id); `{% %}` is a JSONata expression evaluated at run
 * time, as everywhere in a definition. `test/unit/templates.test.ts` instantiates each with its
 * defaults and with given values, and checks every placeholder is declared.
 */

const url = (description: string, example: string) =>
  ({ type: 'string', default: example, description }) as const;
const schedule = (example: string) =>
  ({
    type: 'string',
    default: example,
    description: 'Cron schedule of the suggested trigger: five fields (minute hour day month weekday).',
  }) as const;
const timezone = { type: 'string', default: 'UTC', description: 'IANA time zone of the schedule.' } as const;

const nightlyEtl: WorkflowTemplate = {
  id: 'nightly-etl',
  title: 'Nightly ETL over HTTP',
  description:
    'Extracts records from an HTTP endpoint, transforms them in a script, loads them to another endpoint; a cron trigger runs it every night.',
  variables: {
    sourceUrl: url('Where the records are read (GET, JSON array).', 'https://example.com/export.json'),
    targetUrl: url('Where the transformed records are sent (POST).', 'https://example.com/import'),
    schedule: schedule('0 2 * * *'),
    timezone,
    maxAttempts: { type: 'integer', default: 3, description: 'Attempts of each HTTP call.' },
  },
  definition: {
    description: 'Nightly ETL: ${sourceUrl} → transform → ${targetUrl}.',
    inputs: {
      since: { type: 'string', description: 'The scheduled time of this run (the cron trigger passes it).' },
    },
    outputs: { loaded: '{% $nodes.transform.output.count %}' },
    defaults: {
      retry: { maxAttempts: '${maxAttempts}', backoff: 'exponential', initialDelay: '10s', maxDelay: '5m' },
      timeout: '5m',
    },
    nodes: {
      extract: { type: 'http', with: { method: 'GET', url: '${sourceUrl}' } },
      transform: {
        type: 'script',
        language: 'js',
        needs: ['extract'],
        with: { records: '{% $nodes.extract.output.body %}', since: '{% $inputs.since %}' },
        code: [
          'const rows = Array.isArray(inputs.records) ? inputs.records : [];',
          'return { count: rows.length, rows: rows.map((row) => ({ ...row, batch: inputs.since ?? ctx.runId })) };',
        ].join('\n'),
      },
      load: {
        type: 'http',
        needs: ['transform'],
        with: { method: 'POST', url: '${targetUrl}', body: '{% $nodes.transform.output.rows %}' },
      },
    },
  },
  triggers: [
    {
      id: '${workflow}-nightly',
      body: {
        type: 'cron',
        workflow: '${workflow}',
        schedule: '${schedule}',
        timezone: '${timezone}',
        overlap: 'skip',
        inputs: { since: '{% $inputs.scheduledAt %}' },
      },
    },
  ],
};

const approval: WorkflowTemplate = {
  id: 'approval',
  title: 'Approval with a callback',
  description:
    'Waits for a person to approve or reject (a callback node completed with {"approved": true|false}), then branches.',
  variables: {
    approvalTimeout: {
      type: 'string',
      default: '1d',
      description: 'How long to wait for the decision (a duration: 30m, 8h, 1d).',
    },
    onApprovedUrl: url('Called (POST) with the subject once approved.', 'https://example.com/approved'),
  },
  definition: {
    description: 'Asks for an approval of a subject; calls ${onApprovedUrl} when approved.',
    inputs: {
      subject: { type: 'string', required: true, description: 'What is to be approved.' },
      requester: { type: 'string', default: 'someone', description: 'Who asks.' },
    },
    outputs: { approved: '{% $nodes.approve.output.approved = true %}' },
    nodes: {
      approve: {
        type: 'callback',
        timeout: '${approvalTimeout}',
        description:
          'Complete with POST .../runs/{run}/nodes/approve/complete {"token": ..., "output": {"approved": true}}, or `skein complete RUN approve --token T --output \'{"approved":true}\'`.',
      },
      decide: {
        type: 'condition',
        needs: ['approve'],
        if: '{% $nodes.approve.output.approved = true %}',
        then: ['approved'],
        else: ['rejected'],
      },
      approved: {
        type: 'http',
        needs: ['decide'],
        with: {
          method: 'POST',
          url: '${onApprovedUrl}',
          body: '{% {"subject": $inputs.subject, "requester": $inputs.requester} %}',
        },
      },
      rejected: { type: 'noop', needs: ['decide'] },
    },
  },
};

const fanOut: WorkflowTemplate = {
  id: 'fan-out-map',
  title: 'Fan-out over a list with map',
  description:
    'Sends each item of a list to an HTTP endpoint, a bounded number at a time, and collects the answers in order.',
  variables: {
    itemUrl: url('Called once per item, with the item as the body.', 'https://example.com/items'),
    method: { type: 'string', enum: ['POST', 'PUT', 'PATCH'], default: 'POST', description: 'HTTP method.' },
    maxConcurrency: { type: 'integer', default: 10, description: 'Items in flight at once (1 to 1000).' },
  },
  definition: {
    description: 'Sends every item of $inputs.items to ${itemUrl}, ${maxConcurrency} at a time.',
    inputs: { items: { type: 'array', required: true, description: 'The items (at most 10,000).' } },
    outputs: { statuses: '{% $nodes.each.output.status %}' },
    nodes: {
      each: {
        type: 'map',
        items: '{% $inputs.items %}',
        maxConcurrency: '${maxConcurrency}',
        node: {
          type: 'http',
          retry: { maxAttempts: 3, backoff: 'exponential' },
          with: { method: '${method}', url: '${itemUrl}', body: '{% $item %}' },
        },
      },
      summary: {
        type: 'script',
        language: 'js',
        needs: ['each'],
        with: { results: '{% $nodes.each.output %}' },
        code: 'const results = [].concat(inputs.results ?? []);\nreturn { sent: results.length };',
      },
    },
  },
};

const scheduledReport: WorkflowTemplate = {
  id: 'scheduled-report',
  title: 'Scheduled report with an e-mail subscription',
  description:
    'Reads figures from an HTTP endpoint on a schedule and turns them into a report; an e-mail subscription sends the run’s end (with its outputs) to a person.',
  variables: {
    reportUrl: url('Where the figures are read (GET, JSON).', 'https://example.com/metrics'),
    title: { type: 'string', default: 'Weekly report', description: 'The report’s title.' },
    email: {
      type: 'string',
      required: true,
      description: 'Who gets the report (the suggested subscription).',
    },
    schedule: schedule('0 8 * * 1'),
    timezone,
  },
  definition: {
    description: '${title}: reads ${reportUrl} on a schedule.',
    outputs: { report: '{% $nodes.report.output %}' },
    nodes: {
      figures: { type: 'http', with: { method: 'GET', url: '${reportUrl}' } },
      report: {
        type: 'script',
        language: 'js',
        needs: ['figures'],
        with: { title: '${title}', figures: '{% $nodes.figures.output.body %}' },
        code: [
          'const lines = Object.entries(inputs.figures ?? {}).map(([name, value]) => name + ": " + JSON.stringify(value));',
          'return { title: inputs.title, text: [inputs.title, ...lines].join("\\n") };',
        ].join('\n'),
      },
    },
  },
  triggers: [
    {
      id: '${workflow}-schedule',
      body: { type: 'cron', workflow: '${workflow}', schedule: '${schedule}', timezone: '${timezone}' },
    },
  ],
  subscriptions: [
    {
      id: '${workflow}-mail',
      body: {
        endpoint: { kind: 'email', address: '${email}' },
        filter: { workflows: ['${workflow}'], types: ['run.succeeded', 'run.failed'] },
      },
    },
  ],
};

const webhook: WorkflowTemplate = {
  id: 'webhook-to-workflow',
  title: 'Webhook to workflow',
  description:
    'A signed webhook (Standard Webhooks, or GitHub’s signature) starts a run with the delivery’s body; a script picks the event kind and an HTTP call forwards it.',
  variables: {
    targetUrl: url('Where each event is forwarded (POST).', 'https://example.com/events'),
    kindField: { type: 'string', default: 'type', description: 'The body field that names the event kind.' },
    github: { type: 'boolean', default: false, description: 'Also accept GitHub’s X-Hub-Signature-256.' },
  },
  definition: {
    description: 'Forwards webhook deliveries to ${targetUrl}, tagged with their kind.',
    inputs: {
      body: { type: 'object', required: true, description: 'The delivery’s JSON body.' },
      deliveryId: { type: 'string', description: 'The delivery id (webhook-id).' },
    },
    outputs: { kind: '{% $nodes.route.output.kind %}' },
    nodes: {
      route: {
        type: 'script',
        language: 'js',
        with: { event: '{% $inputs.body %}', field: '${kindField}' },
        code: 'return { kind: String(inputs.event?.[inputs.field] ?? "unknown") };',
      },
      forward: {
        type: 'http',
        needs: ['route'],
        with: {
          method: 'POST',
          url: '${targetUrl}',
          body: '{% {"kind": $nodes.route.output.kind, "deliveryId": $inputs.deliveryId, "event": $inputs.body} %}',
        },
      },
    },
  },
  triggers: [
    {
      id: '${workflow}-hook',
      body: {
        type: 'webhook',
        workflow: '${workflow}',
        github: '${github}',
        inputs: { body: '{% $inputs.body %}', deliveryId: '{% $inputs.id %}' },
      },
    },
  ],
};

/** Every built-in template, in the order `GET /v1/templates` lists them. */
export const BUILTIN_TEMPLATES: readonly WorkflowTemplate[] = [
  nightlyEtl,
  approval,
  fanOut,
  scheduledReport,
  webhook,
];
