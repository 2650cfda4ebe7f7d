import { describe, expect, it } from 'vitest';
import { getAtt, ref, synthStack } from './helpers.ts';

describe('SkeinStack outputs', () => {
  it('name the API URL, both topics, the dashboard, the timer’s group and dead letters, and every pool queue', () => {
    // Prepare / Act
    const { stack, template } = synthStack('prod', { pools: [{ name: 'default' }, { name: 'gpu-heavy' }] });
    const outputs = template.toJSON().Outputs;
    // Assess
    expect(JSON.stringify(outputs.ApiUrl.Value)).toContain('ApiEndpoint'); // no trailing slash
    template.hasOutput('EventsTopicArn', { Value: ref(stack, stack.monitor.eventsTopic) });
    template.hasOutput('AlarmTopicArn', { Value: ref(stack, stack.monitor.alarmTopic) });
    expect(outputs).not.toHaveProperty('TimerStateMachineArn');
    expect(outputs.TimerScheduleGroupName.Value).toEqual({ Ref: expect.stringMatching(/^EngineTimerGroup/) });
    template.hasOutput('TimerDeadLetterQueueUrl', { Value: ref(stack, stack.engine.timer.deadLetterQueue) });
    expect(JSON.stringify(outputs.DashboardUrl.Value)).toContain('#dashboards:name=Skein-prod-');
    const [main, heavy] = stack.engine.pools;
    if (main === undefined || heavy === undefined) throw new Error('expected two pools');
    template.hasOutput('DefaultPoolQueueUrl', { Value: ref(stack, main.queue) });
    template.hasOutput('GpuHeavyPoolQueueUrl', { Value: ref(stack, heavy.queue) });
    template.hasOutput('GpuHeavyPoolDeadLetterQueueUrl', { Value: ref(stack, heavy.deadLetterQueue) });
    expect(getAtt(stack, main.queue)).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^EngineDefaultPoolQueue/), 'Arn'],
    });
  });
});
