/**
 * suiteIt (suite-options.ts): a test an implementation lists in `differs` is skipped, the others run.
 */
import { suiteIt } from './suite-options';

const ran: string[] = [];

describe('suiteIt', () => {
  const it_ = suiteIt([{ test: 'deviates', reason: 'this implementation cannot' }]);
  it_('runs', async () => {
    ran.push('runs');
  });
  it_('deviates', async () => {
    ran.push('deviates');
    throw new Error('a listed deviation must not run');
  });
  const plain = suiteIt();
  plain('runs without a list', async () => {
    ran.push('runs without a list');
  });
});

afterAll(() => {
  expect(ran).toEqual(['runs', 'runs without a list']);
});
