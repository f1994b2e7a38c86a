import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isWithin } from './confine';

describe('isWithin', () => {
  it('accepts the root and paths below it only', () => {
    assert.equal(isWithin('/tmp', '/tmp'), true);
    assert.equal(isWithin('/tmp/a/b', '/tmp'), true);
    assert.equal(isWithin('/tmpfoo', '/tmp'), false);
    assert.equal(isWithin('/tmp/..foo', '/tmp'), true);
    assert.equal(isWithin('/etc/passwd', '/tmp'), false);
    assert.equal(isWithin('/', '/tmp'), false);
  });
});
