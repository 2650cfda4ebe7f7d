import { describe, expect, it } from 'vitest';
import { AwsCronError, toAwsCron } from '../../../shared/domain/aws-cron.ts';

describe('toAwsCron', () => {
  it.each([
    // Five fields: minute hour day-of-month month day-of-week.
    ['* * * * *', 'cron(* * * * ? *)'],
    ['0 * * * *', 'cron(0 * * * ? *)'],
    ['*/15 * * * *', 'cron(0/15 * * * ? *)'],
    ['5/15 * * * *', 'cron(5/15 * * * ? *)'],
    ['10-40/10 * * * *', 'cron(10,20,30,40 * * * ? *)'],
    ['0,30 8-18 * * *', 'cron(0,30 8-18 * * ? *)'],
    ['0 */2 * * *', 'cron(0 0/2 * * ? *)'],
    ['0 12 1 * *', 'cron(0 12 1 * ? *)'],
    ['0 12 1,15 * *', 'cron(0 12 1,15 * ? *)'],
    ['0 0 L * *', 'cron(0 0 L * ? *)'],
    ['0 0 15W * *', 'cron(0 0 15W * ? *)'],
    ['0 0 LW * *', 'cron(0 0 LW * ? *)'],
    ['0 0 1 JAN *', 'cron(0 0 1 1 ? *)'],
    ['0 0 1 jan-mar *', 'cron(0 0 1 1-3 ? *)'],
    ['0 0 1 */3 *', 'cron(0 0 1 1/3 ? *)'],
    // Day of week: Unix 0-7 (0 and 7 Sunday) becomes names, which AWS reads as 1-7 from Sunday.
    ['0 9 * * 0', 'cron(0 9 ? * SUN *)'],
    ['0 9 * * 7', 'cron(0 9 ? * SUN *)'],
    ['0 9 * * 1', 'cron(0 9 ? * MON *)'],
    ['0 9 * * 6', 'cron(0 9 ? * SAT *)'],
    ['0 9 * * 1-5', 'cron(0 9 ? * MON-FRI *)'],
    ['0 9 * * MON-FRI', 'cron(0 9 ? * MON-FRI *)'],
    ['0 9 * * 5-7', 'cron(0 9 ? * FRI-SAT,SUN *)'],
    ['0 9 * * 0,3', 'cron(0 9 ? * SUN,WED *)'],
    ['0 9 * * */2', 'cron(0 9 ? * SUN,TUE,THU,SAT *)'],
    ['0 9 * * 5L', 'cron(0 9 ? * 6L *)'],
    ['0 9 * * 1#1', 'cron(0 9 ? * 2#1 *)'],
    ['0 9 * * 0#2', 'cron(0 9 ? * 1#2 *)'],
    ['0 9 ? * 1', 'cron(0 9 ? * MON *)'],
    ['0 9 1 * ?', 'cron(0 9 1 * ? *)'],
    ['  0   9 * *  1  ', 'cron(0 9 ? * MON *)'],
  ])('converts %j to %s', (unix, aws) => {
    // Act / Assess
    expect(toAwsCron(unix)).toEqual({ expression: aws });
  });

  it.each([
    ['*/10 * * * * *', 'cron(* * * * ? *)', '*/10'],
    ['0 */5 * * * *', 'cron(0/5 * * * ? *)', '0'],
    ['15,45 0 9 * * 1-5', 'cron(0 9 ? * MON-FRI *)', '15,45'],
  ])('keeps the seconds of six-field %j apart: %s and seconds %s', (unix, aws, seconds) => {
    // Act / Assess
    expect(toAwsCron(unix)).toEqual({ expression: aws, seconds });
  });

  it.each([
    ['* * * *', 'expression', 'has 5 fields'],
    ['* * * * * * *', 'expression', 'got 7'],
    ['0 9 1 * 1', 'day-of-month', 'both day-of-month (1) and day-of-week (1)'],
    ['60 * * * *', 'minute', '60 is outside 0-59'],
    ['0 24 * * *', 'hour', 'outside 0-23'],
    ['0 0 32 * *', 'day-of-month', 'outside 1-31'],
    ['0 0 1 13 *', 'month', 'outside 1-12'],
    ['0 0 * * 8', 'day-of-week', 'outside 0-7'],
    ['*/0 * * * *', 'minute', 'at least 1'],
    ['0 22-2 * * *', 'hour', 'runs backwards'],
    ['0 0 * * FOO', 'day-of-week', '"FOO" is not a number or a name'],
    ['0 0 1,L * *', 'day-of-month', 'stand alone'],
    ['0 0 * * 1,5L', 'day-of-week', 'stand alone'],
    ['0 0 * * 1#6', 'day-of-week', 'stand alone'],
    ['61 * * * * *', 'second', 'outside 0-59'],
  ])('refuses %j in its %s: %s', (unix, fieldName, message) => {
    // Act
    const convert = () => toAwsCron(unix);
    // Assess
    expect(convert).toThrow(AwsCronError);
    expect(convert).toThrow(message);
    try {
      convert();
    } catch (error) {
      expect((error as AwsCronError).field).toBe(fieldName);
      expect((error as AwsCronError).code).toBe('CRON_UNSUPPORTED_ON_AWS');
    }
  });
});
