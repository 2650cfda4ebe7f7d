/**
 * The CDK app: the only place that reads CDK context. `npx cdk synth -c stage=prod`.
 *
 * cdk-nag's AWS Solutions pack runs as a policy validation plugin on every synth; a finding
 * fails the synth unless it is fixed or acknowledged with `Validations.of(construct).acknowledge`
 * and a written reason.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { SkeinStack, stageFrom } from './skein-stack.ts';

const app = new App();
const stage = stageFrom(app.node.tryGetContext('stage'));

new SkeinStack(app, `Skein-${stage}`, { stage, tags: { project: 'skein', stage } });

Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
