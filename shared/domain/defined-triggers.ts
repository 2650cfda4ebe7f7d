/**
 * `triggers:` in a definition (issue 11 item 8), like GitHub Actions' `on:`: each entry is a
 * trigger body without `workflow` and `version` (the definition's workflow and version), checked
 * at validate time with the same rules as `PUT .../triggers/{id}`, its problems at
 * `$.triggers.<id>.<field>`.
 */
import { z } from 'zod';
import { type Problem, SkeinError, toJsonPath } from './problems.ts';
import {
  checkOwnFields,
  cronSpecOf,
  eventSpecOf,
  TRIGGER_ID,
  type TriggerBody,
  triggerBodySchema,
} from './trigger-spec.ts';

/** One entry of `triggers:`: what `PUT .../triggers/{id}` takes, but for `workflow` and `version`. */
const notHere = (field: string) =>
  z
    .unknown()
    .optional()
    .refine((value) => value === undefined, {
      message: `a trigger under triggers: runs this workflow at the version being published; remove ${field}`,
    });

export const definedTriggerSchema = triggerBodySchema
  .extend({ workflow: notHere('workflow'), version: notHere('version') })
  .meta({
    id: 'DefinedTrigger',
    description:
      'A trigger this workflow keeps: created or updated when a version that becomes the latest is ' +
      'published, deleted when the latest no longer declares it. It runs that version.',
  });

export type DefinedTrigger = Omit<z.infer<typeof definedTriggerSchema>, 'workflow' | 'version'>;

export const definedTriggersSchema = z
  .record(
    z.string().regex(TRIGGER_ID, { message: 'a trigger id is 1 to 64 letters, digits, ".", "_" or "-"' }),
    definedTriggerSchema,
  )
  .optional()
  .meta({ description: 'Triggers kept with the workflow’s latest version (cron, webhook, event).' });

/**
 * The checks `PUT .../triggers/{id}` makes beyond the schema (cron expression, time zone, dates,
 * durations, event pattern, another type's fields), as problems under `$.triggers.<id>`.
 * @example definedTriggerProblems({ nightly: { type: 'cron', schedule: 'nope' } }) // [{ code: 'INVALID_CRON', path: '$.triggers.nightly.schedule', ... }]
 */
export function definedTriggerProblems(triggers: unknown): Problem[] {
  if (triggers === null || typeof triggers !== 'object' || Array.isArray(triggers)) return [];
  const problems: Problem[] = [];
  for (const [id, entry] of Object.entries(triggers)) {
    const parsed = definedTriggerSchema.safeParse(entry);
    if (!parsed.success) continue; // the schema's problems are reported with the definition's
    const body = { ...parsed.data, workflow: '-' } as TriggerBody;
    try {
      checkOwnFields(body);
      if (body.type === 'cron') cronSpecOf(body);
      if (body.type === 'event') eventSpecOf(body);
    } catch (error) {
      if (!(error instanceof SkeinError)) throw error;
      const field = (error.path ?? '$').replace(/^\$\.?/, '');
      problems.push({
        code: 'TRIGGER',
        message: `${error.code}: ${error.message}`,
        path: `${toJsonPath(['triggers', id])}${field ? `.${field}` : ''}`,
      });
    }
  }
  return problems;
}
