import { z } from 'zod';
import { MAX_ERROR_CODE_LENGTH } from '../engine/bounds.ts';

/** Longest token a completion may show: the engine's are 43 characters. */
const MAX_TOKEN_LENGTH = 200;

const tokenSchema = z
  .string({ error: 'token must be the callback token (a string)' })
  .min(1, 'token must not be empty')
  .max(MAX_TOKEN_LENGTH, `token must be at most ${MAX_TOKEN_LENGTH} characters`)
  .meta({
    description: 'The token of the node’s wait: the run view’s `token`, or the node.waiting event’s.',
  });

export const completeNodeBodySchema = z
  .strictObject({
    token: tokenSchema,
    output: z.unknown().optional().meta({ description: 'The node’s output (JSON, at most 256 KB).' }),
    error: z
      .strictObject({
        code: z.string().min(1).max(MAX_ERROR_CODE_LENGTH),
        message: z.string(),
      })
      .optional()
      .meta({
        description: 'Fail the node with this error instead (retried when its `retryOn` names the code).',
      }),
  })
  .meta({ id: 'CompleteNode' });

export const heartbeatBodySchema = z.strictObject({ token: tokenSchema }).meta({ id: 'NodeHeartbeat' });

export const completionAcceptedSchema = z
  .object({
    runId: z.string(),
    nodeId: z.string(),
    accepted: z.enum(['completed', 'heartbeat']),
    deadline: z.string().optional().meta({ description: 'Heartbeat: the node’s new deadline.' }),
  })
  .meta({ id: 'CompletionAccepted' });

export const nodeParam = z.string().meta({ param: { name: 'node', in: 'path' }, example: 'approve' });
