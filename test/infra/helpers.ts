/**
 * Shared set-up of the infra tests: stacks synthesized without bundling (context
 * `aws:cdk:bundling-stacks: []`, so no esbuild run), cached per stage and options because a
 * full Skein stack takes a few seconds to synthesize.
 */
import { App, type CfnElement, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { SkeinStack, type SkeinStackProps } from '../../infra/skein-stack.ts';

/** An app that skips asset bundling. */
export const testApp = (): App => new App({ context: { 'aws:cdk:bundling-stacks': [] } });

export interface Synthesized {
  readonly app: App;
  readonly stack: SkeinStack;
  readonly template: Template;
}

const cache = new Map<string, Synthesized>();

/**
 * The `Skein-<stage>` stack and its template, synthesized once per distinct props.
 * @example const { stack, template } = synthStack('prod');
 */
export function synthStack(stage: string, props: Omit<SkeinStackProps, 'stage'> = {}): Synthesized {
  const key = JSON.stringify({ stage, props });
  let synthesized = cache.get(key);
  if (synthesized === undefined) {
    const app = testApp();
    const stack = new SkeinStack(app, `Skein-${stage}`, { stage, ...props });
    synthesized = { app, stack, template: Template.fromStack(stack) };
    cache.set(key, synthesized);
  }
  return synthesized;
}

/** The logical id of a construct's CloudFormation resource (its `defaultChild`, or itself). */
export function logicalId(stack: Stack, construct: IConstruct): string {
  const element = (construct.node.defaultChild ?? construct) as CfnElement;
  return stack.resolve(stack.getLogicalId(element));
}

/** `{ "Fn::GetAtt": [<logical id>, attribute] }` of a construct. */
export const getAtt = (stack: Stack, construct: IConstruct, attribute = 'Arn') => ({
  'Fn::GetAtt': [logicalId(stack, construct), attribute],
});

/** `{ Ref: <logical id> }` of a construct. */
export const ref = (stack: Stack, construct: IConstruct) => ({ Ref: logicalId(stack, construct) });

/** The one resource of `type` in `template` (its `Properties` and all); throws unless there is exactly one. */
export function onlyResource(template: Template, type: string): ReturnType<Template['toJSON']> {
  const found = Object.values(template.findResources(type));
  const [only] = found;
  if (found.length !== 1 || only === undefined)
    throw new Error(`expected one ${type}, found ${found.length}`);
  return only;
}
